"""Sources with news are stored several to a transaction; one the store cannot take does not
hold back the others, and story matches are counted once, for what was committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, select

from watcher import metrics
from watcher.config import Config
from watcher.jobs.poll import Collected, _store_batch
from watcher.match import Matcher
from watcher.match.anchors import NO_PROMISES, Promises
from watcher.model import Item, ItemMatches
from watcher.store.engine import Store, open_store
from watcher.store.sources import sync_sources
from watcher.store.tables import ItemRow, ItemSourceRow, SourceRow, StoryMatchRow

CONFIG = """
people:
  - {id: leike, name: Jan Leike}
stories:
  - {id: batch-safety, title: Safety, since: 2024-05-01, match: leike}
sources:
  - {id: one, feed: https://one.example/feed.xml}
  - {id: two, feed: https://two.example/feed.xml}
  - {id: three, feed: https://three.example/feed.xml}
"""
NOW = datetime(2024, 5, 20, 12, tzinfo=UTC)


class BrokenOn(Matcher):
    """A matcher with a bug that only one item trips (as a store refusing its data would)."""

    def __init__(self, config: Config, key: str) -> None:
        super().__init__(config)
        self.key = key

    def match(self, item: Item, promises: Promises = NO_PROMISES) -> ItemMatches:
        if item.key == self.key:
            raise RuntimeError("a bug in matching")
        return super().match(item, promises)


def _collected(config: Config, source_id: str) -> Collected:
    source = next(s for s in config.sources if s.id == source_id)
    url = f"https://{source_id}.example/leike"
    item = Item(url, url, "Jan Leike speaks", "Jan Leike on safety.", source_id, NOW)
    return Collected(source, [item])


def _synced_batch(store: Store, config: Config) -> list[Collected]:
    """One new item for each of the three sources, which the store knows."""
    with store.session() as session:
        sync_sources(session, config, NOW)
    return [_collected(config, source_id) for source_id in ("one", "two", "three")]


def _stories_counted() -> float:
    return metrics.STORY_MATCHES.labels(story="batch-safety")._value.get()


def test_a_source_the_store_refuses_is_recorded_failed_and_its_batch_mates_are_stored(
    store: Store, make_config: Callable[[str], Config]
) -> None:
    config = make_config(CONFIG)
    batch = _synced_batch(store, config)
    counted = _stories_counted()

    stored = _store_batch(store, config, BrokenOn(config, "https://two.example/leike"), batch, NOW)

    assert [(c.source.id, stats.new) for c, stats in stored] == [
        ("one", 1),
        ("two", 0),
        ("three", 1),
    ]
    assert batch == []
    assert _stories_counted() == counted + 2  # once each, not again for the retried batch
    with store.session() as session:
        keys = set(session.scalars(select(ItemRow.key)))
        failures = {row.id: row.consecutive_failures for row in session.scalars(select(SourceRow))}
    assert keys == {"https://one.example/leike", "https://three.example/leike"}
    assert failures == {"one": 0, "two": 1, "three": 0}


def test_a_batch_the_store_takes_is_one_transaction_with_every_source_in_it(
    store: Store, make_config: Callable[[str], Config]
) -> None:
    config = make_config(CONFIG)
    batch = _synced_batch(store, config)

    stored = _store_batch(store, config, Matcher(config), batch, NOW)

    assert [(c.source.id, stats.new, stats.matches) for c, stats in stored] == [
        ("one", 1, 1),
        ("two", 1, 1),
        ("three", 1, 1),
    ]
    with store.session() as session:
        assert len(set(session.scalars(select(ItemRow.key)))) == 3


def _copy(source_id: str, text: str) -> Item:
    """A copy of the one wire story, as ``source_id`` carries it."""
    url = "https://wire.example/leike"
    return Item(url, url, "Jan Leike speaks", text, source_id, NOW)


def _stored(store: Store) -> tuple[list[tuple[str, str, str]], set[tuple[str, str]], set[str]]:
    """Items (key, source, text), the sources each was seen in, and the stories matched."""
    with store.session() as session:
        items = [(r.key, r.source_id, r.text) for r in session.scalars(select(ItemRow))]
        seen = {
            (key, source_id)
            for key, source_id in session.execute(
                select(ItemRow.key, ItemSourceRow.source_id).join(
                    ItemSourceRow, ItemSourceRow.item_id == ItemRow.id
                )
            )
        }
        stories = set(session.scalars(select(StoryMatchRow.story_id)))
    return items, seen, stories


def test_an_article_two_sources_of_a_batch_carry_is_stored_once_and_counted_where_it_is_new(
    store: Store, tmp_path: Path, make_config: Callable[[str], Config]
) -> None:
    config = make_config(CONFIG)
    _synced_batch(store, config)
    source = {s.id: s for s in config.sources}

    def batch() -> list[Collected]:
        return [
            Collected(source["one"], [_copy("one", "Jan Leike on safety.")]),
            Collected(source["two"], [_copy("two", "Jan Leike on safety, and much more.")]),
            Collected(source["three"], [_collected(config, "three").items[0]]),
        ]

    stored = _store_batch(store, config, Matcher(config), batch(), NOW)

    assert [(c.source.id, s.new, s.updated, s.matches) for c, s in stored] == [
        ("one", 1, 0, 1),
        ("two", 0, 1, 1),  # the same article, which says more: merged
        ("three", 1, 0, 1),
    ]
    alone = open_store(f"sqlite:///{tmp_path / 'alone.db'}")
    try:
        _synced_batch(alone, config)
        for collected in batch():
            _store_batch(alone, config, Matcher(config), [collected], NOW)
        assert _stored(store) == _stored(alone)
    finally:
        alone.close()
    items, seen, _ = _stored(store)
    assert ("https://wire.example/leike", "one", "Jan Leike on safety, and much more.") in items
    assert {("https://wire.example/leike", "one"), ("https://wire.example/leike", "two")} <= seen


def test_a_batch_looks_up_inserts_and_matches_its_items_in_one_statement_each(
    store: Store, make_config: Callable[[str], Config]
) -> None:
    config = make_config(CONFIG)
    batch = _synced_batch(store, config)
    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()[:3]))

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        _store_batch(store, config, Matcher(config), batch, NOW)
    finally:
        event.remove(store.engine, "before_cursor_execute", note)

    assert statements.count("INSERT INTO items") == 1
    assert statements.count("INSERT INTO item_sources") == 1
    assert statements.count("INSERT INTO story_matches") == 1
    assert sum(s.startswith("SELECT items.") for s in statements) == 1
