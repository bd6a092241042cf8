"""Archive bookkeeping: which Wayback captures are done, and how far each backfill got.

A capture is recorded in the same transaction as the posts it gave, so after a crash or a
Ctrl-C a capture is either done (and its post stored) or not (and fetched again): never lost,
never repeated. Outcomes: ``item`` (a complete post), ``truncated`` (a post whose text was cut
short: other captures of it are still worth fetching), ``empty`` (no post in it), ``failed``
(the archive had no usable snapshot), ``skipped`` (its post was already complete).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watcher.model import CaptureLog, CaptureOutcome
from watcher.store.tables import ArchiveCaptureRow, SourceRow, StateRow


def mark_captures(
    session: Session, source_id: str, outcomes: Iterable[CaptureOutcome], *, now: datetime
) -> int:
    """Record processed captures (a capture recorded twice is kept once); return how many."""
    rows = [
        {
            "source_id": source_id,
            "timestamp": o.capture.timestamp,
            "original": o.capture.original,
            "status_id": o.capture.status_id,
            "outcome": o.outcome,
            "fetched_at": _naive(now),
        }
        for o in outcomes
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(ArchiveCaptureRow).values(rows).on_conflict_do_nothing())
    return len(rows)


def capture_log(session: Session, source_id: str, *, since: str | None = None) -> CaptureLog:
    """What is done for a source: captures from ``since`` on, and every complete post."""
    done = select(ArchiveCaptureRow.timestamp, ArchiveCaptureRow.original).where(
        ArchiveCaptureRow.source_id == source_id
    )
    if since:
        done = done.where(ArchiveCaptureRow.timestamp >= since)
    complete = select(ArchiveCaptureRow.status_id).where(
        ArchiveCaptureRow.source_id == source_id,
        ArchiveCaptureRow.outcome == "item",
        ArchiveCaptureRow.status_id.is_not(None),
    )
    return CaptureLog(
        done=frozenset((ts, original) for ts, original in session.execute(done)),
        complete=frozenset(status_id for status_id in session.scalars(complete) if status_id),
    )


def source_cursor(session: Session, source_id: str) -> str | None:
    row = session.get(SourceRow, source_id)
    return row.cursor if row else None


def advance_cursor(session: Session, source_id: str, cursor: str) -> None:
    """Move a source's cursor forward (never back): a backfill that reached the present."""
    row = session.get_one(SourceRow, source_id)
    if row.cursor is None or cursor > row.cursor:
        row.cursor = cursor


# --- backfill progress ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackfillMark:
    """A backfill of ``source_id`` from ``since``: everything up to ``through`` is done."""

    since: date
    through: str | None
    finished: bool = False


def _state_key(source_id: str) -> str:
    return f"backfill:{source_id}"


def backfill_mark(session: Session, source_id: str) -> BackfillMark | None:
    row = session.get(StateRow, _state_key(source_id))
    if row is None:
        return None
    value = json.loads(row.value)
    return BackfillMark(date.fromisoformat(value["since"]), value["through"], value["finished"])


def save_backfill_mark(
    session: Session, source_id: str, mark: BackfillMark, *, now: datetime
) -> None:
    value = json.dumps(
        {"since": mark.since.isoformat(), "through": mark.through, "finished": mark.finished}
    )
    row = session.get(StateRow, _state_key(source_id))
    if row is None:
        session.add(StateRow(key=_state_key(source_id), value=value, updated_at=_naive(now)))
    else:
        row.value, row.updated_at = value, _naive(now)


def _naive(moment: datetime) -> datetime:
    """Naive UTC, as every time in the schema."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
