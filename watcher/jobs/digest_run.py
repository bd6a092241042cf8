"""A digest run: period → build → render → outbox → deliver, once per (digest, period).

``run_digest`` reads top to bottom: find where the period starts (the previous run's end, else
the trigger's previous slot), build what it holds (``watcher.digest.build``), render it
(``watcher.digest.render``), store the run with one pending delivery per channel
(``watcher.store.digests``), then deliver each (``watcher.deliver.outbox``). A run already
stored (another worker, an earlier attempt) is delivered as stored, never rebuilt: see the
outbox's docstring for how each period reaches each channel exactly once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from watcher.config import Config, Digest
from watcher.deliver.outbox import BackendFactory, deliver_run
from watcher.deliver.registry import backend_for
from watcher.digest.build import build_digest
from watcher.digest.period import previous_slot
from watcher.digest.render import render_digest
from watcher.store import Store
from watcher.store import digests as queries
from watcher.store.claims import serialise
from watcher.store.tables import DigestRunRow

log = logging.getLogger(__name__)


class DigestLocks:
    """One lock per digest: runs of one digest are built one at a time in this process.

    Owned by whoever runs digests (the daemon, for as long as it lives, across reloads; a CLI
    command for its run) and passed down; PostgreSQL's advisory lock does the same across
    workers.
    """

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def of(self, digest_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(digest_id, threading.Lock())


@dataclass
class RunResult:
    digest_id: str
    period_start: datetime
    period_end: datetime
    run_id: int
    built: bool  # this call built and stored the run (False: it was stored already)
    skipped: bool  # skip_empty and nothing new: nothing is sent for this period
    deliveries: dict[str, str] = field(default_factory=dict)  # channel id → state now


def run_digest(
    store: Store,
    config: Config,
    digest_id: str,
    period_end: datetime,
    *,
    now: datetime,
    worker: str,
    locks: DigestLocks,
    backends: BackendFactory = backend_for,
) -> RunResult:
    """Build (once) and deliver (once per channel) the period of ``digest_id`` ending then."""
    digest = config.digest(digest_id)
    run, built = build_run(store, config, digest, period_end, now=now, locks=locks)
    states = deliver_run(store, config, run.id, now=now, worker=worker, backends=backends)
    return RunResult(
        digest_id=digest_id,
        period_start=run.period_start,
        period_end=run.period_end,
        run_id=run.id,
        built=built,
        skipped=bool(run.payload.get("skipped")),
        deliveries=states,
    )


def period_start(
    session: Session, config: Config, digest: Digest, period_end: datetime
) -> datetime:
    """Where a period starts: the previous run's end, else the trigger's previous slot."""
    previous = queries.previous_period_end(session, digest.id, period_end)
    return previous or previous_slot(digest, config.tz, period_end)


def build_run(
    store: Store,
    config: Config,
    digest: Digest,
    period_end: datetime,
    *,
    now: datetime,
    locks: DigestLocks,
) -> tuple[DigestRunRow, bool]:
    """The stored run of (digest, period end), building and storing it when absent.

    Runs of one digest are built one at a time (``locks`` in this process, an advisory lock on
    PostgreSQL across workers), so each reads the previous run's end as it stands. A slot that a
    later run already covers (catch-up at start racing the slot's own job) gets that run rather
    than a second period over the same items.
    """
    with locks.of(digest.id), store.session() as session:
        serialise(session, f"digest:{digest.id}")
        existing = queries.find_run(session, digest.id, period_end) or queries.run_covering(
            session, digest.id, period_end
        )
        if existing is not None:
            return existing, False
        start = period_start(session, config, digest, period_end)
        content = build_digest(session, config, digest, start, period_end)
        skipped = content.empty and digest.skip_empty
        rendered = render_digest(content, config, digest)
        run = DigestRunRow(
            digest_id=digest.id,
            period_start=start,
            period_end=period_end,
            built_at=now,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            payload=content.as_dict() | {"skipped": skipped},
            item_count=content.item_count,
        )
        state = "skipped" if skipped else "pending"
        if queries.insert_run(session, run, list(digest.send_to), state):
            log.info(
                "built digest %s for the period ending %s: %d items",
                digest.id,
                period_end.isoformat(),
                content.item_count,
                extra={"digest": digest.id, "event": "digest_built", "items": content.item_count},
            )
            return run, True
    with store.session() as session:
        stored = queries.find_run(session, digest.id, period_end)
        if stored is None:
            raise RuntimeError(f"digest run {digest.id} {period_end} vanished after a conflict")
        return stored, False
