"""Items are stored once per key; later copies add what the first lacked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watcher.model import Item
from watcher.store import Store
from watcher.store.items import find_item, list_items, row_to_item, upsert_item
from watcher.store.tables import ItemSourceRow, SourceRow

NOW = datetime(2024, 5, 18, 12, tzinfo=UTC)


@pytest.fixture
def sources(store: Store) -> Store:
    with store.session() as session:
        for sid in ("wire", "daily"):
            session.add(SourceRow(id=sid, kind="feed", url=f"https://{sid}.example/feed"))
    return store


def _item(**overrides: object) -> Item:
    fields: dict[str, object] = {
        "key": "https://news.example.org/leike",
        "url": "https://news.example.org/leike",
        "title": "Leike resigns",
        "text": "Leike resigns. He said safety culture took a backseat.",
        "source_id": "wire",
        "published": NOW - timedelta(hours=3),
    }
    return Item(**(fields | overrides))  # type: ignore[arg-type]


def test_round_trip_keeps_every_field_and_times_in_utc(sources: Store) -> None:
    item = _item(author="Jane Doe", language="en", extra={"tags": ["ai"]})
    with sources.session() as session:
        row, outcome = upsert_item(session, item, content_hash="h1", now=NOW)
    assert outcome == "new"
    with sources.session() as session:
        stored = row_to_item(find_item(session, str(row.id)))
    assert stored == item
    assert stored.published.tzinfo is UTC


def test_the_same_key_from_another_source_is_one_item_seen_twice(sources: Store) -> None:
    with sources.session() as session:
        first, _ = upsert_item(session, _item(), content_hash="h1", now=NOW)
        again, outcome = upsert_item(session, _item(source_id="daily"), content_hash="h1", now=NOW)
        links = session.query(ItemSourceRow).filter_by(item_id=first.id).count()
    assert (again.id, outcome, links) == (first.id, "same", 2)


def test_a_later_copy_fills_gaps_and_a_fuller_text_replaces_a_truncated_one(sources: Store) -> None:
    with sources.session() as session:
        upsert_item(
            session,
            _item(text="Leike resigns…", author=None, extra={"truncated": True}),
            content_hash="h1",
            now=NOW,
        )
    with sources.session() as session:
        row, outcome = upsert_item(
            session,
            _item(author="Jan Leike", extra={"truncated": False}),
            content_hash="h2",
            now=NOW,
        )
    assert outcome == "updated"
    assert (row.author, row.text, row.extra["truncated"]) == ("Jan Leike", _item().text, False)


def test_a_real_earlier_date_replaces_an_estimated_one(sources: Store) -> None:
    with sources.session() as session:
        upsert_item(
            session, _item(published=NOW, published_estimated=True), content_hash="h1", now=NOW
        )
    with sources.session() as session:
        row, outcome = upsert_item(session, _item(), content_hash="h2", now=NOW)
    assert outcome == "updated"
    assert (row.published_at, row.published_estimated) == (NOW - timedelta(hours=3), False)


def test_list_items_is_newest_first_and_filters_by_date(sources: Store) -> None:
    with sources.session() as session:
        for hours in range(5):
            upsert_item(
                session,
                _item(
                    key=f"k{hours}",
                    url=f"https://x.example/{hours}",
                    published=NOW - timedelta(hours=hours),
                ),
                content_hash=str(hours),
                now=NOW,
            )
    with sources.session() as session:
        views = list_items(session, since=NOW - timedelta(hours=2), limit=10)
    assert [v.row.key for v in views] == ["k0", "k1", "k2"]


def test_an_identical_copy_with_an_earlier_real_date_moves_the_date(sources: Store) -> None:
    with sources.session() as session:
        upsert_item(session, _item(), content_hash="h1", now=NOW)
    earlier = NOW - timedelta(days=2)
    with sources.session() as session:
        row, outcome = upsert_item(session, _item(published=earlier), content_hash="h1", now=NOW)
    assert (outcome, row.published_at) == ("updated", earlier)


def test_an_identical_copy_changes_nothing(sources: Store) -> None:
    with sources.session() as session:
        upsert_item(session, _item(), content_hash="h1", now=NOW)
    with sources.session() as session:
        row, outcome = upsert_item(session, _item(source_id="daily"), content_hash="h1", now=NOW)
    assert (outcome, row.updated_at) == ("same", NOW)
