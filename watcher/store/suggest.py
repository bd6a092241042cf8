"""What the suggestions read (``watcher followups suggest``, ``watcher aliases suggest``):
items authored by watched entities, and the texts around one entity. Both bounded, newest
first, streamed rather than loaded at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from watcher.store.tables import ItemRow, MentionRow, StoryMatchRow

BATCH = 200  # rows fetched at a time
TEXT_CHARS = 20_000  # of each item's text read for spellings


def authored_items(
    session: Session, authors: Collection[str], *, since: datetime | None, limit: int
) -> Iterator[ItemRow]:
    """Items authored by one of ``authors`` (``items.by``), published at or after ``since``,
    newest first, at most ``limit`` (the ``ix_items_by`` index)."""
    if not authors:
        return
    query = (
        select(ItemRow)
        .where(ItemRow.by.in_(list(authors)))
        .order_by(ItemRow.published_at.desc(), ItemRow.id.desc())
        .limit(limit)
        .execution_options(yield_per=BATCH)
    )
    if since is not None:
        query = query.where(ItemRow.published_at >= since)
    yield from session.scalars(query)


def entity_texts(
    session: Session, entity_id: str, story_ids: Collection[str], *, limit: int
) -> Iterator[str]:
    """The title and text (its first ``TEXT_CHARS`` characters) of the newest ``limit`` items
    that mention the entity or match one of ``story_ids`` (its stories: where its unlisted
    spellings turn up); a title made from the text is left out, not to count it twice."""
    mentioned = select(MentionRow.item_id).where(MentionRow.entity_id == entity_id)
    storied = select(StoryMatchRow.item_id).where(StoryMatchRow.story_id.in_(list(story_ids)))
    ids = union(mentioned, storied) if story_ids else mentioned
    query = (
        select(ItemRow.title, func.substr(ItemRow.text, 1, TEXT_CHARS), ItemRow.extra)
        .where(ItemRow.id.in_(ids))
        .order_by(ItemRow.published_at.desc(), ItemRow.id.desc())
        .limit(limit)
        .execution_options(yield_per=BATCH)
    )
    for title, text, extra in session.execute(query):
        derived = (extra or {}).get("title_from_text")
        yield text if derived else f"{title}\n{text}"
