"""Items dated when first seen: counted per source through a partial index (migration 0002),
and shown as such in `watcher items --json`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from watcher.model import Item
from watcher.store import Store, open_store
from watcher.store.engine import SCHEMA_HEAD, schema_version, upgrade
from watcher.store.items import insert_new_items, list_items
from watcher.store.sources import undated_counts
from watcher.store.tables import SourceRow

NOW = datetime(2024, 5, 18, 12, tzinfo=UTC)


def _item(key: str, source_id: str, *, estimated: bool) -> Item:
    return Item(
        key=key,
        url=key,
        title=key,
        text="text",
        source_id=source_id,
        published=NOW - timedelta(hours=1),
        published_estimated=estimated,
        extra={"unreadable_date": "منذ ساعة"} if estimated else {},
    )


def _fill(store: Store) -> None:
    with store.session() as session:
        for source_id in ("masrawy", "annahar", "wire"):
            session.add(SourceRow(id=source_id, kind="feed", url=f"https://{source_id}.example/"))
        session.flush()
        items = [
            _item("https://masrawy.example/1", "masrawy", estimated=False),
            _item("https://annahar.example/1", "annahar", estimated=True),
            _item("https://annahar.example/2", "annahar", estimated=True),
            _item("https://annahar.example/3", "annahar", estimated=False),
            _item("https://wire.example/1", "wire", estimated=True),
        ]
        insert_new_items(session, [(item, "h") for item in items], now=NOW)


def test_undated_items_are_counted_per_source(store: Store) -> None:
    _fill(store)
    with store.session() as session:
        assert undated_counts(session) == {"annahar": 2, "wire": 1}


def test_the_count_reads_the_partial_index_not_the_items(store: Store) -> None:
    with store.engine.connect() as connection:
        plan = connection.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT items.source_id, count(*) FROM items "
                "WHERE items.published_estimated IS 1 GROUP BY items.source_id"
            )
        ).all()
    assert "USING INDEX ix_items_undated" in " ".join(str(step) for step in plan)


def test_items_json_says_where_the_date_came_from(store: Store) -> None:
    _fill(store)
    with store.session() as session:
        records = {view.row.key: view.as_json() for view in list_items(session, limit=None)}
    dated, undated = records["https://annahar.example/3"], records["https://annahar.example/1"]
    assert (dated["date_from"], undated["date_from"]) == ("feed", "seen")
    assert dated["first_seen"] == undated["first_seen"] == "2024-05-18T12:00:00Z"
    assert undated["published"] == undated["first_seen"]  # dated when first stored


def test_a_database_of_the_previous_schema_upgrades_with_its_data(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    upgrade(engine, "0002")  # the schema before this migration
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (id, kind, url, consecutive_failures, items_total) "
                "VALUES ('annahar', 'feed', 'https://annahar.example/', 0, 2)"
            )
        )
        for key, estimated in (("a", 1), ("b", 0)):
            connection.execute(
                text(
                    "INSERT INTO items (key, title, summary, summary_html, text, source_id, "
                    "published_at, published_estimated, first_seen_at, updated_at, "
                    "content_hash, extra) VALUES (:key, 'title', '', '', 'text', 'annahar', "
                    "'2024-05-18 11:00:00', :estimated, '2024-05-18 12:00:00', "
                    "'2024-05-18 12:00:00', 'h', :extra)"
                ),
                {"key": key, "estimated": estimated, "extra": '{"unreadable_date": "أمس"}'},
            )
    engine.dispose()

    store = open_store(url)
    assert schema_version(store.engine) == SCHEMA_HEAD == "0003"
    with store.session() as session:
        assert undated_counts(session) == {"annahar": 1}
        records = sorted((v.as_json() for v in list_items(session)), key=lambda r: str(r["id"]))
    assert [(r["title"], r["date_from"], r["first_seen"]) for r in records] == [
        ("title", "seen", "2024-05-18T12:00:00Z"),
        ("title", "feed", "2024-05-18T12:00:00Z"),
    ]
    store.close()


def test_undated_items_are_counted_on_postgresql(postgres_url: str) -> None:
    store = open_store(postgres_url)
    _fill(store)
    with store.session() as session:
        assert undated_counts(session) == {"annahar": 2, "wire": 1}
    store.close()
