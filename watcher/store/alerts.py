"""Alerts: hits (one per alert and item), messages, and the facts an alert is decided on.

``watcher.jobs.alerts`` decides; this module only holds the queries. A hit is inserted in the
transaction that stored its item's matches, and its unique key (``uq_alert_item``) is what makes
an alert exactly once per item: a second insert (a rematch, another worker) does nothing. Hits
are put into messages under a database-wide lock (``claims.serialise``), each message with one
pending delivery per channel in the same transaction, then delivered through the outbox.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Insert

from watcher.store.tables import (
    AlertHitRow,
    AlertMessageRow,
    DeliveryRow,
    FulfilmentRow,
    ItemRow,
    ItemSourceRow,
    MentionRow,
    StoryMatchRow,
)


@dataclass(frozen=True)
class ItemFacts:
    """What alerts are decided on for one newly stored item."""

    id: int
    published_at: datetime
    by: str | None
    stories: frozenset[str]
    fulfils: tuple[tuple[str, str], ...]  # (story, follow-up) whose fulfilment is this item


def item_facts(session: Session, item_ids: list[int]) -> list[ItemFacts]:
    if not item_ids:
        return []
    stories: dict[int, set[str]] = defaultdict(set)
    query = select(StoryMatchRow.item_id, StoryMatchRow.story_id)
    for item_id, story_id in session.execute(query.where(StoryMatchRow.item_id.in_(item_ids))):
        stories[item_id].add(story_id)
    fulfils: dict[int, list[tuple[str, str]]] = defaultdict(list)
    fulfilments = select(FulfilmentRow.item_id, FulfilmentRow.story_id, FulfilmentRow.followup_id)
    for item_id, story_id, followup_id in session.execute(
        fulfilments.where(FulfilmentRow.item_id.in_(item_ids))
    ):
        fulfils[item_id].append((story_id, followup_id))
    rows = session.execute(
        select(ItemRow.id, ItemRow.published_at, ItemRow.by).where(ItemRow.id.in_(item_ids))
    )
    return [
        ItemFacts(id, published, by, frozenset(stories[id]), tuple(sorted(fulfils[id])))
        for id, published, by in rows
    ]


def insert_hits(session: Session, hits: list[dict[str, object]]) -> None:
    """Insert hits, skipping any (alert, item) already there."""
    if hits:
        session.execute(_insert_ignoring_duplicates(session), hits)


def _insert_ignoring_duplicates(session: Session) -> Insert:
    table = AlertHitRow.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(constraint="uq_alert_item")
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return insert(table)


def pending_hits(session: Session, now: datetime) -> list[AlertHitRow]:
    """Hits in no message yet and due now, oldest first."""
    return list(
        session.scalars(
            select(AlertHitRow)
            .where(AlertHitRow.message_id.is_(None), AlertHitRow.due_at <= now)
            .order_by(AlertHitRow.alert_id, AlertHitRow.found_at, AlertHitRow.id)
        )
    )


def messages_since(session: Session, alert_id: str, since: datetime) -> list[datetime]:
    """When each message of ``alert_id`` built after ``since`` was built, oldest first."""
    query = (
        select(AlertMessageRow.built_at)
        .where(AlertMessageRow.alert_id == alert_id, AlertMessageRow.built_at > since)
        .order_by(AlertMessageRow.built_at)
    )
    return list(session.scalars(query))


def hold_hits(session: Session, hit_ids: list[int], until: datetime) -> None:
    session.execute(
        update(AlertHitRow)
        .where(AlertHitRow.id.in_(hit_ids))
        .values(due_at=until)
        .execution_options(synchronize_session=False)
    )


def insert_message(
    session: Session, message: AlertMessageRow, hit_ids: list[int], channel_ids: list[str]
) -> AlertMessageRow:
    """Store a built message, its hits' link to it and one pending delivery per channel."""
    session.add(message)
    session.flush()
    session.execute(
        update(AlertHitRow)
        .where(AlertHitRow.id.in_(hit_ids), AlertHitRow.message_id.is_(None))
        .values(message_id=message.id)
        .execution_options(synchronize_session=False)
    )
    for channel_id in channel_ids:
        session.add(
            DeliveryRow(
                alert_message_id=message.id,
                channel_id=channel_id,
                state="pending",
                attempts=0,
                created_at=message.built_at,
            )
        )
    session.flush()
    return message


def message_deliveries(session: Session, message_ids: list[int]) -> list[int]:
    if not message_ids:
        return []
    query = select(DeliveryRow.id).where(DeliveryRow.alert_message_id.in_(message_ids))
    return list(session.scalars(query.order_by(DeliveryRow.id)))


def message_of(session: Session, message_id: int) -> AlertMessageRow:
    return session.get_one(AlertMessageRow, message_id)


def hit_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AlertHitRow)) or 0)


# --- what a message says about its items -------------------------------------------------------


@dataclass
class AlertItemRows:
    item: ItemRow
    entities: list[str] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def items_for_message(session: Session, item_ids: Iterable[int]) -> list[AlertItemRows]:
    """The items with their entities, stories and sources, in the order given."""
    ids = list(item_ids)
    rows = {item.id: AlertItemRows(item) for item in session.scalars(
        select(ItemRow).where(ItemRow.id.in_(ids))
    )}  # fmt: skip
    for item_id, entity_id in session.execute(
        select(MentionRow.item_id, MentionRow.entity_id).where(MentionRow.item_id.in_(ids))
    ):
        if entity_id not in rows[item_id].entities:
            rows[item_id].entities.append(entity_id)
    for item_id, story_id in session.execute(
        select(StoryMatchRow.item_id, StoryMatchRow.story_id).where(StoryMatchRow.item_id.in_(ids))
    ):
        rows[item_id].stories.append(story_id)
    for item_id, source_id in session.execute(
        select(ItemSourceRow.item_id, ItemSourceRow.source_id)
        .where(ItemSourceRow.item_id.in_(ids))
        .order_by(ItemSourceRow.first_seen_at)
    ):
        rows[item_id].sources.append(source_id)
    return [rows[item_id] for item_id in ids if item_id in rows]
