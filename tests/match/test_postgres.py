"""The match store on PostgreSQL: record, move a fulfilment, rematch (the SQL differs)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.match.conftest import make_item, store_item
from watcher.config import Config
from watcher.match import Matcher
from watcher.match.rematch import rematch, rematch_if_config_changed
from watcher.store import open_store
from watcher.store.matches import followup_statuses

pytestmark = pytest.mark.postgres


def test_fulfilment_and_rematch_on_postgresql(
    postgres_url: str, config: Config, matcher: Matcher
) -> None:
    store = open_store(postgres_url)
    try:
        for url, day in (("https://b.example/late", 25), ("https://b.example/early", 21)):
            item = make_item(
                "Post",
                "the board",
                author="Sam Altman",
                url=url,
                published=datetime(2024, 5, day, tzinfo=UTC),
            )
            with store.session() as session:
                store_item(session, config, item, matcher)
        assert rematch_if_config_changed(store, config) == 2
        assert rematch(store, config, story_id="board") == 2
        with store.session() as session:
            statuses = {s.id: s for s in followup_statuses(session, config, datetime.now(UTC))}
        answer = statuses["altman-answers"]
        assert (answer.status, answer.item_url) == ("fulfilled", "https://b.example/early")
    finally:
        store.close()
