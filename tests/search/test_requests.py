"""The requests a search source sends: the URL contract of each engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.config import Config, parse_config
from watcher.errors import FetchError
from watcher.fetch.search import plan

CONFIG = """\
people:
  - {id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike", "يان لايكي"]}
stories:
  - {id: exits, title: Exits, since: 2024-05-14, match: 'leike AND NOT rumour'}
  - {id: tiny, title: Tiny, since: 2024-05-14, match: 'ai OR ok'}
search:
  gdelt: {base_url: "https://gdelt.mirror.example/"}
sources:
  - {id: gdelt, search: {engine: gdelt, story: exits}}
  - {id: gdelt-ar, search: {engine: gdelt, story: exits, language: ar}}
  - {id: gnews, search: {engine: google_news, query: '"يان لايكي" OR سوتسكيفر', language: ar, region: SA}}
  - {id: gnews-default, search: {engine: google_news, story: exits}}
  - {id: bing, search: {engine: bing_news, story: exits, language: en, region: GB}}
  - {id: bing-plain, search: {engine: bing_news, query: leike}}
  - {id: gdelt-tiny, search: {engine: gdelt, story: tiny}}
"""
NOW = datetime(2024, 5, 20, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def config() -> Config:
    return parse_config(CONFIG, Path("watch.yaml"))


def _urls(config: Config, source_id: str, since: datetime | None = None) -> list[str]:
    asked = plan(config.source(source_id), config, since=since, now=NOW)
    return [request.url for request in asked.requests]


def test_gdelt(config: Config) -> None:
    assert _urls(config, "gdelt") == [
        "https://gdelt.mirror.example/api/v2/doc/doc?query=%28Leike%20OR%20%22%D9%8A%D8%A7%D9%86"
        "%20%D9%84%D8%A7%D9%8A%D9%83%D9%8A%22%29%20-rumour"
        "&mode=artlist&format=json&maxrecords=250&sort=datedesc"
    ]


def test_gdelt_after_the_first_poll_asks_from_the_cursor(config: Config) -> None:
    since = datetime(2024, 5, 18, 9, 15, 2, tzinfo=UTC)
    (url,) = _urls(config, "gdelt", since)
    assert url.endswith("&sort=datedesc&startdatetime=20240518091502")


def test_gdelt_is_never_asked_before_its_three_months(config: Config) -> None:
    (url,) = _urls(config, "gdelt", NOW - timedelta(days=400))
    assert url.endswith(f"&startdatetime={(NOW - timedelta(days=89)):%Y%m%d%H%M%S}")


def test_gdelt_with_a_language_asks_for_it(config: Config) -> None:
    (url,) = _urls(config, "gdelt-ar")
    assert "%20-rumour%20sourcelang:arabic&mode=artlist" in url


def test_google_news_own_query_is_sent_as_written(config: Config) -> None:
    assert _urls(config, "gnews") == [
        "https://news.google.com/rss/search?q=%22%D9%8A%D8%A7%D9%86%20%D9%84%D8%A7%D9%8A%D9%83"
        "%D9%8A%22%20OR%20%D8%B3%D9%88%D8%AA%D8%B3%D9%83%D9%8A%D9%81%D8%B1&hl=ar&gl=SA&ceid=SA:ar"
    ]


def test_google_news_defaults_to_the_us_english_edition(config: Config) -> None:
    (url,) = _urls(config, "gnews-default", datetime(2024, 5, 18, tzinfo=UTC))
    assert url.endswith("&hl=en&gl=US&ceid=US:en")  # and no date: Google cannot be asked


def test_bing(config: Config) -> None:
    assert _urls(config, "bing") == [
        "https://www.bing.com/news/search?q=Leike%20-rumour&format=rss&setlang=en&cc=GB"
    ]
    assert _urls(config, "bing-plain") == ["https://www.bing.com/news/search?q=leike&format=rss"]


def test_a_story_an_engine_cannot_be_asked_fails_the_source(config: Config) -> None:
    with pytest.raises(FetchError) as caught:
        plan(config.source("gdelt-tiny"), config)
    assert caught.value.source_id == "gdelt-tiny"
    assert "nothing in this story's query can be asked of GDELT" in caught.value.reason
