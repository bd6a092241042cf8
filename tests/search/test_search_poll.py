"""News-search sources end to end, against fake GDELT, Google News and Bing News on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from tests.search.conftest import BUNDLED_SEARCHES, SHARED_URL, STORY, serve_wire
from tests.search.engines import Article, FakeEngines, opaque_token
from watcher.cli import cli
from watcher.config import load_config
from watcher.fetch.clients import Clients
from watcher.fetch.search import EngineClients
from watcher.jobs.poll import Collected, poll_once
from watcher.jobs.search import SearchTally, search_source
from watcher.store import open_store


def _run(config: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["-c", str(config), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def _items(config: Path) -> list[dict[str, Any]]:
    output = _run(config, "items", "--json", "--limit", "100").stdout
    return [json.loads(line) for line in output.splitlines()]


def _sources(config: Path) -> dict[str, dict[str, Any]]:
    output = _run(config, "sources", "--json").stdout
    return {row["id"]: row for row in map(json.loads, output.splitlines())}


def _poll(config: Path) -> dict[str, Collected]:
    """Poll every source once; each source's outcome by id."""
    loaded = load_config(config)
    store = open_store(loaded.database_url)
    outcomes: dict[str, Collected] = {}

    def keep(collected: Collected) -> None:
        outcomes[collected.source.id] = collected

    try:
        poll_once(store, loaded, progress=keep)
    finally:
        store.close()
    return outcomes


STORY_URLS = {
    "https://www.theverge.com/2024/5/17/24159095/jan-leike-resigns-openai",
    "https://www.nytimes.com/2024/05/14/technology/ilya-sutskever-leaving-openai.html",
    "https://www.alarabiya.net/technology/2024/05/15/sutskever-leaves",
    SHARED_URL,
    "https://www.cnbc.com/2024/05/18/altman-responds-safety",
}
UNRELATED = ("reuters.com", "aleqt.com", "axios.com", "wired.com")


def test_story_results_are_stored_once_at_their_publishers_url(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    config = story_config([*BUNDLED_SEARCHES, {"id": "wire", "feed": serve_wire(engines)}])

    line = _run(config, "poll", "--once").stdout.strip().splitlines()[-1]

    assert line.startswith("polled 5 sources: 0 unchanged, 0 failed; items: 7 new")
    assert line.endswith("search results: 25 seen, 15 kept, 10 dropped")
    items = _items(config)
    urls = [item["url"] for item in items]
    assert len(urls) == len(set(urls))  # every article once
    google_only = next(u for u in urls if u.startswith(engines.base_url + "/rss/articles/"))
    weather = "https://news.example.org/weather"
    assert set(urls) == STORY_URLS | {google_only, weather}
    assert not any(outlet in url for url in urls for outlet in UNRELATED)
    arabic = next(item for item in items if item["url"] == google_only)
    assert arabic["title"] == "يان لايكي يستقيل من أوبن إيه آي وينتقد ثقافة الأمان"
    assert arabic["stories"] == [STORY] and arabic["sources"] == ["gnews-ar"]
    verge = next(item for item in items if "theverge" in item["url"])
    assert set(verge["sources"]) == {"gdelt-exits", "gnews-en", "bing-en"}
    assert verge["title"] == "Jan Leike resigns from OpenAI, saying safety culture took a backseat"
    assert verge["published"] == engines.corpus[0].published.isoformat().replace("+00:00", "Z")


def test_the_article_a_listed_feed_also_carries_is_one_item_with_every_source(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    config = story_config([*BUNDLED_SEARCHES, {"id": "wire", "feed": serve_wire(engines)}])
    _run(config, "poll", "--once")

    (shared,) = [item for item in _items(config) if item["url"] == SHARED_URL]
    assert set(shared["sources"]) == {"wire", "gdelt-exits", "gnews-en", "bing-en"}
    assert shared["source"] == shared["sources"][0]  # the first to find it


def test_each_engine_is_asked_the_translated_story(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    _poll(story_config(BUNDLED_SEARCHES))

    names = (
        "(Leike OR لايكه OR لايكي OR Sutskever OR سوتسكيفر OR superalignment OR "
        '"التوافق الفائق" OR "المواءمة الفائقة" OR "المحاذاة الفائقة")'
    )
    safety = (
        '(Altman OR ألتمان) ("AI safety" OR "safety culture" OR "safety team" OR '
        '"أمان الذكاء الاصطناعي" OR "سلامة الذكاء الاصطناعي")'
    )
    assert engines.queries("gdelt") == [names, safety]
    english = [
        "(Leike OR Sutskever OR superalignment)",
        'Altman ("AI safety" OR "safety culture" OR "safety team")',
    ]
    assert engines.queries("bing_news") == english
    assert sorted(engines.queries("google_news")) == sorted(
        [
            *english,
            '(لايكه OR لايكي OR سوتسكيفر OR "التوافق الفائق" OR "المواءمة الفائقة" OR '
            '"المحاذاة الفائقة")',
            'ألتمان ("أمان الذكاء الاصطناعي" OR "سلامة الذكاء الاصطناعي" OR "safety culture")',
        ]
    )
    gdelt = engines.asked["gdelt"][0]
    assert gdelt | {"query": ""} == {
        "query": "",
        "mode": "artlist",
        "format": "json",
        "maxrecords": "250",
        "sort": "datedesc",
    }
    arabic = [p for p in engines.asked["google_news"] if p["hl"] == "ar"]
    assert {(p["hl"], p["gl"], p["ceid"]) for p in arabic} == {("ar", "SA", "SA:ar")}
    assert {p.get("setlang") for p in engines.asked["bing_news"]} == {"en"}
    assert {p["format"] for p in engines.asked["bing_news"]} == {"rss"}


def test_the_second_poll_asks_only_for_what_is_newer(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    config = story_config(BUNDLED_SEARCHES)
    _poll(config)
    assert "startdatetime" not in engines.asked["gdelt"][0]
    newest = max(a.published for a in engines.corpus if "gdelt" in a.engines)
    later = Article(
        "https://www.bbc.com/news/technology-leike-anthropic",
        "Jan Leike joins Anthropic",
        newest + timedelta(minutes=10),
        outlet="BBC",
        domain="bbc.com",
    )
    engines.corpus.append(later)
    engines.asked.clear()

    second = _poll(config)

    start = newest.strftime("%Y%m%d%H%M%S")
    assert {p["startdatetime"] for p in engines.asked["gdelt"]} == {start}
    for source_id in ("gdelt-exits", "gnews-en", "bing-en"):
        assert second[source_id].results == SearchTally(seen=1, kept=1, dropped=0), source_id
    assert second["gnews-ar"].results == SearchTally(0, 0, 0)
    assert second["gnews-ar"].unchanged
    (stored,) = [i for i in _items(config) if i["url"] == later.url]
    assert set(stored["sources"]) == {"gdelt-exits", "gnews-en", "bing-en"}


def test_a_query_gdelt_refuses_fails_the_source_with_gdelts_words(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    own = {"id": "gdelt-own", "search": {"engine": "gdelt", "query": "Leike OR Sutskever"}}
    config = story_config([own])

    result = _run(config, "poll", "--once", code=1)

    assert "polled 1 source: 0 unchanged, 1 failed" in result.stdout
    assert "gdelt-own" in result.stderr
    assert (
        "GDELT answered: Queries containing OR'd terms must be surrounded by ()."
        in (_sources(config)["gdelt-own"]["last_error"])
    )
    assert engines.queries("gdelt") == ["Leike OR Sutskever"]  # sent as written


def test_one_failed_request_keeps_the_rest_and_the_cursor(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    config = story_config([BUNDLED_SEARCHES[0]])
    engines.gdelt_refuse = "Altman"  # the second of the story's two requests

    first = _poll(config)["gdelt-exits"]

    assert first.error is None and first.items
    assert first.warning is not None
    assert "1 of 2 requests failed: GDELT answered: Your query was too short" in first.warning
    assert first.cursor is None
    _poll(config)
    assert "startdatetime" not in engines.asked["gdelt"][-1]  # asked again from the start


def test_gdelt_is_asked_at_its_rate_without_sleeping(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    path = story_config([BUNDLED_SEARCHES[0], {**BUNDLED_SEARCHES[0], "id": "gdelt-again"}])
    config = load_config(path)
    config = config.model_copy(
        update={"search": config.search.model_copy(update={"gdelt": _rate(config, 0.2)})}
    )
    clock = FakeClock()
    engines.gdelt_busy = 1  # the first request is answered 429, Retry-After: 5
    with Clients.open(config) as opened:
        limited = EngineClients.build(config.search, opened.http, clock=clock, sleep=clock.sleep)
        clients = replace(opened, search=limited)
        for source in config.sources:
            search_source(source, clients, config, cursor=None, now=datetime.now(UTC))

    # 429 → wait the 5 s asked, then a token every 5 s: one request every 5 s in all
    assert len(engines.asked["gdelt"]) == 5
    assert clock.slept == [5.0, 5.0, 5.0, 5.0]
    assert clock.now == 20.0


def _rate(config: Any, rate: float) -> Any:
    return config.search.gdelt.model_copy(update={"rate": rate})


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_a_google_news_link_that_redirects_gives_the_publishers_url(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    arabic = next(a for a in engines.corpus if a.opaque)
    # another origin than the engine's (localhost): a publisher's page
    publisher = f"http://127.0.0.1:{engines.server.port}/publisher/leike-openai"
    engines.server.expect_request("/publisher/leike-openai").respond_with_data("<html>…</html>")
    engines.publishers[opaque_token(arabic.url)] = publisher
    config = story_config([BUNDLED_SEARCHES[2]], allow_private_networks=True)

    outcome = _poll(config)["gnews-ar"]

    assert outcome.results == SearchTally(seen=3, kept=2, dropped=1)
    assert publisher in {item.url for item in outcome.items}
    # only the matching result's link was followed, not the unrelated one's
    assert len(engines.asked["google_article"]) == 1


def test_bundled_story_on_the_local_engines(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    """The closing note's figures: run with -s to see them."""
    outcomes = _poll(story_config(BUNDLED_SEARCHES))

    tallies = {
        sid: outcomes[sid].results for sid in ("gdelt-exits", "gnews-en", "gnews-ar", "bing-en")
    }
    print()
    for source_id, tally in tallies.items():
        print(f"{source_id:12} {tally.line() if tally else '-'}")
    for engine in ("gdelt", "google_news", "bing_news"):
        for params in engines.asked[engine]:
            print(f"{engine:12} {json.dumps(params, ensure_ascii=False)}")
    assert tallies == {
        "gdelt-exits": SearchTally(seen=8, kept=5, dropped=3),
        "gnews-en": SearchTally(seen=7, kept=4, dropped=3),
        "gnews-ar": SearchTally(seen=3, kept=2, dropped=1),
        "bing-en": SearchTally(seen=7, kept=4, dropped=3),
    }


def test_news_searches_are_not_backfilled(
    engines: FakeEngines, story_config: Callable[..., Path]
) -> None:
    config = story_config([BUNDLED_SEARCHES[0]])

    everything = _run(config, "backfill", "--since", "2024-05-01")
    named = CliRunner().invoke(
        cli, ["-c", str(config), "backfill", "--since", "2024-05-01", "--source", "gdelt-exits"]
    )

    assert "backfilled 0 sources" in everything.stdout
    assert named.exit_code == 2
    assert "gdelt-exits: news searches are not backfilled" in named.output
    assert not engines.asked
