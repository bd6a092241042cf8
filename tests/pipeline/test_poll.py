"""`watcher poll --once` end to end against feeds served on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from click.testing import CliRunner, Result

from tests.cli.world import imported_by
from tests.fetch.conftest import RawServer, running
from tests.pipeline.conftest import Farm, rss
from tests.reliability.conftest import send_body, serve_bytes
from watcher.cli import cli
from watcher.config import load_config
from watcher.fetch.clients import Clients
from watcher.jobs.poll import poll_once, poll_sources
from watcher.match import Matcher
from watcher.model import Item
from watcher.store import open_store

ARTICLE = "https://news.example.org/2024/05/leike-resigns"
RSS = "application/rss+xml"


def _run(config: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["-c", str(config), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def _items(config: Path, *args: str) -> list[dict[str, object]]:
    output = _run(config, "items", "--json", *args).stdout
    return [json.loads(line) for line in output.splitlines()]


def _two_feeds(farm: Farm) -> dict[str, str]:
    return {
        "wire": farm.serve(
            "/wire.xml",
            rss(
                (
                    "Jan Leike resigns from OpenAI",
                    f"{ARTICLE}?utm_source=rss&utm_medium=feed",
                    "Leike said safety culture took a backseat.",
                ),
                ("Markets close higher", "https://news.example.org/markets", "Nothing about AI."),
            ),
        ),
        "daily": farm.serve(
            "/daily.xml",
            rss(
                ("Leike quits OpenAI", f"{ARTICLE}#comments", "The superalignment co-lead left."),
                (
                    "يان لايكه يستقيل من أوبن إيه آي",
                    "https://ar.example.org/leike",
                    "استقال يان لايكه.",
                ),
            ),
        ),
    }


def test_the_same_article_in_two_feeds_and_two_polls_is_one_item(farm: Farm, farm_config) -> None:
    config = farm_config(_two_feeds(farm))

    first = _run(config, "poll", "--once").stdout.strip().splitlines()[-1]
    # The article's second copy may fill in a longer text, depending on which feed came first.
    assert first.startswith("polled 2 sources: 0 unchanged, 0 failed; items: 3 new, ")
    second = _run(config, "poll", "--once").stdout.strip().splitlines()[-1]
    assert second.startswith("polled 2 sources: 2 unchanged, 0 failed; items: 0 new")

    items = _items(config)
    urls = sorted(str(item["url"]) for item in items)
    assert urls == sorted(
        [ARTICLE, "https://news.example.org/markets", "https://ar.example.org/leike"]
    )
    assert farm.requests == {"/wire.xml": 2, "/daily.xml": 2}


def test_items_json_follows_the_contract(farm: Farm, farm_config) -> None:
    config = farm_config(_two_feeds(farm))
    _run(config, "poll", "--once")

    items = _items(config, "--story", "exits")
    assert {tuple(item) for item in items} == {
        (
            "id",
            "url",
            "title",
            "source",
            "sources",
            "author",
            "by",
            "published",
            "language",
            "entities",
            "stories",
            "followups",
            "date_from",
            "first_seen",
        )
    }
    arabic = next(item for item in items if item["url"] == "https://ar.example.org/leike")
    assert arabic["language"] == "ar"
    assert arabic["entities"] == ["leike", "openai"] or arabic["entities"] == ["leike"]
    assert arabic["stories"] == ["exits"]
    assert str(arabic["published"]).endswith("Z")


def test_an_unchanged_body_without_validators_is_not_parsed_again(farm: Farm, farm_config) -> None:
    farm.etags = False
    config = farm_config({"wire": _two_feeds(farm)["wire"]})
    _run(config, "poll", "--once")
    again = _run(config, "poll", "--once").stdout.strip().splitlines()[-1]
    assert again.startswith("polled 1 source: 1 unchanged")


def test_a_failing_source_is_recorded_and_the_others_go_on(farm: Farm, farm_config) -> None:
    sources = _two_feeds(farm) | {"gone": farm.serve("/gone.xml", "not here", status=404)}
    config = farm_config(sources)

    result = _run(config, "poll", "--once", code=1)  # 1: a source failed
    assert "polled 3 sources: 0 unchanged, 1 failed; items: 3 new" in result.stdout
    assert "gone" in result.stderr and "404" in result.stderr

    rows = {
        row["id"]: row
        for row in map(json.loads, _run(config, "sources", "--json").stdout.splitlines())
    }
    assert rows["gone"]["status"] == "failing (1x)"
    assert "404" in str(rows["gone"]["last_error"])
    assert rows["wire"]["status"] == "ok"


def test_a_batch_with_the_same_article_twice_stores_it_once(store, make_config) -> None:
    from datetime import UTC, datetime

    from watcher.jobs.poll import ingest
    from watcher.match import Matcher
    from watcher.model import Item
    from watcher.store.items import list_items
    from watcher.store.tables import SourceRow

    config = make_config(
        """
        people: [{id: leike, name: Jan Leike}]
        stories: [{id: exits, title: Exits, since: 2024-05-14, match: leike}]
        """
    )
    now = datetime(2024, 5, 18, tzinfo=UTC)
    copy = {
        "key": ARTICLE,
        "url": ARTICLE,
        "title": "Jan Leike resigns",
        "source_id": "wire",
        "published": now,
    }
    with store.session() as session:
        session.add(SourceRow(id="wire", kind="feed", url="https://wire.example/feed"))
    with store.session() as session:
        stats = ingest(
            session,
            Matcher(config),
            [Item(text="Short.", **copy), Item(text="A longer text about Jan Leike.", **copy)],
            now=now,
        )
    with store.session() as session:
        (view,) = list_items(session)
    assert (stats.new, stats.updated, view.stories) == (1, 1, ["exits"])
    assert view.row.text == "A longer text about Jan Leike."


def test_a_poll_keeps_the_feed_title_cleaned_and_clipped(farm: Farm, farm_config) -> None:
    from watcher.config import load_config
    from watcher.store import open_store
    from watcher.store.tables import SourceRow

    hostile = "<b>Daily</b> &amp; Wire <script>x()</script>" + " very" * 100
    config = farm_config(
        {
            "wire": farm.serve("/wire.xml", rss(("Leike", ARTICLE, "Leike."), title="The Wire")),
            "daily": farm.serve("/daily.xml", rss(("Leike", ARTICLE, "Leike."), title=hostile)),
        }
    )
    _run(config, "poll", "--once")

    store = open_store(load_config(config).database_url)
    with store.session() as session:
        titles = {row.id: row.title for row in session.query(SourceRow)}
    store.close()
    assert titles["wire"] == "The Wire"
    assert titles["daily"].startswith("Daily & Wire very") and len(titles["daily"]) <= 200
    assert "<" not in titles["daily"] and "x()" not in titles["daily"]


def test_a_poll_where_every_feed_answers_304_imports_no_parser_or_metrics_library(
    farm: Farm, farm_config
) -> None:
    """Parsers (lxml, feedparser) load at the first new body, lingua at the first text whose
    letters do not tell its language, prometheus-client only where metrics are served: an
    unchanged ``poll --once``, as cron runs it, pays for none of them."""
    config = farm_config(_two_feeds(farm))
    _run(config, "poll", "--once")

    imported = imported_by("-c", str(config), "poll", "--once")

    assert farm.requests["/wire.xml"] == 2  # the second poll asked again (and got a 304)
    assert "sqlalchemy" in imported  # it did record the polls
    assert {"lxml", "feedparser", "lingua", "prometheus_client"} & imported == set()


def test_a_poll_where_every_feed_answers_304_builds_no_automaton(farm: Farm, farm_config) -> None:
    """The matcher's automaton (and the word lists behind its variant spellings) is built at
    the first item matched, so an unchanged poll pays nothing for it."""
    config = load_config(farm_config(_two_feeds(farm)))
    store = open_store(config.database_url)
    try:
        poll_once(store, config)
        with Clients.open(config) as clients:
            matcher = Matcher(config)
            summary = poll_sources(
                store, config, [s.id for s in config.sources], clients=clients, matcher=matcher
            )
    finally:
        store.close()
    assert summary.unchanged == 2
    assert "automaton" not in vars(matcher)
    item = Item("k", None, "Jan Leike resigns", "", "wire", datetime(2024, 5, 20, tzinfo=UTC))
    assert matcher.match(item).mentions


def test_a_slow_source_does_not_hold_back_what_a_quicker_one_brought(farm_config) -> None:
    """The fast feed's items are committed (and reported) while the slow feed is still being
    answered: the slow server answers only once it sees them stored, or after 10 s."""
    stored = threading.Event()
    released_by: list[str] = []

    def slow(handler: BaseHTTPRequestHandler) -> None:
        released_by.append("the fast feed stored" if stored.wait(10) else "the 10 s limit")
        send_body(handler, rss(("Altman on safety", "https://b.example/s", "")).encode(), RSS)

    with running(RawServer()) as server:
        server.route("/fast.xml")(serve_bytes(rss(("Leike quits", ARTICLE, "")).encode()))
        server.route("/slow.xml")(slow)
        sources = {"fast": server.url("/fast.xml"), "slow": server.url("/slow.xml")}
        config = load_config(farm_config(sources))
        store = open_store(config.database_url)
        try:
            summary = poll_once(
                store, config, progress=lambda c: c.source.id == "fast" and stored.set()
            )
        finally:
            store.close()
    assert released_by == ["the fast feed stored"]
    assert summary.new == 2
