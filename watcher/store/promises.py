"""Promises follow-ups are anchored on (``after: URL``): the stored ones, and what may answer them.

The matcher decides (``watcher.match.anchors``); these queries give it the stored promises and,
when one arrives or changes, the items its follow-up must be matched against again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from watcher.model import PromiseItem
from watcher.store.tables import FollowupMatchRow, ItemRow


def promise_items(session: Session, keys: Collection[str]) -> dict[str, PromiseItem]:
    """The stored items among ``keys`` (``Matcher.promise_keys``), by key; no query for none."""
    if not keys:
        return {}
    query = select(ItemRow.key, ItemRow.url, ItemRow.published_at, ItemRow.text).where(
        ItemRow.key.in_(list(keys))
    )
    return {
        key: PromiseItem(key, url, published, text)
        for key, url, published, text in session.execute(query)
    }


def promises_among(rows: Mapping[str, ItemRow], keys: Collection[str]) -> dict[str, PromiseItem]:
    """``promise_items`` from rows already loaded by key: a poll reads its batch's stored items
    and the promises in one query."""
    return {
        key: PromiseItem(key, row.url, row.published_at, row.text)
        for key, row in rows.items()
        if key in keys
    }


def followup_candidates(
    session: Session,
    story_id: str,
    followup_id: str,
    authors: Collection[str],
    since: datetime,
) -> list[ItemRow]:
    """What may serve a follow-up once its promise is known again: its candidates now, and
    every item authored by one of ``authors`` since ``since`` (a promise whose date moved
    earlier admits some). Two indexed queries, oldest item first."""
    current = select(FollowupMatchRow.item_id).where(
        FollowupMatchRow.story_id == story_id, FollowupMatchRow.followup_id == followup_id
    )
    authored = select(ItemRow.id).where(
        ItemRow.by.in_(list(authors)), ItemRow.published_at >= since
    )
    ids = set(session.scalars(current)) | set(session.scalars(authored))
    if not ids:
        return []
    return list(session.scalars(select(ItemRow).where(ItemRow.id.in_(ids)).order_by(ItemRow.id)))
