"""Retention: prune old items nothing depends on any more.

``retention: 180d`` keeps every item first seen and published within the last 180 days. Older
ones go, with their mentions, matches and source links (the foreign keys cascade), unless:

* a follow-up refers to them (a fulfilment or a follow-up match): "fulfilled by this post" must
  stay true however old the post is;
* a digest has not covered them yet: nothing first seen after the end of a digest's latest
  built period is pruned, so a digest that has been failing for a long time still gets its items.

Deletes run in small batches, one transaction each, so a large first prune never holds a long
write lock that would stall the polls.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from watcher.store.engine import Store
from watcher.store.tables import DigestRunRow, FollowupMatchRow, FulfilmentRow, ItemRow

BATCH = 500


def prune_items(store: Store, *, before: datetime, digest_ids: Iterable[str] = ()) -> int:
    """Delete items first seen and published before ``before`` that nothing refers to.

    ``digest_ids``: the configured digests, whose not-yet-covered items are kept. Returns the
    number of items deleted.
    """
    with store.session() as session:
        cutoff = min([before, *_covered_until(session, digest_ids)])
    deleted = 0
    while True:
        with store.session() as session:
            ids = _prunable(session, before=before, first_seen_before=cutoff)
            if not ids:
                return deleted
            session.execute(
                delete(ItemRow)
                .where(ItemRow.id.in_(ids))
                .execution_options(synchronize_session=False)
            )
        deleted += len(ids)


def _covered_until(session: Session, digest_ids: Iterable[str]) -> list[datetime]:
    """For each digest that has run, the end of its latest period."""
    ids = list(digest_ids)
    if not ids:
        return []
    query = (
        select(func.max(DigestRunRow.period_end))
        .where(DigestRunRow.digest_id.in_(ids))
        .group_by(DigestRunRow.digest_id)
    )
    return list(session.scalars(query))


def _prunable(session: Session, *, before: datetime, first_seen_before: datetime) -> list[int]:
    query = (
        select(ItemRow.id)
        .where(
            ItemRow.first_seen_at < first_seen_before,
            ItemRow.published_at < before,
            ~exists().where(FulfilmentRow.item_id == ItemRow.id),
            ~exists().where(FollowupMatchRow.item_id == ItemRow.id),
        )
        .order_by(ItemRow.id)
        .limit(BATCH)
    )
    return list(session.scalars(query))
