"""`watcher backfill`: walk archives (and paged feeds) back to a date, resumably.

An archived account is walked from ``--since`` up to where its polls begin (its cursor; now
when it was never polled), oldest capture first, in small chunks. Each chunk's posts, its
captures and the backfill's mark (``through``: the capture up to which all is done) are
committed together, so Ctrl-C loses at most the chunk in flight, and running the command again
starts from the mark, skips every capture already recorded, and stores nothing twice.

A feed that offers RFC 5005 paging (``rel="next"`` or ``prev-archive``) is followed page by page
until a page reaches back past ``--since``; the mark is the next page to read. A feed without
paging has nothing older to give.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from watcher.clock import Clock, utcnow
from watcher.config import Config, Source
from watcher.errors import FetchError, WatcherError
from watcher.fetch.archive import list_captures, to_timestamp
from watcher.fetch.clients import Clients
from watcher.jobs.archive_walk import PostCollector
from watcher.jobs.poll import IngestStats, ingest
from watcher.match import Matcher
from watcher.model import Capture, CaptureOutcome
from watcher.normalise import normalise_entries
from watcher.parse import parse_feed
from watcher.store import Store
from watcher.store import archive as archive_store
from watcher.store.sources import sync_sources

log = logging.getLogger(__name__)

CHUNK = 20  # captures per transaction: the most a Ctrl-C can cost
MAX_PAGES = 500  # a feed that pages forever stops here


class Progress(Protocol):
    """What a progress display is told: a source starts (``total`` captures, or None for pages),
    then advances by captures or pages processed and items stored."""

    def begin(self, source_id: str, total: int | None) -> None: ...

    def advance(self, source_id: str, *, steps: int, items: int) -> None: ...


class _Silent:
    def begin(self, source_id: str, total: int | None) -> None:
        pass

    def advance(self, source_id: str, *, steps: int, items: int) -> None:
        pass


@dataclass(slots=True)
class BackfillResult:
    source_id: str
    kind: str
    steps: int = 0  # captures or pages processed in this run
    new: int = 0
    updated: int = 0
    resumed_from: str | None = None
    error: str | None = None
    resumable: bool = False  # the error was transient: running again may get further

    def line(self) -> str:
        unit = ("capture" if self.kind == "archive" else "page") + ("" if self.steps == 1 else "s")
        items = "item" if self.new == 1 else "items"
        text = (
            f"{self.source_id}: {self.steps} {unit}, {self.new} new {items}, {self.updated} updated"
        )
        if self.resumed_from:
            text += f" (resumed from {self.resumed_from})"
        return text + (f"; stopped: {self.error}" if self.error else "")


def backfill(
    store: Store,
    config: Config,
    *,
    since: date,
    clients: Clients,
    source_ids: Iterable[str] | None = None,
    progress: Progress | None = None,
    clock: Clock = utcnow,
) -> list[BackfillResult]:
    """Backfill the given sources (default: every enabled one); one failing never stops the rest.

    News searches are left out: each poll asks them for what is new.
    """
    wanted = set(source_ids) if source_ids is not None else None
    sources = [
        s
        for s in config.sources
        if (s.id in wanted if wanted is not None else s.enabled) and s.kind != "search"
    ]
    with store.session() as session:
        sync_sources(session, config, clock())
    walk = _Walk(store, config, since, clients, progress or _Silent(), clock)
    return [walk.source(source) for source in sources]


class _Walk:
    """The shared pieces of one backfill run: store, matcher, clients, progress, clock."""

    def __init__(
        self,
        store: Store,
        config: Config,
        since: date,
        clients: Clients,
        progress: Progress,
        clock: Clock,
    ) -> None:
        self.store = store
        self.config = config
        self.since = since
        self.clients = clients
        self.progress = progress
        self.clock = clock
        self.matcher = Matcher(config)

    def source(self, source: Source) -> BackfillResult:
        result = BackfillResult(source.id, source.kind)
        try:
            if source.kind == "archive":
                self._archive(source, result)
            else:
                self._feed(source, result)
        except WatcherError as error:
            log.warning("backfill of %s stopped: %s", source.id, error)
            result.error = str(getattr(error, "reason", error))
            result.resumable = isinstance(error, FetchError) and error.transient
        return result

    # --- archived accounts ------------------------------------------------------------------

    def _archive(self, source: Source, result: BackfillResult) -> None:
        start = self.since.strftime("%Y%m%d") + "000000"
        with self.store.session() as session:
            mark = archive_store.backfill_mark(session, source.id)
            until = archive_store.source_cursor(session, source.id) or to_timestamp(self.clock())
            if mark is not None and mark.since <= self.since and mark.through:
                start = result.resumed_from = mark.through  # finished or not, all before is done
            done = archive_store.capture_log(session, source.id, since=start)
        captures = list_captures(self.clients.archive, source, since=start, until=until, log=done)
        self.progress.begin(source.id, len(captures))
        collector = PostCollector(self.clients.archive, source, self.config, done)
        for chunk in _chunks(captures, CHUNK):
            outcomes, failure = _process(collector, chunk)
            self._store_chunk(source, collector, outcomes, result)
            if failure is not None:
                raise failure
        with self.store.session() as session:
            archive_store.advance_cursor(session, source.id, until)
            self._save_mark(session, source.id, until, finished=True)

    def _store_chunk(
        self,
        source: Source,
        collector: PostCollector,
        outcomes: list[CaptureOutcome],
        result: BackfillResult,
    ) -> None:
        """One transaction: the chunk's posts, its captures, and the mark just past them."""
        entries = list(collector.entries.values())
        collector.entries.clear()
        now = self.clock()
        items = normalise_entries(
            entries,
            source,
            feed_url=source.url,
            seen_at=now,
            languages=self.config.languages,
            zone=self.config.source_zone(source),
        )
        with self.store.session() as session:
            stats = ingest(session, self.matcher, items, now=now)
            archive_store.mark_captures(session, source.id, outcomes, now=now)
            if outcomes:
                self._save_mark(session, source.id, outcomes[-1].capture.timestamp)
        stats.count()
        self._count(source.id, result, len(outcomes), stats)

    # --- paged feeds --------------------------------------------------------------------------

    def _feed(self, source: Source, result: BackfillResult) -> None:
        url: str | None = source.url
        with self.store.session() as session:
            mark = archive_store.backfill_mark(session, source.id)
        if mark is not None and not mark.finished and mark.since <= self.since:
            url = result.resumed_from = mark.through
        self.progress.begin(source.id, None)
        visited: set[str] = set()
        while url and url not in visited and len(visited) < MAX_PAGES:
            visited.add(url)
            # Pages after the first are links the feed chose: fetched as untrusted.
            fetched = self.clients.http.get(
                url, source_id=source.id, untrusted=url != source.url, configured=source.url
            )
            parsed = parse_feed(
                fetched.body or b"",
                source_id=source.id,
                url=fetched.final_url,
                content_type=fetched.content_type,
            )
            now = self.clock()
            items = normalise_entries(
                parsed.entries,
                source,
                feed_url=fetched.final_url,
                seen_at=now,
                languages=self.config.languages,
                zone=self.config.source_zone(source),
            )
            reached = any(item.published.date() < self.since for item in items)
            url = None if reached or not items else parsed.next_page
            with self.store.session() as session:
                stats = ingest(session, self.matcher, items, now=now)
                self._save_mark(session, source.id, url, finished=url is None)
            stats.count()
            self._count(source.id, result, 1, stats)

    # --- shared -------------------------------------------------------------------------------

    def _save_mark(
        self, session: Session, source_id: str, through: str | None, *, finished: bool = False
    ) -> None:
        archive_store.save_backfill_mark(
            session,
            source_id,
            archive_store.BackfillMark(self.since, through, finished),
            now=self.clock(),
        )

    def _count(
        self, source_id: str, result: BackfillResult, steps: int, stats: IngestStats
    ) -> None:
        result.steps += steps
        result.new += stats.new
        result.updated += stats.updated
        self.progress.advance(source_id, steps=steps, items=stats.new)


def _process(
    collector: PostCollector, chunk: list[Capture]
) -> tuple[list[CaptureOutcome], WatcherError | None]:
    """Process captures until one fails transiently; return what was done and that failure."""
    outcomes: list[CaptureOutcome] = []
    for capture in chunk:
        try:
            outcomes.append(collector.process(capture))
        except WatcherError as error:
            return outcomes, error
    return outcomes, None


def _chunks(captures: list[Capture], size: int) -> Iterator[list[Capture]]:
    for index in range(0, len(captures), size):
        yield captures[index : index + size]
