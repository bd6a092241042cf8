"""The web view on PostgreSQL: the same pipeline-filled data, read in read-only transactions,
searched through the tsvector index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from werkzeug.test import Client

from tests.web.conftest import NOW
from watcher.cli import cli
from watcher.config import load_config
from watcher.store import open_store
from watcher.web.app import WebApp
from watcher.web.indexer import SearchIndexer

pytestmark = pytest.mark.postgres


@pytest.fixture
def client(
    filled: tuple[Path, dict[str, str]], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Client]:
    path, _ = filled
    monkeypatch.setenv("WATCHER_DATABASE_URL", postgres_url)
    result = CliRunner().invoke(cli, ["-c", str(path), "poll", "--once"])
    assert result.exit_code in (0, 1), result.output  # one source fails on purpose
    config = load_config(path)
    store = open_store(postgres_url)
    SearchIndexer(store, clock=lambda: NOW).index()
    yield Client(WebApp(store, lambda: config, token=None, clock=lambda: NOW))
    store.close()


def test_every_page_answers_on_postgresql(client: Client) -> None:
    for path in ["/", "/stories/exits", "/items", "/sources", "/deliveries", "/digests"]:
        assert client.get(path).status_code == 200, path
    feed = feedparser.parse(client.get("/stories/exits.atom").data)
    assert feed.bozo == 0 and len(feed.entries) == 8


def test_a_search_on_postgresql_finds_what_the_matcher_accepts(client: Client) -> None:
    def titles(query: str) -> list[str]:
        answer = client.get("/api/items", query_string={"q": query})
        assert answer.status_code == 200
        return [item["title"] for item in answer.get_json()["items"]]

    assert titles("ألتمان") == ["وألتمان يرد على استقالة لايكه"]
    assert titles("resign*") == ["Jan Leike resigns from OpenAI, citing safety culture"]
    assert titles("leike NEAR/3 anthropic") == ["يان لايكه ينضم إلى أنثروبيك"]
    assert len(titles("leike")) == 7
