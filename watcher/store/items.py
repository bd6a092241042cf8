"""Items: store each real article once, whichever feeds and polls it comes from; list them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from watcher.clock import date_from, iso_utc
from watcher.store.tables import (
    FollowupMatchRow,
    ItemRow,
    ItemSourceRow,
    MentionRow,
    StoryMatchRow,
)

if TYPE_CHECKING:  # imported when needed: `watcher items` lists rows and never builds an Item
    from watcher.model import Item

Outcome = Literal["new", "updated", "same"]


def existing_items(session: Session, keys: list[str]) -> dict[str, ItemRow]:
    """The stored items among ``keys``, in one query (a feed's entries are checked together)."""
    if not keys:
        return {}
    return {row.key: row for row in session.scalars(select(ItemRow).where(ItemRow.key.in_(keys)))}


def insert_new_items(
    session: Session, items: list[tuple[Item, str]], *, now: datetime
) -> dict[str, int]:
    """Insert items not stored yet, with their content hashes, in one statement.

    Returns key → id of the rows inserted. A key another worker inserted meanwhile is skipped
    (``ON CONFLICT DO NOTHING``) and left out: the caller merges it like any known item.
    """
    if not items:
        return {}
    table = ItemRow.__table__
    # Imported here: listing items needs neither dialect's INSERT … ON CONFLICT.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        insert: Any = postgres_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = sqlite_insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.id, table.c.key)
    )
    rows = [_columns(item, digest) | _first_seen(item, now) for item, digest in items]
    ids = {key: item_id for item_id, key in session.execute(statement, rows)}
    if ids:
        source_of = {item.key: item.source_id for item, _ in items}
        links = [
            {"item_id": ids[key], "source_id": source_of[key], "first_seen_at": now} for key in ids
        ]
        session.execute(ItemSourceRow.__table__.insert(), links)
    return ids


def _first_seen(item: Item, now: datetime) -> dict[str, object]:
    """An item without a usable date of its own is dated the moment it is first stored."""
    seen: dict[str, object] = {"first_seen_at": now, "updated_at": now}
    return seen | {"published_at": now} if item.published_estimated else seen


def merge_item(
    session: Session, row: ItemRow, item: Item, *, content_hash: str, now: datetime
) -> Outcome:
    """Merge another copy of a stored item into its row: ``updated`` or ``same``."""
    _link_source(session, row.id, item.source_id, now)
    return "updated" if _merge(row, item, content_hash, now) else "same"


def _columns(item: Item, content_hash: str) -> dict[str, object]:
    return {
        "key": item.key,
        "url": item.url,
        "guid": item.guid,
        "title": item.title,
        "summary": item.summary,
        "summary_html": item.summary_html,
        "text": item.text,
        "author": item.author,
        "by": item.by,
        "language": item.language,
        "source_id": item.source_id,
        "published_at": item.published,
        "published_estimated": item.published_estimated,
        "content_hash": content_hash,
        "extra": item.extra,
    }


def _merge(row: ItemRow, item: Item, content_hash: str, now: datetime) -> bool:
    """Let a later copy add what the first lacked; return whether anything changed.

    Text is replaced when the stored one was cut short (an archived post marked truncated) or
    the new copy says more; a real date replaces an estimated one, and an earlier real date a
    later one (a backfill finds the original).
    """
    changed = False
    for name in ("url", "guid", "author", "by", "language", "summary", "summary_html"):
        if not getattr(row, name) and getattr(item, name):
            setattr(row, name, getattr(item, name))
            changed = True
    if _says_more(row, item):
        row.text, row.title = item.text, item.title or row.title
        row.extra = {**(row.extra or {}), **item.extra}
        changed = True
    if not item.published_estimated and (
        row.published_estimated or item.published < row.published_at
    ):
        row.published_at, row.published_estimated = item.published, False
        changed = True
    if changed:
        row.content_hash = content_hash
        row.updated_at = now
    return changed


def _says_more(row: ItemRow, item: Item) -> bool:
    if (row.extra or {}).get("truncated") and not item.extra.get("truncated"):
        return True
    return len(item.text) > len(row.text)


def _link_source(session: Session, item_id: int, source_id: str, now: datetime) -> None:
    if session.get(ItemSourceRow, (item_id, source_id)) is None:
        session.add(ItemSourceRow(item_id=item_id, source_id=source_id, first_seen_at=now))


@dataclass(slots=True)
class ItemView:
    """An item with what matching found: the shape ``watcher items`` prints."""

    row: ItemRow
    entities: list[str] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)
    followups: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # every source that found it, first first

    def as_json(self) -> dict[str, object]:
        row = self.row
        return {
            "id": row.id,
            "url": row.url,
            "title": row.title,
            "source": row.source_id,
            "sources": self.sources or [row.source_id],
            "author": row.author,
            "by": row.by,
            "published": iso_utc(row.published_at),
            "language": row.language,
            "entities": self.entities,
            "stories": self.stories,
            "followups": self.followups,
            "date_from": date_from(row.published_estimated),
            "first_seen": iso_utc(row.first_seen_at),
        }


def list_items(
    session: Session,
    *,
    story: str | None = None,
    since: datetime | None = None,
    limit: int | None = 50,
) -> list[ItemView]:
    """Newest first, with their entities, stories and follow-ups loaded in three queries."""
    query: Select[ItemRow] = select(ItemRow).order_by(
        ItemRow.published_at.desc(), ItemRow.id.desc()
    )
    if since is not None:
        query = query.where(ItemRow.published_at >= since)
    if story is not None:
        # A join, bounded by the story's own matches (usually few of all items); an EXISTS
        # would walk every item newest-first looking for them.
        query = query.join(StoryMatchRow, StoryMatchRow.item_id == ItemRow.id).where(
            StoryMatchRow.story_id == story
        )
    if limit is not None:
        query = query.limit(limit)
    views = {row.id: ItemView(row) for row in session.scalars(query)}
    attach_matches(session, views)
    _attach_sources(session, views)
    return list(views.values())


def find_item(session: Session, ref: str) -> ItemRow | None:
    """An item by numeric id, key or URL (as given or canonical)."""
    if ref.isdigit():
        return session.get(ItemRow, int(ref))
    query = select(ItemRow).where((ItemRow.key == ref) | (ItemRow.url == ref)).limit(1)
    return session.scalars(query).first()


def attach_matches(session: Session, views: dict[int, ItemView]) -> None:
    ids = list(views)
    if not ids:
        return
    entities: dict[int, set[str]] = defaultdict(set)
    for item_id, entity_id in session.execute(
        select(MentionRow.item_id, MentionRow.entity_id).where(MentionRow.item_id.in_(ids))
    ):
        entities[item_id].add(entity_id)
    for item_id, story_id in session.execute(
        select(StoryMatchRow.item_id, StoryMatchRow.story_id).where(StoryMatchRow.item_id.in_(ids))
    ):
        views[item_id].stories.append(story_id)
    for item_id, followup_id in session.execute(
        select(FollowupMatchRow.item_id, FollowupMatchRow.followup_id).where(
            FollowupMatchRow.item_id.in_(ids)
        )
    ):
        views[item_id].followups.append(followup_id)
    for item_id, view in views.items():
        view.entities = sorted(entities[item_id])
        view.stories.sort()
        view.followups.sort()


def _attach_sources(session: Session, views: dict[int, ItemView]) -> None:
    """Every source that found each item, the one that found it first leading."""
    if not views:
        return
    query = (
        select(ItemSourceRow.item_id, ItemSourceRow.source_id)
        .where(ItemSourceRow.item_id.in_(list(views)))
        .order_by(ItemSourceRow.first_seen_at, ItemSourceRow.source_id)
    )
    for item_id, source_id in session.execute(query):
        views[item_id].sources.append(source_id)
    for view in views.values():
        first = view.row.source_id
        view.sources = [first] + [s for s in view.sources if s != first]


def row_to_item(row: ItemRow) -> Item:
    """The stored item as the matcher sees it (after merges, or for a rematch)."""
    from watcher.model import Item

    return Item(
        key=row.key,
        url=row.url,
        title=row.title,
        text=row.text,
        source_id=row.source_id,
        published=row.published_at,
        published_estimated=row.published_estimated,
        guid=row.guid,
        summary=row.summary,
        summary_html=row.summary_html,
        author=row.author,
        by=row.by,
        language=row.language,
        extra=dict(row.extra or {}),
    )
