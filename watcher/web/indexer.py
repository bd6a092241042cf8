"""Keeps the search index up to date, in a background thread of whatever serves the web view.

A pass indexes, in batches of one transaction each, the items stored or changed since the last
complete pass (``watcher.store.search_index``); the first pass indexes everything. Searches never
wait for it: what it has not reached yet is matched directly. This thread, writing to the
index table and one state row, is the only writer the web view has; no request writes.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from watcher.clock import Clock, utcnow
from watcher.match.item_search import index_words
from watcher.store import Store
from watcher.store.items import row_to_item
from watcher.store.search_index import (
    has_index,
    pending_since,
    prune_index,
    save_indexed_until,
    stale_items,
    write_index,
)

log = logging.getLogger(__name__)

EVERY = timedelta(seconds=30)
PRUNE_EVERY = timedelta(hours=1)
BATCH = 500


class SearchIndexer:
    def __init__(self, store: Store, *, every: timedelta = EVERY, clock: Clock = utcnow) -> None:
        self.store = store
        self.every = every
        self.clock = clock
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="search-index", daemon=True)
        self._pruned_at: datetime | None = None

    def index(self) -> int:
        """One pass; returns how many items it (re)indexed."""
        started = self.clock()
        with self.store.session() as session:
            if not has_index(session):
                return 0
            since = pending_since(session)
        count, after = 0, None
        while True:
            if self._stopping.is_set():
                return count  # the next start goes on from the same point
            with self.store.session() as session:
                rows = stale_items(session, since, after, BATCH)
                documents = [(r.id, r.updated_at, index_words(row_to_item(r))) for r in rows]
                write_index(session, documents)
            if not rows:
                break
            count += len(rows)
            after = (rows[-1].updated_at, rows[-1].id)
        with self.store.session() as session:
            save_indexed_until(session, started)
            if self._pruned_at is None or started - self._pruned_at >= PRUNE_EVERY:
                prune_index(session)
                self._pruned_at = started
        return count

    def start(self) -> SearchIndexer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            began = time.monotonic()
            try:
                count = self.index()
            except Exception:  # the next pass tries again; searches meanwhile read more items
                log.exception("search index: a pass failed", extra={"event": "search.index"})
            else:
                if count:
                    log.info(
                        "search index: %d items indexed",
                        count,
                        extra={
                            "event": "search.indexed",
                            "count": count,
                            "duration": round(time.monotonic() - began, 3),
                        },
                    )
            self._stopping.wait(self.every.total_seconds())
