"""What the web view reads: items by filter, page after page; mentions per day; digest runs.

Every query here only reads. Item lists are newest first and paged by keyset (``Cursor``: the
last item shown), so page 500 costs what page 1 does and a new item never shifts a page.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, exists, func, or_, select, text
from sqlalchemy.orm import Session

from watcher.store.engine import Store
from watcher.store.items import ItemView, attach_matches
from watcher.store.tables import (
    DeliveryRow,
    DigestRunRow,
    ItemRow,
    ItemSourceRow,
    MentionRow,
    StoryMatchRow,
)


@contextlib.contextmanager
def reading(store: Store) -> Iterator[Session]:
    """A session that never commits; on PostgreSQL the transaction refuses writes as well."""
    with store.sessions() as session:
        if store.dialect == "postgresql":
            session.execute(text("SET TRANSACTION READ ONLY"))
        try:
            yield session
        finally:
            session.rollback()


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """Narrow a list of items: to a story's matches, an entity's mentions, a language (``ar``
    also takes ``ar-EG``), a source that carried the item."""

    story: str | None = None
    entity: str | None = None
    language: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: the next one starts after this item (newest-first order)."""

    published: datetime
    item_id: int


def cursor_at(session: Session, item_id: int) -> Cursor | None:
    published = session.scalar(select(ItemRow.published_at).where(ItemRow.id == item_id))
    return Cursor(published, item_id) if published is not None else None


def narrowed(query: Select, filters: ItemFilter) -> Select:
    """``query`` (over items) restricted by ``filters``."""
    if filters.story is not None:
        # A join: a story's matches are usually few of all items (see list_items).
        query = query.join(StoryMatchRow, StoryMatchRow.item_id == ItemRow.id).where(
            StoryMatchRow.story_id == filters.story
        )
    if filters.entity is not None:
        mentioned = select(MentionRow.item_id).where(MentionRow.entity_id == filters.entity)
        query = query.where(ItemRow.id.in_(mentioned))
    if filters.language is not None:
        language = ItemRow.language
        query = query.where(
            or_(language == filters.language, language.like(f"{filters.language}-%"))
        )
    if filters.source is not None:
        query = query.where(
            exists().where(
                ItemSourceRow.item_id == ItemRow.id, ItemSourceRow.source_id == filters.source
            )
        )
    return query


def newest_first(query: Select, before: Cursor | None, limit: int) -> Select:
    """One page of ``query`` in newest-first order, after ``before``."""
    if before is not None:
        query = query.where(
            or_(
                ItemRow.published_at < before.published,
                and_(ItemRow.published_at == before.published, ItemRow.id < before.item_id),
            )
        )
    return query.order_by(ItemRow.published_at.desc(), ItemRow.id.desc()).limit(limit)


def browse_items(
    session: Session, filters: ItemFilter, *, before: Cursor | None, limit: int
) -> list[ItemView]:
    """A page of items matching ``filters``, with their entities, stories and follow-ups."""
    rows = session.scalars(newest_first(narrowed(select(ItemRow), filters), before, limit))
    return views_of(session, list(rows))


def views_of(session: Session, rows: list[ItemRow]) -> list[ItemView]:
    """``rows`` as ``ItemView``s (in the same order), their matches loaded in three queries."""
    views = {row.id: ItemView(row) for row in rows}
    attach_matches(session, views)
    return list(views.values())


def item_sources(session: Session, item_id: int) -> list[str]:
    """Every source that carried the item, the first one first."""
    query = (
        select(ItemSourceRow.source_id)
        .where(ItemSourceRow.item_id == item_id)
        .order_by(ItemSourceRow.first_seen_at, ItemSourceRow.source_id)
    )
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class StoryCount:
    items: int
    latest: datetime | None


def story_counts(session: Session) -> dict[str, StoryCount]:
    """Per story: how many items it matched, and when the newest was published."""
    query = (
        select(StoryMatchRow.story_id, func.count(), func.max(ItemRow.published_at))
        .join(ItemRow, ItemRow.id == StoryMatchRow.item_id)
        .group_by(StoryMatchRow.story_id)
    )
    return {story: StoryCount(count, latest) for story, count, latest in session.execute(query)}


def mentions_since(
    session: Session, filters: ItemFilter, since: datetime
) -> list[tuple[datetime, str]]:
    """(published, entity) once per item and entity it mentions, for items since ``since``."""
    query = (
        select(ItemRow.id, ItemRow.published_at, MentionRow.entity_id)
        .join(MentionRow, MentionRow.item_id == ItemRow.id)
        .where(ItemRow.published_at >= since)
        .distinct()
    )
    rows = session.execute(narrowed(query, filters))
    return [(published, entity_id) for _, published, entity_id in rows]


# --- digests and deliveries ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunView:
    run: DigestRunRow
    deliveries: list[DeliveryRow]


def digest_runs(session: Session, *, limit: int, offset: int) -> list[RunView]:
    """Built digests, the latest period first, each with its deliveries."""
    runs = list(
        session.scalars(
            select(DigestRunRow)
            .order_by(DigestRunRow.period_end.desc(), DigestRunRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    by_run: dict[int, list[DeliveryRow]] = defaultdict(list)
    if runs:
        query = (
            select(DeliveryRow)
            .where(DeliveryRow.run_id.in_([run.id for run in runs]))
            .order_by(DeliveryRow.channel_id)
        )
        for delivery in session.scalars(query):
            by_run[delivery.run_id].append(delivery)
    return [RunView(run, by_run[run.id]) for run in runs]


def digest_run(session: Session, run_id: int) -> DigestRunRow | None:
    return session.get(DigestRunRow, run_id)
