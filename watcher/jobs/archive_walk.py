"""One walk over an archived X account: which captures to fetch, and the posts they hold.

Shared by the poll (``watcher.jobs.poll``: captures newer than the source's cursor) and the
backfill (``watcher.jobs.backfill``: captures back to a date). For each capture, oldest first,
the walk fetches the raw snapshot (``watcher.fetch.archive``) and extracts its post
(``watcher.parse.archive``); a post already complete, in the store or earlier in this walk, is
not fetched again under another URL form. It returns the entries (one per status id, the
fullest text kept), what happened to each capture (recorded with the entries, in one
transaction) and the new cursor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watcher.config import Config, Source, archive_handle
from watcher.errors import FetchError
from watcher.fetch.archive import (
    ArchiveClient,
    is_transient,
    list_captures,
    next_timestamp,
    previous_timestamp,
    to_timestamp,
)
from watcher.model import Capture, CaptureLog, CaptureOutcome, Entry
from watcher.parse.archive import extract_post, post_entry
from watcher.parse.social import account_index

SNAPSHOTS_PER_POLL = 300  # snapshots fetched per poll; the rest waits for the next poll
FIRST_POLL_WINDOW = timedelta(days=30)  # without a story to date it from


@dataclass(slots=True)
class ArchiveBatch:
    """One walk over an account's captures: entries to store, captures to record, the cursor.

    ``cursor`` is the newest capture timestamp up to which everything is done; ``error`` is set
    when the archive stopped the walk early (what came before it is still good to store).
    """

    entries: list[Entry] = field(default_factory=list)
    captures: list[CaptureOutcome] = field(default_factory=list)
    cursor: str | None = None
    error: FetchError | None = None


class PostCollector:
    """Turns captures into entries, one per status id, keeping the fullest text seen."""

    def __init__(self, client: ArchiveClient, source: Source, config: Config, log: CaptureLog):
        self._client = client
        self._source = source
        self._accounts = account_index(config.entities, "x")
        self._complete: set[str] = set(log.complete)
        self.entries: dict[str, Entry] = {}

    def process(self, capture: Capture) -> CaptureOutcome:
        """Fetch and extract one capture; raise ``FetchError`` only for a transient failure."""
        status_id = capture.status_id
        if status_id is None or status_id in self._complete:
            return CaptureOutcome(capture, "skipped")
        try:
            result = self._client.snapshot(capture, source_id=self._source.id)
        except FetchError as error:
            if is_transient(error):
                raise
            return CaptureOutcome(capture, "failed")
        post = extract_post(
            result.body or b"", url=capture.original, content_type=result.content_type
        )
        if post is None:
            return CaptureOutcome(capture, "empty")
        entry = post_entry(
            post,
            by=self._accounts.get(post.handle.lower()) or self._owner_for(post.handle),
            capture_url=self._client.snapshot_url(capture, raw=False),
        )
        self._keep(status_id, entry)
        if post.truncated:
            return CaptureOutcome(capture, "truncated")
        self._complete.add(status_id)
        return CaptureOutcome(capture, "item")

    def _owner_for(self, handle: str) -> str | None:
        """The source's owner authored the posts of its own account."""
        own = archive_handle(self._source.archive or "") or ""
        return self._source.owner if handle.lower() == own.lower() else None

    def _keep(self, status_id: str, entry: Entry) -> None:
        kept = self.entries.get(status_id)
        if kept is None or _fuller(entry, kept):
            self.entries[status_id] = entry


def _fuller(new: Entry, old: Entry) -> bool:
    if old.extra.get("truncated") and not new.extra.get("truncated"):
        return True
    return len(new.content or "") > len(old.content or "")


def collect_posts(
    client: ArchiveClient,
    source: Source,
    config: Config,
    *,
    after: str | None,
    until: str | None = None,
    log: CaptureLog | None = None,
    limit: int = SNAPSHOTS_PER_POLL,
    now: datetime,
) -> ArchiveBatch:
    """List the captures newer than the cursor ``after`` and extract their posts.

    Without a cursor the walk starts at the earliest story's ``since`` (the posts a story
    needs), else ``FIRST_POLL_WINDOW`` ago; ``watcher backfill`` goes further back.
    """
    since = next_timestamp(after) if after else first_poll_start(config, now)
    batch = ArchiveBatch(cursor=after)
    try:
        captures = list_captures(client, source, since=since, until=until, log=log)
    except FetchError as error:
        batch.error = error
        return batch
    collector = PostCollector(client, source, config, log or CaptureLog())
    fetched = 0
    for index, capture in enumerate(captures):
        if fetched >= limit:
            batch.cursor = previous_timestamp(capture.timestamp)
            break
        try:
            outcome = collector.process(capture)
        except FetchError as error:
            batch.error = error
            batch.cursor = previous_timestamp(capture.timestamp) if index else after
            break
        fetched += outcome.outcome != "skipped"
        batch.captures.append(outcome)
        batch.cursor = max(batch.cursor or "", capture.timestamp)
    batch.entries = list(collector.entries.values())
    return batch


def first_poll_start(config: Config, now: datetime) -> str:
    """Where a source with no cursor starts: the earliest story's ``since``, else 30 days ago."""
    dates = [story.since for story in config.stories]
    if dates:
        return min(dates).strftime("%Y%m%d") + "000000"
    return to_timestamp(now - FIRST_POLL_WINDOW)
