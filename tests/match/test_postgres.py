"""The match store on PostgreSQL: record, move a fulfilment, rematch (the SQL differs)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.match.conftest import make_item, store_item
from watcher.config import Config
from watcher.jobs.rematch import rematch, rematch_if_config_changed
from watcher.match import Matcher
from watcher.match.followups import followup_statuses
from watcher.store import open_store
from watcher.store.matches import fulfilments

NOW = datetime(2024, 6, 1, tzinfo=UTC)

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
        assert rematch_if_config_changed(store, config, now=NOW) == 2
        assert rematch(store, config, now=NOW, story_id="board") == 2
        with store.session() as session:
            statuses = {
                s.id: s for s in followup_statuses(config, fulfilments(session), datetime.now(UTC))
            }
        answer = statuses["altman-answers"]
        assert (answer.status, answer.item_url) == ("fulfilled", "https://b.example/early")
    finally:
        store.close()


def test_workers_starting_together_rematch_once(postgres_url: str, make_config) -> None:
    """Two processes noticing the same config edit: one rematches, the other finds it done."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from watcher.jobs.poll import ingest
    from watcher.jobs.rematch import rematch_if_config_changed
    from watcher.match import Matcher
    from watcher.model import Item
    from watcher.store import open_store
    from watcher.store.tables import SourceRow

    people = "people: [{id: leike, name: Jan Leike}]\n"
    before = make_config(
        people + "stories: [{id: exits, title: Exits, since: 2024-05-14, match: leike}]"
    )
    after = make_config(
        people + "stories: [{id: exits, title: Exits, since: 2024-05-14, match: 'leike OR quits'}]"
    )
    stores = [open_store(postgres_url) for _ in range(2)]
    now = datetime(2024, 5, 18, tzinfo=UTC)
    with stores[0].session() as session:
        session.add(SourceRow(id="wire", kind="feed", url="https://wire.example/feed"))
    with stores[0].session() as session:
        items = [
            Item(
                key=f"k{i}",
                url=f"https://x.example/{i}",
                title=f"Someone quits {i}",
                text="",
                source_id="wire",
                published=now,
            )
            for i in range(20)
        ]
        ingest(session, Matcher(before), items, now=now)
    rematch_if_config_changed(
        stores[0], before, now=NOW
    )  # first sight of this config: its fingerprint

    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda store: rematch_if_config_changed(store, after, now=NOW), stores)
        )
    assert sorted(results) == [0, 20]
    for store in stores:
        store.close()
