"""Digests and deliveries: what a period holds, the outbox of built digests, delivery leases.

The outbox protocol lives in ``watcher.deliver.outbox``; this module only holds its queries. Every
state change of a delivery is one conditional ``UPDATE`` (compare-and-set on ``state`` and
``claimed_by``), which is atomic on SQLite and on PostgreSQL alike, so several workers can share
the table without locks held across network I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watcher.redact import error_text
from watcher.store.tables import (
    ChannelStateRow,
    DeliveryRow,
    DigestRunRow,
    FollowupMatchRow,
    ItemRow,
    ItemSourceRow,
    MentionRow,
    SourceRow,
    StoryMatchRow,
)

# --- what a period holds ----------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodItems:
    """The items first seen in a period that matched something, with what matching recorded."""

    items: list[ItemRow]
    stories: dict[int, set[str]]
    followups: dict[int, set[tuple[str, str]]]
    mentions: dict[int, list[MentionRow]]
    sources: dict[int, list[str]]


def period_items(session: Session, start: datetime, end: datetime) -> PeriodItems:
    """Items first seen in ``[start, end)`` that matched a story or mention a watched entity.

    First-seen time rather than published time: an item published last week but found today (a
    late feed, an archive backfill) is news to the reader, and no item falls between two periods.
    """
    matched = or_(
        exists().where(StoryMatchRow.item_id == ItemRow.id),
        exists().where(MentionRow.item_id == ItemRow.id),
    )
    items = list(
        session.scalars(
            select(ItemRow)
            .where(ItemRow.first_seen_at >= start, ItemRow.first_seen_at < end, matched)
            .order_by(ItemRow.published_at.desc(), ItemRow.id)
        )
    )
    ids = [item.id for item in items]
    return PeriodItems(
        items=items,
        stories=_grouped(session, select(StoryMatchRow.item_id, StoryMatchRow.story_id), ids),
        followups=_followups(session, ids),
        mentions=_mentions(session, ids),
        sources=_item_sources(session, ids),
    )


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for index in range(0, len(ids), size):
        yield ids[index : index + size]


def _grouped(session: Session, query, ids: list[int]) -> dict[int, set[str]]:  # type: ignore[no-untyped-def]
    grouped: dict[int, set[str]] = defaultdict(set)
    item_column = query.selected_columns[0]
    for chunk in _chunks(ids):
        for item_id, value in session.execute(query.where(item_column.in_(chunk))):
            grouped[item_id].add(value)
    return dict(grouped)


def _followups(session: Session, ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    grouped: dict[int, set[tuple[str, str]]] = defaultdict(set)
    query = select(
        FollowupMatchRow.item_id, FollowupMatchRow.story_id, FollowupMatchRow.followup_id
    )
    for chunk in _chunks(ids):
        for item_id, story_id, followup_id in session.execute(
            query.where(FollowupMatchRow.item_id.in_(chunk))
        ):
            grouped[item_id].add((story_id, followup_id))
    return dict(grouped)


def _mentions(session: Session, ids: list[int]) -> dict[int, list[MentionRow]]:
    grouped: dict[int, list[MentionRow]] = defaultdict(list)
    for chunk in _chunks(ids):
        for mention in session.scalars(select(MentionRow).where(MentionRow.item_id.in_(chunk))):
            grouped[mention.item_id].append(mention)
    return dict(grouped)


def _item_sources(session: Session, ids: list[int]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = defaultdict(list)
    query = select(ItemSourceRow.item_id, ItemSourceRow.source_id).order_by(
        ItemSourceRow.first_seen_at
    )
    for chunk in _chunks(ids):
        for item_id, source_id in session.execute(query.where(ItemSourceRow.item_id.in_(chunk))):
            grouped[item_id].append(source_id)
    return dict(grouped)


def failing_sources(session: Session, failing_before: datetime) -> list[SourceRow]:
    """Sources still in the config that have failed continuously since before ``failing_before``."""
    return list(
        session.scalars(
            select(SourceRow)
            .where(
                SourceRow.removed_at.is_(None),
                SourceRow.failing_since.is_not(None),
                SourceRow.failing_since <= failing_before,
            )
            .order_by(SourceRow.failing_since, SourceRow.id)
        )
    )


def source_names(session: Session) -> dict[str, str]:
    """Source id → the URL it was last polled at (for sources no longer in the config)."""
    return {row.id: row.url for row in session.execute(select(SourceRow.id, SourceRow.url))}


# --- the outbox -------------------------------------------------------------------------------


def find_run(session: Session, digest_id: str, period_end: datetime) -> DigestRunRow | None:
    return session.scalars(
        select(DigestRunRow).where(
            DigestRunRow.digest_id == digest_id, DigestRunRow.period_end == period_end
        )
    ).one_or_none()


def run_covering(session: Session, digest_id: str, moment: datetime) -> DigestRunRow | None:
    """A run of ``digest_id`` whose period contains ``moment`` strictly inside or at its end
    and reaches past it: a later run already sent what a period ending at ``moment`` would."""
    return session.scalars(
        select(DigestRunRow)
        .where(
            DigestRunRow.digest_id == digest_id,
            DigestRunRow.period_start < moment,
            DigestRunRow.period_end > moment,
        )
        .limit(1)
    ).first()


def previous_period_end(session: Session, digest_id: str, before: datetime) -> datetime | None:
    """The end of the latest run of ``digest_id`` that ended before ``before``."""
    return session.scalar(
        select(func.max(DigestRunRow.period_end)).where(
            DigestRunRow.digest_id == digest_id, DigestRunRow.period_end < before
        )
    )


def insert_run(session: Session, run: DigestRunRow, channel_ids: list[str], state: str) -> bool:
    """Store a built run and one delivery per channel; False when another worker stored it first.

    The insert runs in a savepoint: losing the race on ``uq_digest_period`` rolls back only this
    attempt, and the caller goes on to deliver the winner's run.
    """
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
            for channel_id in channel_ids:
                session.add(
                    DeliveryRow(
                        run_id=run.id,
                        channel_id=channel_id,
                        state=state,
                        attempts=0,
                        created_at=run.built_at,
                    )
                )
            session.flush()
    except IntegrityError:  # the savepoint's rollback already dropped ``run`` from the session
        return False
    return True


def claimable_deliveries(session: Session, now: datetime, run_id: int | None = None) -> list[int]:
    """Deliveries due now: pending or failed and due, or sending with an expired lease."""
    due = or_(
        and_(
            DeliveryRow.state.in_(("pending", "failed")),
            or_(DeliveryRow.next_attempt_at.is_(None), DeliveryRow.next_attempt_at <= now),
        ),
        and_(DeliveryRow.state == "sending", DeliveryRow.claimed_until < now),
    )
    query = select(DeliveryRow.id).where(due).order_by(DeliveryRow.id)
    if run_id is not None:
        query = query.where(DeliveryRow.run_id == run_id)
    return list(session.scalars(query))


def claim_delivery(
    session: Session, delivery_id: int, worker: str, now: datetime, lease: timedelta
) -> DeliveryRow | None:
    """Take the lease on one due delivery; None when another worker holds or finished it.

    One conditional UPDATE: of two workers racing for the same row, exactly one sees a row count
    of 1 (PostgreSQL re-checks the WHERE clause after waiting for the other's row lock).
    """
    result = session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.id == delivery_id,
            or_(
                and_(
                    DeliveryRow.state.in_(("pending", "failed")),
                    or_(
                        DeliveryRow.next_attempt_at.is_(None),
                        DeliveryRow.next_attempt_at <= now,
                    ),
                ),
                and_(DeliveryRow.state == "sending", DeliveryRow.claimed_until < now),
            ),
        )
        .values(
            state="sending",
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=DeliveryRow.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalars(
        select(DeliveryRow)
        .where(DeliveryRow.id == delivery_id)
        .execution_options(populate_existing=True)
    ).one()


def finish_delivery(session: Session, delivery_id: int, worker: str, **values: object) -> bool:
    """Record an outcome, only if ``worker`` still holds the lease (a stale worker cannot).

    An error text is kept redacted and clipped (``error_text``)."""
    if isinstance(values.get("last_error"), str):
        values["last_error"] = error_text(str(values["last_error"]))
    result = session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.id == delivery_id,
            DeliveryRow.state == "sending",
            DeliveryRow.claimed_by == worker,
        )
        .values(claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def delivery_states(session: Session, run_id: int) -> dict[str, str]:
    """Channel id → state of each delivery of one run."""
    query = select(DeliveryRow.channel_id, DeliveryRow.state).where(DeliveryRow.run_id == run_id)
    return {row.channel_id: row.state for row in session.execute(query)}


def run_of(session: Session, run_id: int) -> DigestRunRow:
    return session.get_one(DigestRunRow, run_id)


def given_up_deliveries(
    session: Session, start: datetime, end: datetime
) -> list[tuple[DeliveryRow, DigestRunRow]]:
    """Deliveries given up in ``[start, end)``: the next digest tells the reader about them."""
    rows = session.execute(
        select(DeliveryRow, DigestRunRow)
        .join(DigestRunRow, DigestRunRow.id == DeliveryRow.run_id)
        .where(
            DeliveryRow.state == "given_up",
            DeliveryRow.given_up_at >= start,
            DeliveryRow.given_up_at < end,
        )
        .order_by(DeliveryRow.given_up_at)
    )
    return [(delivery, run) for delivery, run in rows]


def recent_deliveries(
    session: Session, limit: int = 50, offset: int = 0
) -> list[tuple[DeliveryRow, DigestRunRow]]:
    rows = session.execute(
        select(DeliveryRow, DigestRunRow)
        .join(DigestRunRow, DigestRunRow.id == DeliveryRow.run_id)
        .order_by(DigestRunRow.period_end.desc(), DeliveryRow.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(delivery, run) for delivery, run in rows]


# --- channels disabled by the daemon ----------------------------------------------------------


def disabled_channels(session: Session) -> dict[str, ChannelStateRow]:
    rows = session.scalars(select(ChannelStateRow).where(ChannelStateRow.disabled_at.is_not(None)))
    return {row.channel_id: row for row in rows}


def disable_channel(session: Session, channel_id: str, now: datetime, reason: str) -> None:
    reason = error_text(reason)
    row = session.get(ChannelStateRow, channel_id)
    if row is None:
        session.add(ChannelStateRow(channel_id=channel_id, disabled_at=now, reason=reason))
    else:
        row.disabled_at = now
        row.reason = reason


def enable_channel(session: Session, channel_id: str) -> bool:
    """Re-enable a channel the daemon disabled; False when it was not disabled."""
    row = session.get(ChannelStateRow, channel_id)
    if row is None or row.disabled_at is None:
        return False
    row.disabled_at = None
    row.reason = None
    return True
