"""Retention prunes old items, but never what a follow-up or an unsent digest still needs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from watcher.store import Store
from watcher.store.housekeeping import prune_items
from watcher.store.tables import (
    DigestRunRow,
    FollowupMatchRow,
    FulfilmentRow,
    ItemRow,
    ItemSourceRow,
    MentionRow,
    StoryMatchRow,
)

from .conftest import NOW

OLD = NOW - timedelta(days=400)
CUTOFF = NOW - timedelta(days=180)


def add_item(store: Store, key: str, *, seen=OLD, published=None) -> int:
    with store.session() as session:
        item = ItemRow(
            key=key,
            title=key,
            source_id="s0000",
            published_at=published or seen,
            first_seen_at=seen,
            updated_at=seen,
        )
        session.add(item)
        session.flush()
        session.add(ItemSourceRow(item_id=item.id, source_id="s0000", first_seen_at=seen))
        session.add(
            MentionRow(item_id=item.id, entity_id="e", alias="E", field="title", start=0, end=1)
        )
        session.add(StoryMatchRow(story_id="story", item_id=item.id, matched_at=seen))
        return item.id


def keys(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(ItemRow.key)))


def count(store: Store, table) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_old_items_go_with_their_mentions_and_matches(any_store: Store, add_sources) -> None:
    add_sources(1)
    add_item(any_store, "old")
    add_item(any_store, "recent", seen=NOW - timedelta(days=10))
    add_item(any_store, "seen-recently-published-long-ago", seen=NOW, published=OLD)

    assert prune_items(any_store, before=CUTOFF) == 1
    assert keys(any_store) == {"recent", "seen-recently-published-long-ago"}
    assert count(any_store, MentionRow) == count(any_store, StoryMatchRow) == 2
    assert count(any_store, ItemSourceRow) == 2
    assert prune_items(any_store, before=CUTOFF) == 0


def test_items_a_followup_refers_to_are_kept(any_store: Store, add_sources) -> None:
    add_sources(1)
    fulfilling = add_item(any_store, "fulfilling")
    matching = add_item(any_store, "followup-match")
    add_item(any_store, "plain")
    with any_store.session() as session:
        session.add(
            FulfilmentRow(
                story_id="story",
                followup_id="post",
                item_id=fulfilling,
                fulfilled_at=OLD,
                recorded_at=OLD,
            )
        )
        session.add(
            FollowupMatchRow(story_id="story", followup_id="post", item_id=matching, matched_at=OLD)
        )

    assert prune_items(any_store, before=CUTOFF) == 1
    assert keys(any_store) == {"fulfilling", "followup-match"}


def test_items_a_digest_has_not_covered_yet_are_kept(any_store: Store, add_sources) -> None:
    add_sources(1)
    add_item(any_store, "covered", seen=OLD)
    add_item(any_store, "not-yet-covered", seen=OLD + timedelta(days=2))
    with any_store.session() as session:
        session.add(
            DigestRunRow(
                digest_id="daily",
                period_start=OLD - timedelta(days=1),
                period_end=OLD + timedelta(days=1),
                built_at=OLD + timedelta(days=1),
            )
        )

    assert prune_items(any_store, before=CUTOFF, digest_ids=["daily", "never-ran"]) == 1
    assert keys(any_store) == {"not-yet-covered"}


def test_large_prunes_run_in_batches(any_store: Store, add_sources, monkeypatch) -> None:
    from watcher.store import housekeeping

    monkeypatch.setattr(housekeeping, "BATCH", 7)
    add_sources(1)
    for index in range(30):
        add_item(any_store, f"old-{index}")

    assert prune_items(any_store, before=CUTOFF) == 30
    assert keys(any_store) == set()
