"""Poll sources: fetch → parse → normalise in a pool of workers, then match → store, a batch of
sources per transaction.

Workers only touch the network and the CPU; the calling thread is the only writer, so SQLite
never sees two writers from one process. Sources that brought something are committed
``STORE_BATCH`` at a time, their items looked up, inserted and matched in one statement each
(each statement and each commit has a fixed cost: fewer, larger ones cost less), or as soon as
no source has finished for ``WAKE_EVERY`` seconds, so a slow source never holds back the items
and alerts of those that finished before it. Unchanged ones are committed ``QUIET_BATCH`` at a
time: a crash loses at most the sources in flight and the batch not yet committed, whose
outcome and polling state go together, so they are simply polled again.

One source never affects another: whatever goes wrong with it — the fetch, the parse, the
normaliser, the matcher or the store refusing its data — is recorded on that source (status,
last error, backoff) and the batch goes on. Only a database that cannot be reached at all stops
the batch (the daemon waits for its next tick).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from watcher import metrics
from watcher.clock import Clock, utcnow
from watcher.config import Config, Source
from watcher.errors import FetchError, ParseError, WatcherError
from watcher.fetch.clients import Clients
from watcher.jobs.alert_hits import record_alert_hits
from watcher.jobs.rematch import rematch_if_config_changed, rematch_promised
from watcher.jobs.search import SearchTally, search_source
from watcher.match import Matcher
from watcher.model import FULL_TEXT, FetchResult, Item, ItemMatches
from watcher.normalise import content_hash, normalise_entries
from watcher.store import Store
from watcher.store import sources as source_store
from watcher.store.archive import mark_captures
from watcher.store.items import existing_items, insert_new_items, merge_item, row_to_item
from watcher.store.matches import record_matches, record_new_matches
from watcher.store.promises import promises_among
from watcher.text import shorten

if TYPE_CHECKING:
    from watcher.parse.article import ArticleReader

log = logging.getLogger(__name__)

QUIET_BATCH = 100  # unchanged sources recorded per transaction
STORE_BATCH = 10  # sources with news (or an error) stored per transaction
POLL_FAILED = "poll.failed"  # the event of the log line naming a failing source
STOP_GRACE = 2.0  # seconds the polls in flight have to finish once a stop is asked
WAKE_EVERY = 0.2  # seconds a poll waits for a finished source before it stores what it holds


@dataclass(slots=True)
class Collected:
    """What a worker brought back for one source: items, or the error that stopped it."""

    source: Source
    items: list[Item] = field(default_factory=list)
    result: FetchResult | None = None
    body_hash: str | None = None
    unchanged: bool = False
    warning: str | None = None
    cursor: str | None = None
    error: WatcherError | None = None
    retry_after: float | None = None
    # Called inside the source's transaction before commit (archives record their captures).
    on_store: Callable[[Session, datetime], object] | None = None
    results: SearchTally | None = None  # news searches: results seen, kept and dropped
    title: str | None = None  # the feed's own title: names the outlet where the config does not

    @property
    def outcome(self) -> str:
        """``failed``, ``unchanged`` or ``ok``: how the metrics count this poll."""
        return "failed" if self.error else "unchanged" if self.unchanged else "ok"

    @property
    def quiet(self) -> bool:
        """Nothing to store but the polling state: recorded in batches."""
        return self.unchanged and self.error is None and self.on_store is None


@dataclass(slots=True)
class IngestStats:
    new: int = 0
    updated: int = 0
    matches: int = 0
    stored: list[int] = field(default_factory=list)  # the new items' ids
    story_hits: list[str] = field(default_factory=list)  # story ids, once a match: for metrics

    def add_new(self, item_id: int, matches: ItemMatches) -> None:
        """Count an item this poll stored for the first time."""
        self.new += 1
        self.stored.append(item_id)
        self.tally(matches)

    def tally(self, matches: ItemMatches) -> None:
        """Add a stored item's story and follow-up matches."""
        self.matches += len(matches.stories) + len(matches.followups)
        self.story_hits.extend(matches.stories)

    def count(self) -> None:
        """Count the story matches in the metrics, once what they belong to is committed."""
        metrics.count_story_matches(self.story_hits)


@dataclass(slots=True)
class PollSummary:
    polled: int = 0
    unchanged: int = 0
    failed: int = 0
    new: int = 0
    updated: int = 0
    matches: int = 0
    errors: list[str] = field(default_factory=list)
    results: SearchTally | None = None

    def add(self, collected: Collected, stats: IngestStats) -> None:
        self.merge(
            PollSummary(
                polled=1,
                unchanged=int(collected.unchanged),
                failed=int(collected.error is not None),
                new=stats.new,
                updated=stats.updated,
                matches=stats.matches,
                errors=[str(collected.error)] if collected.error is not None else [],
                results=collected.results,
            )
        )

    def merge(self, other: PollSummary) -> None:
        self.polled += other.polled
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.new += other.new
        self.updated += other.updated
        self.matches += other.matches
        self.errors.extend(other.errors)
        if other.results is not None:
            self.results = (self.results or SearchTally()) + other.results

    def line(self) -> str:
        return (
            f"polled {self.polled} source{'' if self.polled == 1 else 's'}: "
            f"{self.unchanged} unchanged, {self.failed} failed; "
            f"items: {self.new} new, {self.updated} updated; matches: {self.matches}"
        ) + (f"; {self.results.line()}" if self.results is not None else "")


Collector = Callable[
    [Source, source_store.SourceState | None, Clients, Config, datetime], Collected
]


def poll_once(
    store: Store,
    config: Config,
    *,
    source_ids: Iterable[str] | None = None,
    progress: Callable[[Collected], None] | None = None,
    clients: Clients | None = None,
    clock: Clock = utcnow,
) -> PollSummary:
    """`watcher poll --once`: reconcile the config, then poll every active source now."""
    with store.session() as session:
        source_store.sync_sources(session, config, clock())
        ids = (
            list(source_ids) if source_ids is not None else source_store.active_source_ids(session)
        )
    rematch_if_config_changed(store, config, now=clock())
    with clients or Clients.open(config) as opened:
        return poll_sources(
            store,
            config,
            ids,
            clients=opened,
            matcher=Matcher(config),
            progress=progress,
            clock=clock,
        )


def poll_sources(
    store: Store,
    config: Config,
    source_ids: Iterable[str],
    *,
    clients: Clients,
    matcher: Matcher,
    progress: Callable[[Collected], None] | None = None,
    clock: Clock = utcnow,
    stop: threading.Event | None = None,
) -> PollSummary:
    """Poll the given sources on a bounded pool and store what they bring; never raises for one.

    Setting ``stop`` ends it within ``STOP_GRACE`` seconds (see ``_collect_all``)."""
    wanted = set(source_ids)
    sources = [source for source in config.sources if source.id in wanted]
    with store.session() as session:
        states = source_store.states(session, [source.id for source in sources])
    summary = PollSummary()
    quiet: list[Collected] = []
    busy: list[Collected] = []

    def done(collected: Collected, stats: IngestStats) -> None:
        summary.add(collected, stats)
        metrics.observe_poll(
            collected.source.kind,
            collected.outcome,
            collected.result.elapsed if collected.result is not None else None,
        )
        if progress is not None:
            progress(collected)

    def store_busy() -> None:
        for stored, stats in _store_batch(store, config, matcher, busy, clock()):
            done(stored, stats)

    for collected in _collect_all(sources, states, clients, config, clock, store, stop):
        if collected is None:  # a lull: nothing finished for a moment
            store_busy()
        elif collected.quiet:
            quiet.append(collected)
            if len(quiet) >= QUIET_BATCH:
                _store_quiet(store, config, matcher, quiet, clock())
            done(collected, IngestStats())
        else:
            busy.append(collected)
            if len(busy) >= STORE_BATCH:
                store_busy()
    store_busy()
    _store_quiet(store, config, matcher, quiet, clock())
    return summary


def _collect_all(
    sources: list[Source],
    states: dict[str, source_store.SourceState],
    clients: Clients,
    config: Config,
    clock: Clock,
    store: Store,
    stop: threading.Event | None = None,
) -> Iterator[Collected | None]:
    """Yield each source's result as soon as it is ready, keeping few results in memory, and
    None after each ``WAKE_EVERY`` seconds in which none was.

    A full-text source's new items go back to the pool once, to have their pages read. Once
    ``stop`` is set, nothing more is started, what is queued is dropped, and the polls in flight
    have ``STOP_GRACE`` seconds to finish; the rest are abandoned to their threads (they hold no
    lock and write nothing: the caller gives their claims back).
    """
    workers = config.fetch.workers
    reader: ArticleReader | None = None  # made at the first full-text source with news
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll")
    pending: set[Future[Collected]] = set()
    reading: set[Future[Collected]] = set()
    queue = iter(sources)
    deadline: float | None = None
    try:
        while True:
            for source in queue if deadline is None else ():
                state = states.get(source.id)
                pending.add(pool.submit(collect, source, state, clients, config, clock()))
                if len(pending) >= 2 * workers:
                    break
            if not pending:
                return
            done, pending = wait(pending, timeout=WAKE_EVERY, return_when=FIRST_COMPLETED)
            if not done:
                yield None
            if stop is not None and stop.is_set():
                if deadline is None:
                    deadline = time.monotonic() + STOP_GRACE
                    pending = {future for future in pending if not future.cancel()}
                elif time.monotonic() > deadline:
                    return
            for future in done:
                collected = future.result()
                fresh = (
                    []
                    if future in reading or deadline is not None
                    else _new_full_text_items(store, collected)
                )
                reading.discard(future)
                if fresh:
                    reader = reader or _article_reader(clients)
                    read = pool.submit(_read_pages, collected, fresh, reader)
                    reading.add(read)
                    pending.add(read)
                else:
                    yield collected
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _send_alerts(store: Store, config: Config, now: datetime) -> None:
    """Send what a commit made due. The sending side (digest and delivery stacks, ~0.3 s to
    import) is imported only by a poll whose config has alerts."""
    if config.alerts:
        from watcher.jobs.alerts import send_after_commit

        send_after_commit(store, config, now=now)


def _new_full_text_items(store: Store, collected: Collected) -> list[Item]:
    """The items of a ``full_text`` source not stored yet: only those have their page read."""
    if not collected.source.full_text or not collected.items:
        return []
    with store.session() as session:
        known = existing_items(session, [item.key for item in collected.items])
    return [
        item
        for item in collected.items
        if item.key not in known and FULL_TEXT not in item.extra  # a search may have read it
    ]


def _article_reader(clients: Clients) -> ArticleReader:
    from watcher.parse.article import ArticleReader  # lxml's HTML reader, only when needed

    return ArticleReader(clients.pages)


def _read_pages(collected: Collected, items: list[Item], reader: ArticleReader) -> Collected:
    from watcher.parse.article import add_full_texts

    add_full_texts(items, collected.source, reader)
    return collected


def collect(
    source: Source,
    state: source_store.SourceState | None,
    clients: Clients,
    config: Config,
    now: datetime,
) -> Collected:
    """Fetch, parse and normalise one source; any failure comes back as ``Collected.error``."""
    try:
        return COLLECTORS[source.kind](source, state, clients, config, now)
    except FetchError as error:
        return Collected(source, error=error, retry_after=error.retry_after)
    except WatcherError as error:
        return Collected(source, error=error)
    except Exception as error:
        log.exception("source %s (%s): unexpected error", source.id, source.url)
        return Collected(source, error=_unexpected(source, error))


def collect_feed(
    source: Source,
    state: source_store.SourceState | None,
    clients: Clients,
    config: Config,
    now: datetime,
) -> Collected:
    result = clients.http.get(
        source.url,
        source_id=source.id,
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
    )
    if not result.changed or result.body is None:
        return Collected(source, result=result, unchanged=True)
    body_hash = hashlib.sha256(result.body).hexdigest()
    if state is not None and state.body_hash == body_hash:
        return Collected(source, result=result, body_hash=body_hash, unchanged=True)
    from watcher.parse import parse_feed  # the parsers (lxml, feedparser): only for a new body

    parsed = parse_feed(
        result.body, source_id=source.id, url=result.final_url, content_type=result.content_type
    )
    items = normalise_entries(
        parsed.entries,
        source,
        feed_url=result.final_url,
        seen_at=now,
        languages=config.languages,
        zone=config.source_zone(source),
    )
    return Collected(source, items, result, body_hash, warning=parsed.warning, title=parsed.title)


def collect_archive(
    source: Source,
    state: source_store.SourceState | None,
    clients: Clients,
    config: Config,
    now: datetime,
) -> Collected:
    """Walk an archived account's captures past its cursor (``watcher.jobs.archive_walk``).

    The captures are recorded in the transaction that stores their posts. When the archive
    stopped the walk midway, what came before is stored, the cursor stops before the failed
    capture, and the reason is kept as the source's warning; with nothing done, it is an error.
    """
    from watcher.jobs.archive_walk import collect_posts  # the archive's parsers, when one is due

    batch = collect_posts(
        clients.archive,
        source,
        config,
        after=state.cursor if state else None,
        log=state.captures if state else None,
        now=now,
    )
    if batch.error is not None and not batch.captures:
        raise batch.error
    items = normalise_entries(
        batch.entries,
        source,
        feed_url=source.url,
        seen_at=now,
        languages=config.languages,
        zone=config.source_zone(source),
    )
    return Collected(
        source,
        items,
        unchanged=not batch.captures,
        cursor=batch.cursor,
        warning=f"stopped early: {batch.error}" if batch.error else None,
        on_store=lambda session, at: mark_captures(session, source.id, batch.captures, now=at),
    )


def collect_search(
    source: Source,
    state: source_store.SourceState | None,
    clients: Clients,
    config: Config,
    now: datetime,
) -> Collected:
    """A news search past its cursor: only the results that match a story
    (``watcher.jobs.search``)."""
    cursor = state.cursor if state else None
    batch = search_source(source, clients, config, cursor=cursor, now=now)
    return Collected(
        source,
        batch.items,
        unchanged=not batch.items,
        cursor=batch.cursor,
        warning=batch.warning,
        results=batch.tally,
    )


COLLECTORS: dict[str, Collector] = {
    "feed": collect_feed,
    "archive": collect_archive,
    "search": collect_search,
}


def store_collected(
    store: Store, config: Config, matcher: Matcher, collected: Collected, now: datetime
) -> IngestStats:
    """Commit one source's outcome: its items and matches, and its new polling state.

    When storing it fails (the database refused its data, a bug in matching), nothing of it is
    kept and the failure is recorded on the source instead, in a transaction of its own.
    """
    try:
        with store.session() as session:
            stats = record_outcome(session, config, matcher, collected, now)
        stats.count()
        _send_alerts(store, config, now)  # what this commit made due, now
        return stats
    except (OperationalError, InterfaceError):
        raise  # the database itself is away: nothing can be recorded for any source
    except Exception as error:
        log.exception(
            "source %s (%s): could not store its poll", collected.source.id, collected.source.url
        )
        failed = Collected(collected.source, error=_unexpected(collected.source, error))
        _record_safely(store, config, matcher, failed, now)
        collected.error = failed.error
        return IngestStats()


def _record_safely(
    store: Store, config: Config, matcher: Matcher, collected: Collected, now: datetime
) -> None:
    """Record a failure; if even that fails, log it and leave the source due for next time."""
    try:
        with store.session() as session:
            record_outcome(session, config, matcher, collected, now)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        log.exception("source %s: could not record its failure", collected.source.id)


def _store_batch(
    store: Store, config: Config, matcher: Matcher, batch: list[Collected], now: datetime
) -> list[tuple[Collected, IngestStats]]:
    """Commit several sources' outcomes in one transaction. When the store refuses it, nothing
    of it is kept and each source is stored alone (``store_collected``), so one bad source
    cannot hold back the others."""
    if not batch:
        return []
    try:
        with store.session() as session:
            stored = _record_all(session, config, matcher, batch, now)
        for _, stats in stored:
            stats.count()
        _send_alerts(store, config, now)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        stored = [(c, store_collected(store, config, matcher, c, now)) for c in batch]
    batch.clear()
    return stored


def _store_quiet(
    store: Store, config: Config, matcher: Matcher, batch: list[Collected], now: datetime
) -> None:
    """Record unchanged sources together: only their polling state moves, and losing it in a
    crash costs no more than asking those servers again. A batch the store refuses is
    recorded one source at a time, so one bad row cannot hold back the others."""
    if not batch:
        return
    try:
        with store.session() as session:
            _record_all(session, config, matcher, batch, now)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        for collected in batch:
            store_collected(store, config, matcher, collected, now)
    batch.clear()


def _record_all(
    session: Session, config: Config, matcher: Matcher, batch: list[Collected], now: datetime
) -> list[tuple[Collected, IngestStats]]:
    """Several sources' outcomes in the caller's transaction: the items of all that succeeded
    stored together (``ingest_all``), their polling state in one statement
    (``record_successes``), the failed sources' rows read in one query first (held until the
    end, so each record finds its row in the session)."""
    failed = [collected for collected in batch if collected.error is not None]
    rows = source_store.rows(session, [collected.source.id for collected in failed])
    succeeded = [collected for collected in batch if collected.error is None]
    all_stats = ingest_all(session, matcher, [collected.items for collected in succeeded], now=now)
    ingested = list(zip(succeeded, all_stats, strict=True))
    for collected, stats in ingested:
        _after_ingest(session, config, matcher, collected, stats, now)
    polled = [_polled(config, collected, stats) for collected, stats in ingested]
    source_store.record_successes(session, polled, now=now)
    for collected in failed:
        _record_failure(session, config, collected, now)
    del rows
    stats_of = {id(collected): stats for collected, stats in ingested}
    return [(c, stats_of.get(id(c), IngestStats())) for c in batch]


def record_outcome(
    session: Session, config: Config, matcher: Matcher, collected: Collected, now: datetime
) -> IngestStats:
    """One source's outcome, in the caller's transaction."""
    if collected.error is not None:
        _record_failure(session, config, collected, now)
        return IngestStats()
    stats = ingest(session, matcher, collected.items, now=now)
    _after_ingest(session, config, matcher, collected, stats, now)
    source_store.record_success(session, _polled(config, collected, stats), now=now)
    return stats


def _record_failure(session: Session, config: Config, collected: Collected, now: datetime) -> None:
    source, error = collected.source, collected.error
    reason = getattr(error, "reason", str(error))
    log.warning(
        "poll failed: %s",
        reason,
        extra={"event": POLL_FAILED, "source": source.id, "url": source.url},
    )
    source_store.record_failure(
        session,
        source.id,
        now=now,
        interval=config.source_interval(source),
        max_backoff=config.fetch.max_backoff,
        reason=reason,
        retry_after=collected.retry_after,
    )


def _after_ingest(
    session: Session,
    config: Config,
    matcher: Matcher,
    collected: Collected,
    stats: IngestStats,
    now: datetime,
) -> None:
    """What follows a source's stored items: the alerts they make due, archive captures."""
    record_alert_hits(session, config, matcher, stats.stored, now=now)
    if collected.on_store is not None:
        collected.on_store(session, now)


def _polled(config: Config, collected: Collected, stats: IngestStats) -> source_store.Polled:
    return source_store.Polled(
        collected.source.id,
        config.source_interval(collected.source),
        result=collected.result,
        body_hash=collected.body_hash,
        cursor=collected.cursor,
        warning=collected.warning,
        new_items=stats.new,
        title=collected.title,
    )


def ingest(session: Session, matcher: Matcher, items: list[Item], *, now: datetime) -> IngestStats:
    """Store items and match what changed (``ingest_all`` for one source)."""
    return ingest_all(session, matcher, [items], now=now)[0]


def ingest_all(
    session: Session, matcher: Matcher, item_lists: list[list[Item]], *, now: datetime
) -> list[IngestStats]:
    """Store several sources' items and match what changed, with what each brought counted
    apart: new ones in bulk, known ones merged one by one; then, when one of them is a promise a
    follow-up is anchored on, that follow-up's candidates are matched again
    (``rematch_promised``).

    It stores what storing each list in turn would, with one lookup, one insert and one write
    of matches for all (per-statement cost is most of the store's): an item in two lists is
    inserted from the first and merged from the second.
    """
    stats = [IngestStats() for _ in item_lists]
    owner = {id(item): stats[n] for n, items in enumerate(item_lists) for item in items}
    items = [item for item_list in item_lists for item in item_list]
    if not items:
        return stats
    known = existing_items(session, [*(item.key for item in items), *matcher.promise_keys])
    promises = promises_among(known, matcher.promise_keys)
    unseen = {item.key: item for item in reversed(items) if item.key not in known}
    fresh = [(item, matcher.match(item, promises)) for item in reversed(unseen.values())]
    for item, matches in fresh:
        item.by = matches.by
    ids = insert_new_items(session, [(item, content_hash(item)) for item, _ in fresh], now=now)
    record_new_matches(
        session, [(ids[item.key], m) for item, m in fresh if item.key in ids], now=now
    )
    for item, matches in fresh:
        if item.key in ids:
            owner[id(item)].add_new(ids[item.key], matches)
    inserted = {id(item) for item, _ in fresh if item.key in ids}
    changed = set(ids)
    for item in items:
        if id(item) in inserted:
            continue
        row = known.get(item.key) or existing_items(session, [item.key])[item.key]
        if merge_item(session, row, item, content_hash=content_hash(item), now=now) == "same":
            continue
        owner[id(item)].updated += 1
        changed.add(row.key)
        matches = matcher.match(row_to_item(row), promises)
        record_matches(session, row, matches, now=now)
        owner[id(item)].tally(matches)
    rematch_promised(session, matcher, changed, now=now)
    return stats


def _unexpected(source: Source, error: Exception) -> ParseError:
    """An error nobody planned for, described in one short line (a database error's own
    message, without the statement and the feed's data it carries)."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
    detail = (str(cause).strip().splitlines() or [""])[0]
    reason = shorten(f"unexpected error: {cause.__class__.__name__}: {detail}", 300)
    return ParseError(source.id, source.url, reason)
