"""Poll sources: fetch → parse → normalise in a pool of workers, then match → store, one source
at a time, each in its own transaction.

Workers only touch the network and the CPU; the calling thread is the only writer, so SQLite
never sees two writers from one process and every source's outcome is committed as soon as it is
known: a crash loses at most the sources still in flight, which are simply polled again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from watcher import metrics
from watcher.clock import utcnow
from watcher.config import Config, Source
from watcher.errors import FetchError, ParseError, WatcherError
from watcher.fetch.http import Fetcher
from watcher.match import Matcher
from watcher.model import Entry, FetchResult, Item, ItemMatches
from watcher.normalise import content_hash, normalise_entry
from watcher.parse import parse_feed
from watcher.store import Store
from watcher.store import sources as source_store
from watcher.store.items import existing_items, insert_new_items, merge_item, row_to_item
from watcher.store.matches import record_matches, record_new_matches

log = logging.getLogger(__name__)


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
    on_store: Callable[[Session], None] | None = None


@dataclass(slots=True)
class IngestStats:
    new: int = 0
    updated: int = 0
    matches: int = 0


@dataclass(slots=True)
class PollSummary:
    polled: int = 0
    unchanged: int = 0
    failed: int = 0
    new: int = 0
    updated: int = 0
    matches: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, collected: Collected, stats: IngestStats) -> None:
        self.polled += 1
        self.unchanged += collected.unchanged
        self.failed += collected.error is not None
        self.new += stats.new
        self.updated += stats.updated
        self.matches += stats.matches
        if collected.error is not None:
            self.errors.append(str(collected.error))

    def line(self) -> str:
        return (
            f"polled {self.polled} sources: {self.unchanged} unchanged, {self.failed} failed; "
            f"items: {self.new} new, {self.updated} updated; matches: {self.matches}"
        )


Collector = Callable[[Source, source_store.SourceState | None, Fetcher, Config], Collected]


def poll_sources(
    store: Store,
    config: Config,
    source_ids: Iterable[str],
    *,
    fetcher: Fetcher,
    matcher: Matcher,
    progress: Callable[[Collected], None] | None = None,
) -> PollSummary:
    """Poll the given sources on a bounded pool and store what they bring; never raises for one."""
    wanted = set(source_ids)
    sources = [source for source in config.sources if source.id in wanted]
    with store.session() as session:
        states = source_store.states(session, [source.id for source in sources])
    summary = PollSummary()
    quiet: list[Collected] = []
    for collected in _collect_all(sources, states, fetcher, config):
        if collected.unchanged and collected.error is None and collected.on_store is None:
            quiet.append(collected)
            stats = IngestStats()
            if len(quiet) >= QUIET_BATCH:
                _store_quiet(store, config, matcher, quiet)
        else:
            stats = store_collected(store, config, matcher, collected)
        summary.add(collected, stats)
        _observe(collected)
        if progress is not None:
            progress(collected)
    _store_quiet(store, config, matcher, quiet)
    return summary


QUIET_BATCH = 100


def _observe(collected: Collected) -> None:
    """Count the poll in the metrics by outcome, and time its fetch."""
    outcome = "failed" if collected.error else "unchanged" if collected.unchanged else "ok"
    elapsed = collected.result.elapsed if collected.result is not None else None
    metrics.observe_poll(collected.source.kind, outcome, elapsed)


def _store_quiet(store: Store, config: Config, matcher: Matcher, batch: list[Collected]) -> None:
    """Record unchanged sources together: only their polling state moves, and losing it in a
    crash costs no more than asking those servers again."""
    if not batch:
        return
    with store.session() as session:
        rows = source_store.rows(session, [collected.source.id for collected in batch])
        for collected in batch:
            record_outcome(session, config, matcher, collected)
        del rows  # held until here so each record finds its row in the session
    batch.clear()


def _collect_all(
    sources: list[Source],
    states: dict[str, source_store.SourceState],
    fetcher: Fetcher,
    config: Config,
) -> Iterator[Collected]:
    """Yield each source's result as soon as it is ready, keeping few results in memory."""
    workers = config.fetch.workers
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll") as pool:
        pending: set[Future[Collected]] = set()
        queue = iter(sources)
        while True:
            for source in queue:
                pending.add(pool.submit(collect, source, states.get(source.id), fetcher, config))
                if len(pending) >= 2 * workers:
                    break
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


def collect(
    source: Source, state: source_store.SourceState | None, fetcher: Fetcher, config: Config
) -> Collected:
    """Fetch, parse and normalise one source; any failure comes back as ``Collected.error``."""
    try:
        return COLLECTORS[source.kind](source, state, fetcher, config)
    except FetchError as error:
        return Collected(source, error=error, retry_after=error.retry_after)
    except WatcherError as error:
        return Collected(source, error=error)
    except Exception as error:
        log.exception("source %s (%s): unexpected error", source.id, source.url)
        reason = f"unexpected error: {error.__class__.__name__}: {error}"
        return Collected(source, error=ParseError(source.id, source.url, reason))


def collect_feed(
    source: Source, state: source_store.SourceState | None, fetcher: Fetcher, config: Config
) -> Collected:
    result = fetcher.get(
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
    parsed = parse_feed(
        result.body, source_id=source.id, url=result.final_url, content_type=result.content_type
    )
    items = normalise_entries(parsed.entries, source, config, feed_url=result.final_url)
    return Collected(source, items, result, body_hash, warning=parsed.warning)


def collect_archive(
    source: Source, state: source_store.SourceState | None, fetcher: Fetcher, config: Config
) -> Collected:
    """Walk an archived account's captures past its cursor (``watcher.fetch.archive``).

    The captures are recorded in the transaction that stores their posts. When the archive
    stopped the walk midway, what came before is stored, the cursor stops before the failed
    capture, and the reason is kept as the source's warning; with nothing done, it is an error.
    """
    from watcher.fetch.archive import collect_posts, shared_client
    from watcher.store.archive import mark_captures

    client = shared_client(fetcher, config.archive)
    batch = collect_posts(
        client,
        source,
        config,
        after=state.cursor if state else None,
        log=state.captures if state else None,
    )
    if batch.error is not None and not batch.captures:
        raise batch.error
    items = normalise_entries(batch.entries, source, config, feed_url=source.url)
    return Collected(
        source,
        items,
        unchanged=not batch.captures,
        cursor=batch.cursor,
        warning=f"stopped early: {batch.error}" if batch.error else None,
        on_store=lambda session: mark_captures(session, source.id, batch.captures, now=utcnow()),
    )


COLLECTORS: dict[str, Collector] = {"feed": collect_feed, "archive": collect_archive}


def normalise_entries(
    entries: Iterable[Entry], source: Source, config: Config, *, feed_url: str
) -> list[Item]:
    """Normalise a source's entries, keeping the first of any that share an identity."""
    seen_at, zone = utcnow(), config.source_zone(source)
    items: dict[str, Item] = {}
    for entry in entries:
        item = normalise_entry(
            entry,
            source_id=source.id,
            feed_url=feed_url,
            seen_at=seen_at,
            owner=source.owner,
            languages=config.languages,
            zone=zone,
        )
        if item is not None:
            items.setdefault(item.key, item)
    return list(items.values())


def store_collected(
    store: Store, config: Config, matcher: Matcher, collected: Collected
) -> IngestStats:
    """Commit one source's outcome: its items and matches, and its new polling state."""
    with store.session() as session:
        return record_outcome(session, config, matcher, collected)


def record_outcome(
    session: Session, config: Config, matcher: Matcher, collected: Collected
) -> IngestStats:
    """One source's outcome, in the caller's transaction."""
    source, now = collected.source, utcnow()
    interval = config.source_interval(source)
    if collected.error is not None:
        reason = getattr(collected.error, "reason", str(collected.error))
        log.warning("poll failed: %s", reason, extra={"source": source.id, "url": source.url})
        source_store.record_failure(
            session,
            source.id,
            now=now,
            interval=interval,
            max_backoff=config.fetch.max_backoff,
            reason=reason,
            retry_after=collected.retry_after,
        )
        return IngestStats()
    stats = ingest(session, matcher, collected.items, now=now)
    if collected.on_store is not None:
        collected.on_store(session)
    source_store.record_success(
        session,
        source.id,
        now=now,
        interval=interval,
        result=collected.result,
        body_hash=collected.body_hash,
        cursor=collected.cursor,
        warning=collected.warning,
        new_items=stats.new,
    )
    return stats


def ingest(session: Session, matcher: Matcher, items: list[Item], *, now: datetime) -> IngestStats:
    """Store items and match what changed: new ones in bulk, known ones merged one by one."""
    stats = IngestStats()
    known = existing_items(session, [item.key for item in items])
    unseen = {item.key: item for item in reversed(items) if item.key not in known}
    fresh = [(item, matcher.match(item)) for item in reversed(unseen.values())]
    for item, matches in fresh:
        item.by = matches.by
    ids = insert_new_items(session, [(item, content_hash(item)) for item, _ in fresh], now=now)
    record_new_matches(session, [(ids[item.key], m) for item, m in fresh if item.key in ids])
    stats.new = len(ids)
    stats.matches = sum(_tally(m) for item, m in fresh if item.key in ids)
    inserted = {id(item) for item, _ in fresh if item.key in ids}
    for item in items:
        if id(item) in inserted:
            continue
        row = known.get(item.key) or existing_items(session, [item.key])[item.key]
        if merge_item(session, row, item, content_hash=content_hash(item), now=now) == "same":
            continue
        stats.updated += 1
        matches = matcher.match(row_to_item(row))
        record_matches(session, row, matches)
        stats.matches += _tally(matches)
    return stats


def _tally(matches: ItemMatches) -> int:
    """Count a stored item's story matches in the metrics; return its story and follow-up hits."""
    metrics.count_story_matches(matches.stories)
    return len(matches.stories) + len(matches.followups)


def poll_once(
    store: Store,
    config: Config,
    *,
    source_ids: Iterable[str] | None = None,
    progress: Callable[[Collected], None] | None = None,
    **fetcher_options: Any,
) -> PollSummary:
    """`watcher poll --once`: reconcile the config, then poll every active source now."""
    from watcher.match.rematch import rematch_if_config_changed

    with store.session() as session:
        source_store.sync_sources(session, config, utcnow())
        ids = (
            list(source_ids) if source_ids is not None else source_store.active_source_ids(session)
        )
    rematch_if_config_changed(store, config)
    with Fetcher(
        config.fetch, allow_private_networks=config.allow_private_networks, **fetcher_options
    ) as fetcher:
        return poll_sources(
            store, config, ids, fetcher=fetcher, matcher=Matcher(config), progress=progress
        )
