"""Which worker polls which source: due-source selection with expiring claims.

Several ``watcher run`` processes may share one database. A worker *claims* a batch of due
sources (``next_poll_at <= now``, still in the config, not claimed by a live worker) by writing
its id and a lease expiry on them in one statement, and commits at once: the claim, not a lock
held across network I/O, is what keeps the others away. Recording a poll's outcome
(``watcher.store.sources``) clears the claim and moves ``next_poll_at`` past the interval, so a
source is polled once per interval however many workers run. A worker that dies keeps its
claims only until the lease expires; then any worker picks them up.

On PostgreSQL the candidate rows are chosen with ``FOR UPDATE SKIP LOCKED``: two workers claiming
at the same instant each get different rows instead of waiting on each other. SQLite runs the same
single ``UPDATE … WHERE id IN (SELECT …) RETURNING``, which its database-wide write lock makes
atomic.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, or_, select, text, update
from sqlalchemy.orm import Session

from watcher.store.engine import Store
from watcher.store.tables import DeliveryRow, FulfilmentRow, SourceRow


def claim_due_sources(
    session: Session, *, worker_id: str, now: datetime, limit: int, lease: timedelta
) -> list[str]:
    """Claim up to ``limit`` due sources for ``worker_id`` until ``now + lease``, oldest first.

    The caller commits right away (the claim is the lock) and polls the returned ids.
    """
    candidates = (
        select(SourceRow.id)
        .where(*_due(now))
        .order_by(SourceRow.next_poll_at, SourceRow.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claim = (
        update(SourceRow)
        .where(SourceRow.id.in_(candidates.scalar_subquery()))
        .values(claimed_by=worker_id, claimed_until=now + lease)
        .returning(SourceRow.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(claim))


def release_claims(
    session: Session, worker_id: str, source_ids: Collection[str] | None = None
) -> int:
    """Give back this worker's claims (all of them when ``source_ids`` is None) so others may
    poll those sources now rather than after the lease; the sources stay due. Returns how many."""
    query = update(SourceRow).where(SourceRow.claimed_by == worker_id)
    if source_ids is not None:
        if not source_ids:
            return 0
        query = query.where(SourceRow.id.in_(list(source_ids)))
    result = session.execute(
        query.values(claimed_by=None, claimed_until=None).execution_options(
            synchronize_session=False
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claimed_by(session: Session, worker_id: str) -> list[str]:
    """The sources ``worker_id`` holds a claim on (expired or not), for status and tests."""
    query = select(SourceRow.id).where(SourceRow.claimed_by == worker_id).order_by(SourceRow.id)
    return list(session.scalars(query))


def count_due(session: Session, now: datetime) -> int:
    """How many sources are due and unclaimed: the backlog every worker is working through."""
    query = select(func.count()).select_from(SourceRow).where(*_due(now))
    return int(session.scalar(query) or 0)


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Still in the config and enabled, its time has come, and no live worker holds it."""
    return (
        SourceRow.removed_at.is_(None),
        SourceRow.next_poll_at <= now,
        or_(SourceRow.claimed_until.is_(None), SourceRow.claimed_until <= now),
    )


@dataclass(frozen=True, slots=True)
class PollingHealth:
    """The fleet's state, for ``/healthz`` and the gauges every worker reports alike."""

    active: int
    failing: int
    last_success_at: datetime | None
    fulfilled: int = 0
    failing_deliveries: int = 0  # failed, to be tried again
    given_up_deliveries: int = 0
    waiting_deliveries: int = 0  # held by a problem on this side (a secret not set)


def polling_health(session: Session) -> PollingHealth:
    """Active sources, how many of them fail, the latest success of any, follow-ups fulfilled,
    and deliveries failing, given up or waiting."""
    failing = case((SourceRow.consecutive_failures > 0, 1), else_=0)
    active, failing_count, last_success = session.execute(
        select(func.count(), func.sum(failing), func.max(SourceRow.last_success_at)).where(
            SourceRow.removed_at.is_(None)
        )
    ).one()
    fulfilled = session.scalar(select(func.count()).select_from(FulfilmentRow))
    deliveries = dict(
        session.execute(
            select(DeliveryRow.state, func.count())
            .where(DeliveryRow.state.in_(("failed", "given_up", "waiting")))
            .group_by(DeliveryRow.state)
        ).all()
    )
    return PollingHealth(
        int(active),
        int(failing_count or 0),
        last_success,
        int(fulfilled or 0),
        deliveries.get("failed", 0),
        deliveries.get("given_up", 0),
        deliveries.get("waiting", 0),
    )


def last_successes(session: Session) -> dict[str, datetime | None]:
    """Each active source's last successful poll (None: never)."""
    query = select(SourceRow.id, SourceRow.last_success_at).where(SourceRow.removed_at.is_(None))
    return {row.id: row.last_success_at for row in session.execute(query)}


@contextlib.contextmanager
def exclusive(store: Store, name: str) -> Iterator[None]:
    """Hold a database-wide lock named ``name`` across several transactions (PostgreSQL).

    For work that commits in batches yet must not run twice at once, such as a rematch after a
    config edit that every worker notices on start: the second waits, then finds it done.
    """
    if store.dialect != "postgresql":
        yield
        return
    key = zlib.crc32(f"watcher:{name}".encode())
    with store.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


def serialise(session: Session, name: str) -> None:
    """Hold a database-wide lock named ``name`` until the transaction ends.

    Used around work that reads, then writes what it read, such as reconciling the config into
    the sources table or finding where a digest's period starts, so that two workers do not
    act on the same stale read. PostgreSQL: an advisory lock per name. SQLite: its one write
    lock, taken at once by a statement that writes nothing (two processes on one file).
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"watcher:{name}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        session.execute(text("UPDATE state SET key = key WHERE 0"))
