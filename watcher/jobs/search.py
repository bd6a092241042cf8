"""Poll one news-search source: ask the engine, read its answers, keep what matches a story.

Results are candidates. Each is normalised like any item (so an article a listed feed also
carries has the same key, and the store links it to both sources) and matched; only those that
serve a story or a follow-up are returned to be stored, the rest are counted and dropped.

Only what is newer is asked for: the cursor is the newest result time seen (``YYYYMMDDHHMMSS``,
UTC). GDELT is sent it as ``startdatetime``; Google News and Bing News cannot be, so their
results are filtered by their ``pubDate``. A result dated at or before the cursor is skipped
without being counted. The cursor moves only when every request of the poll succeeded, so a
failed request is asked again, from the same time, next poll.

Results carry a title and at most a snippet, while the engines searched the whole article. For
a ``full_text: true`` source, a result whose title and snippet serve no story has its page read
(``watcher.parse.article``: untrusted URL, per-host rate, size and time caps) and is matched
again on the page's main text; the poll then keeps the text it read.

A Google News result whose link hides the publisher's URL is followed, only when it matched
(and at most ``FOLLOW_MAX`` a poll), only on the engine's own host, through the fetcher's
guard; where it leads is the item's URL, else the link stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from watcher.config import Config, Source
from watcher.errors import FetchError, ParseError
from watcher.fetch.clients import Clients
from watcher.fetch.search import (
    GDELT_MAX_RECORDS,
    GDELT_TIME,
    EngineClient,
    SearchPlan,
    plan,
)
from watcher.match import Matcher
from watcher.model import FULL_TEXT, Entry, Item
from watcher.normalise import normalise_entry

FOLLOW_MAX = 25  # Google News links followed a poll (each costs a request to Google)


@dataclass(slots=True)
class SearchTally:
    """Distinct results newer than the cursor (``seen``), stored (``kept``) or not (``dropped``)."""

    seen: int = 0
    kept: int = 0
    dropped: int = 0

    def __add__(self, other: SearchTally) -> SearchTally:
        return SearchTally(
            self.seen + other.seen, self.kept + other.kept, self.dropped + other.dropped
        )

    def line(self) -> str:
        return f"search results: {self.seen} seen, {self.kept} kept, {self.dropped} dropped"


@dataclass(slots=True)
class SearchBatch:
    """One poll of a search source: the items to store, the tally, the next cursor."""

    items: list[Item] = field(default_factory=list)
    tally: SearchTally = field(default_factory=SearchTally)
    cursor: str | None = None
    warning: str | None = None


def search_source(
    source: Source, clients: Clients, config: Config, *, cursor: str | None, now: datetime
) -> SearchBatch:
    """Poll ``source`` (a news search) past ``cursor``; raise the error when every request
    failed, and say which failed in the warning when some did.

    The matcher is built for this poll (about 2 ms for the bundled config): the poll's own
    belongs to the store step, on the calling thread.
    """
    engine = source.search.engine if source.search else ""
    client = clients.search[engine]
    since = read_cursor(cursor)
    asked = plan(source, config, since=since, now=now)
    answers = _ask(client, asked, source)
    if answers.failures and len(answers.failures) == len(asked.requests):
        raise answers.failures[0]
    candidates = _normalised(_newer(answers.entries, since), source, config, now)
    kept = _serving(candidates, Matcher(config), source, clients)
    return SearchBatch(
        _publishers(kept, client, source, config, now),
        SearchTally(len(candidates), len(kept), len(candidates) - len(kept)),
        cursor if answers.failures else _newest(answers.entries, cursor, now),
        _warning(asked, answers, since),
    )


@dataclass(slots=True)
class _Answers:
    entries: list[tuple[Entry, str]] = field(default_factory=list)  # with the request's URL
    failures: list[FetchError | ParseError] = field(default_factory=list)
    full: bool = False  # a GDELT answer at its maximum size


def _ask(client: EngineClient, asked: SearchPlan, source: Source) -> _Answers:
    """Send every request; a failing one does not stop the others."""
    from watcher.parse.search import parse_results  # lingua and lxml: only when a search runs

    answers = _Answers()
    for request in asked.requests:
        try:
            body = client.get(request.url, source_id=source.id).body or b""
            found = parse_results(request.engine, body, source_id=source.id, url=request.url)
        except (FetchError, ParseError) as error:
            answers.failures.append(error)
            continue
        answers.full |= request.engine == "gdelt" and len(found) >= GDELT_MAX_RECORDS
        answers.entries += ((entry, request.url) for entry in found)
    return answers


def _newer(entries: list[tuple[Entry, str]], since: datetime | None) -> list[tuple[Entry, str]]:
    """What is newer than the cursor (undated results count as new)."""
    if since is None:
        return entries
    return [(e, url) for e, url in entries if e.published is None or e.published > since]


def _warning(asked: SearchPlan, answers: _Answers, since: datetime | None) -> str | None:
    notes = list(asked.notes)
    if answers.full and since is not None:
        notes.append(
            f"GDELT sent its maximum of {GDELT_MAX_RECORDS} results: some since the last poll "
            "may be missing (poll this source more often with 'every')"
        )
    if answers.failures:
        count, first = len(answers.failures), answers.failures[0]
        notes.append(f"{count} of {len(asked.requests)} requests failed: {first.reason}")
    return "; ".join(notes) or None


def read_cursor(cursor: str | None) -> datetime | None:
    try:
        return datetime.strptime(cursor, GDELT_TIME).replace(tzinfo=UTC) if cursor else None
    except ValueError:
        return None  # another kind of source used this id before: start afresh


def _newest(entries: list[tuple[Entry, str]], cursor: str | None, now: datetime) -> str | None:
    """The newest result time, never past now (a publisher's clock can run ahead)."""
    times = [entry.published for entry, _ in entries if entry.published is not None]
    if not times:
        return cursor
    newest = min(max(times), now).astimezone(UTC)
    current = read_cursor(cursor)
    return newest.strftime(GDELT_TIME) if current is None or newest > current else cursor


def _normalised(
    entries: list[tuple[Entry, str]], source: Source, config: Config, seen_at: datetime
) -> dict[str, tuple[Entry, str, Item]]:
    """Each distinct result (by item key; the first wins), normalised like any feed's entry."""
    found: dict[str, tuple[Entry, str, Item]] = {}
    for entry, url in entries:
        item = _normalise(entry, url, source, config, seen_at)
        if item is not None:
            found.setdefault(item.key, (entry, url, item))
    return found


def _normalise(
    entry: Entry, url: str, source: Source, config: Config, seen_at: datetime
) -> Item | None:
    return normalise_entry(
        entry,
        source_id=source.id,
        feed_url=url,
        seen_at=seen_at,
        owner=None,
        languages=config.languages,
        zone=config.source_zone(source),
    )


def _serving(
    candidates: dict[str, tuple[Entry, str, Item]],
    matcher: Matcher,
    source: Source,
    clients: Clients,
) -> dict[str, tuple[Entry, str, Item]]:
    """The candidates that serve a story or a follow-up, in the engine's order; for a full-text
    source, those whose title does not are matched again on their page's main text."""
    serving = {key for key, found in candidates.items() if _serves(matcher, found)}
    if source.full_text:
        from watcher.parse.article import ArticleReader, add_full_texts

        unmatched = [found[2] for key, found in candidates.items() if key not in serving]
        add_full_texts(unmatched, source, ArticleReader(clients.pages))
        serving |= {
            key
            for key, found in candidates.items()
            if key not in serving
            and found[2].extra.get(FULL_TEXT) == "ok"
            and _serves(matcher, found)
        }
    return {key: found for key, found in candidates.items() if key in serving}


def _serves(matcher: Matcher, found: tuple[Entry, str, Item]) -> bool:
    matches = matcher.match(found[2])
    return bool(matches.stories or matches.followups)


def _with_text_of(read: Item, followed: Item | None) -> Item:
    """The item under its publisher's URL, keeping the full text read under the first link."""
    if followed is None:
        return read
    if read.extra.get(FULL_TEXT) == "ok":
        followed.text, followed.extra[FULL_TEXT] = read.text, "ok"
    return followed


def _publishers(
    kept: dict[str, tuple[Entry, str, Item]],
    client: EngineClient,
    source: Source,
    config: Config,
    seen_at: datetime,
) -> list[Item]:
    """The kept items, a Google News link followed to its publisher where it hid it."""
    items: dict[str, Item] = {}
    followed = 0
    for entry, url, item in kept.values():
        link = entry.extra.get("search_link")
        if link and entry.link == link and followed < FOLLOW_MAX:
            followed += 1
            publisher = client.follow(link, source_id=source.id)
            if publisher is not None:
                entry.link = publisher
                item = _with_text_of(item, _normalise(entry, url, source, config, seen_at))
        items.setdefault(item.key, item)
    return list(items.values())
