"""A news-search source with ``full_text: true``: the engines searched whole articles but answer
with titles, so a result whose title names nobody is matched again on its page's main text."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from tests.search.conftest import STORY
from tests.search.engines import Article, FakeEngines
from watcher.cli import cli

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
UNRELATED_PAGE = """<!doctype html><html><head><title>Chip stocks</title></head><body>
<nav><a href="/">Home</a> <a href="/markets">Markets</a> <a href="/tech">Tech</a></nav>
<article><h1>Markets close higher as chip stocks rally</h1>
<p>Shares of chip makers rose for a third day on Tuesday as investors bet that demand for data
centre hardware would hold up through the rest of the year, traders said.</p>
<p>The broader index gained one per cent, led by semiconductor and software companies.</p>
</article><aside>Related: <a href="/oil">Oil prices steady</a></aside></body></html>"""


def _page(server: HTTPServer, path: str, body: bytes) -> str:
    server.expect_request(path).respond_with_data(body, content_type="text/html; charset=utf-8")
    return server.url_for(path)


def test_a_title_only_result_is_kept_through_its_full_text(
    httpserver: HTTPServer, engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    named_in_body = _page(httpserver, "/2024/05/lab-exits", (PAGES / "en-wire.html").read_bytes())
    unrelated = _page(httpserver, "/2024/05/chips", UNRELATED_PAGE.encode())
    now = datetime.now(UTC).replace(microsecond=0)
    engines.corpus = [
        Article(
            named_in_body,
            "Two exits in a week leave an AI lab's long-term bet in doubt",  # no name
            now - timedelta(hours=2),
            body="Jan Leike, followed within hours by Ilya Sutskever",
        ),
        Article(
            unrelated,
            "Markets close higher as chip stocks rally",
            now - timedelta(hours=1),
            body="Investors shrugged off news that Ilya Sutskever had left OpenAI.",
        ),
    ]
    source = {"id": "gdelt-exits", "search": {"engine": "gdelt", "story": STORY}}
    # the pages are on 127.0.0.1, which the guard refuses for links a source did not name
    config = story_config([source | {"full_text": True}], allow_private_networks=True)

    result = CliRunner().invoke(cli, ["-c", str(config), "poll", "--once"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("search results: 2 seen, 1 kept, 1 dropped")
    listed = CliRunner().invoke(cli, ["-c", str(config), "items", "--json"]).stdout
    (item,) = map(json.loads, listed.splitlines())
    assert item["url"] == named_in_body
    assert item["stories"] == [STORY]
    assert {"leike", "sutskever"} <= set(item["entities"])
    assert [entry for entry in httpserver.log if entry[0].path == "/2024/05/chips"]  # read


def test_without_full_text_the_title_only_result_is_dropped_unread(
    httpserver: HTTPServer, engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    page = _page(httpserver, "/2024/05/lab-exits", (PAGES / "en-wire.html").read_bytes())
    engines.corpus = [
        Article(
            page,
            "Two exits in a week leave an AI lab's long-term bet in doubt",
            datetime.now(UTC) - timedelta(hours=2),
            body="Jan Leike, followed within hours by Ilya Sutskever",
        )
    ]
    source = {"id": "gdelt-exits", "search": {"engine": "gdelt", "story": STORY}}
    config = story_config([source], allow_private_networks=True)

    result = CliRunner().invoke(cli, ["-c", str(config), "poll", "--once"])

    assert result.stdout.strip().endswith("search results: 1 seen, 0 kept, 1 dropped")
    assert not [entry for entry in httpserver.log if entry[0].path == "/2024/05/lab-exits"]
