"""Items are stored once per key; later copies add what the first lacked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from watcher.config import Config
from watcher.jobs.poll import ingest
from watcher.match import Matcher
from watcher.model import Item
from watcher.store import Store
from watcher.store.items import existing_items, find_item, list_items, row_to_item
from watcher.store.tables import ItemRow, ItemSourceRow, SourceRow

NOW = datetime(2024, 5, 18, 12, tzinfo=UTC)
MATCHER = Matcher(Config())


def store_copy(session: Session, item: Item) -> tuple[ItemRow, str]:
    """Store ``item`` as a poll does; the row, and ``new``, ``updated`` or ``same``."""
    stats = ingest(session, MATCHER, [item], now=NOW)
    row = existing_items(session, [item.key])[item.key]
    return row, "new" if stats.new else "updated" if stats.updated else "same"


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
        row, outcome = store_copy(session, item)
    assert outcome == "new"
    with sources.session() as session:
        stored = row_to_item(find_item(session, str(row.id)))
    assert stored == item
    assert stored.published.tzinfo is UTC


def test_the_same_key_from_another_source_is_one_item_seen_twice(sources: Store) -> None:
    with sources.session() as session:
        first, _ = store_copy(session, _item())
        again, outcome = store_copy(session, _item(source_id="daily"))
        links = session.query(ItemSourceRow).filter_by(item_id=first.id).count()
    assert (again.id, outcome, links) == (first.id, "same", 2)


def test_a_later_copy_fills_gaps_and_a_fuller_text_replaces_a_truncated_one(sources: Store) -> None:
    with sources.session() as session:
        store_copy(session, _item(text="Leike resigns…", author=None, extra={"truncated": True}))
    with sources.session() as session:
        row, outcome = store_copy(session, _item(author="Jan Leike", extra={"truncated": False}))
    assert outcome == "updated"
    assert (row.author, row.text, row.extra["truncated"]) == ("Jan Leike", _item().text, False)


def test_a_real_earlier_date_replaces_an_estimated_one(sources: Store) -> None:
    with sources.session() as session:
        store_copy(session, _item(published=NOW, published_estimated=True))
    with sources.session() as session:
        row, outcome = store_copy(session, _item())
    assert outcome == "updated"
    assert (row.published_at, row.published_estimated) == (NOW - timedelta(hours=3), False)


def test_list_items_is_newest_first_and_filters_by_date(sources: Store) -> None:
    with sources.session() as session:
        for hours in range(5):
            store_copy(
                session,
                _item(
                    key=f"k{hours}",
                    url=f"https://x.example/{hours}",
                    published=NOW - timedelta(hours=hours),
                ),
            )
    with sources.session() as session:
        views = list_items(session, since=NOW - timedelta(hours=2), limit=10)
    assert [v.row.key for v in views] == ["k0", "k1", "k2"]


def test_an_identical_copy_with_an_earlier_real_date_moves_the_date(sources: Store) -> None:
    with sources.session() as session:
        store_copy(session, _item())
    earlier = NOW - timedelta(days=2)
    with sources.session() as session:
        row, outcome = store_copy(session, _item(published=earlier))
    assert (outcome, row.published_at) == ("updated", earlier)


def test_an_identical_copy_changes_nothing(sources: Store) -> None:
    with sources.session() as session:
        store_copy(session, _item())
    with sources.session() as session:
        row, outcome = store_copy(session, _item(source_id="daily"))
    assert (outcome, row.updated_at) == ("same", NOW)
