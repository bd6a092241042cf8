"""Sources with news are stored several to a transaction; one the store cannot take does not
hold back the others, and story matches are counted once, for what was committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from watcher import metrics
from watcher.config import Config
from watcher.jobs.poll import Collected, _store_batch
from watcher.match import Matcher
from watcher.match.anchors import NO_PROMISES, Promises
from watcher.model import Item, ItemMatches
from watcher.store.engine import Store
from watcher.store.sources import sync_sources
from watcher.store.tables import ItemRow, SourceRow

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
