"""Rematching stored items after a config edit, without refetching."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.match.conftest import CONFIG, make_item, store_item
from watcher.config import Config
from watcher.errors import WatcherError
from watcher.jobs.rematch import rematch, rematch_if_config_changed
from watcher.match import Matcher
from watcher.store import Store, open_store
from watcher.store.tables import FulfilmentRow, MentionRow, StoryMatchRow

NOW = datetime(2024, 6, 1, tzinfo=UTC)

WHEN = datetime(2024, 5, 20, 12, tzinfo=UTC)


@pytest.fixture
def stored(config: Config, matcher: Matcher) -> Iterator[Store]:
    """A store holding three items matched under the shared config."""
    store = open_store(config.database_url)
    items = [
        make_item("Leike resigns", "safety team", url="https://a.example/1"),
        make_item("OpenAI board", "Sam Altman on the board", url="https://a.example/2"),
        make_item("Grok", "Elon Musk on the board", author="Sam Altman", url="https://a.example/3"),
    ]
    with store.session() as session:
        for item in items:
            store_item(session, config, item, matcher)
    assert rematch_if_config_changed(store, config, now=NOW) == 3  # no fingerprint yet: everything
    assert rematch_if_config_changed(store, config, now=NOW) == 0  # nothing changed since
    yield store
    store.close()


def rows(store: Store, table: type, *columns: str) -> set[tuple[object, ...]]:
    with store.session() as session:
        return {tuple(getattr(row, c) for c in columns) for row in session.scalars(select(table))}


def edited(make_config: Callable[[str], Config], old: str, new: str) -> Config:
    assert old in CONFIG
    return make_config(CONFIG.replace(old, new))


def test_an_entity_edit_rematches_everything(
    stored: Store, make_config: Callable[[str], Config]
) -> None:
    assert ("musk",) not in rows(stored, MentionRow, "entity_id")
    config = edited(make_config, "  - id: doe\n", "  - {id: musk, name: Elon Musk}\n  - id: doe\n")
    assert rematch_if_config_changed(stored, config, now=NOW) == 3
    assert ("musk",) in rows(stored, MentionRow, "entity_id")
    assert rematch_if_config_changed(stored, config, now=NOW) == 0


def test_a_story_edit_rematches_only_that_story(
    stored: Store, make_config: Callable[[str], Config]
) -> None:
    before = rows(stored, StoryMatchRow, "story_id", "item_id", "matched_at")
    assert {row[0] for row in before} == {"board", "safety"}
    config = edited(make_config, "match: 'openai AND (board", "match: 'musk OR openai AND (board")
    assert rematch_if_config_changed(stored, config, now=NOW) == 3
    after = rows(stored, StoryMatchRow, "story_id", "item_id", "matched_at")
    assert {row for row in before if row[0] == "safety"} <= after  # untouched, same time
    assert len([row for row in after if row[0] == "board"]) == 2  # the Musk item joined


def test_a_removed_story_loses_its_rows(
    stored: Store, make_config: Callable[[str], Config]
) -> None:
    config = edited(make_config, "  - id: safety\n", "  - id: safety-team\n")
    rematch_if_config_changed(stored, config, now=NOW)
    assert ("safety",) not in rows(stored, StoryMatchRow, "story_id")
    assert ("safety-team",) in rows(stored, StoryMatchRow, "story_id")


def test_a_fulfilment_goes_when_its_item_no_longer_qualifies(
    stored: Store, make_config: Callable[[str], Config]
) -> None:
    assert rows(stored, FulfilmentRow, "followup_id") == {("altman-answers",)}
    config = edited(make_config, "match: board OR مجلس\n", "match: resign\n")
    rematch_if_config_changed(stored, config, now=NOW)
    assert rows(stored, FulfilmentRow, "followup_id") == set()


def test_rematch_one_story_or_refuse_an_unknown_one(stored: Store, config: Config) -> None:
    assert rematch(stored, config, now=NOW, story_id="board") == 3
    with pytest.raises(WatcherError, match="no story 'nope'"):
        rematch(stored, config, now=NOW, story_id="nope")
