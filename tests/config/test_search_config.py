"""The config of news-search sources: the ``search`` section and ``sources[].search``."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from watcher.config import parse_config
from watcher.errors import ConfigError

BASE = """\
people:
  - {id: leike, name: Jan Leike, aliases: ["Jan Leike", "يان لايكي"]}
stories:
  - {id: exits, title: Exits, since: 2024-05-14, match: 'leike'}
search:
  gdelt: {base_url: "http://127.0.0.1:9/gdelt", rate: 0.5}
sources:
  - {id: gdelt-exits, search: {engine: gdelt, story: exits}}
  - {id: gnews-ar, search: {engine: google_news, query: '"يان لايكي"', language: ar, region: SA}}
  - {id: bing-en, search: {engine: bing_news, story: exits, language: en}, every: 2h}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(textwrap.dedent(text), Path("watch.yaml"))
    return caught.value.problems


def test_search_sources_load_with_their_engines_settings() -> None:
    config = parse_config(BASE, Path("watch.yaml"))
    gdelt, gnews, bing = config.sources
    assert [s.kind for s in config.sources] == ["search", "search", "search"]
    assert gdelt.search is not None and gdelt.search.story == "exits"
    assert gnews.search is not None and gnews.search.region == "SA"
    assert config.search.gdelt.base_url == "http://127.0.0.1:9/gdelt"
    assert config.search.gdelt.rate == 0.5
    assert config.search.engine("google_news").base_url == "https://news.google.com"
    assert config.search.bing_news.base_url == "https://www.bing.com"
    assert config.search.google_news.rate == 1.0
    assert config.source_interval(gdelt) == timedelta(hours=1)  # fetch.every
    assert config.source_interval(bing) == timedelta(hours=2)
    assert gdelt.url == "search:gdelt?story=exits"
    assert gnews.url == 'search:google_news?query="يان لايكي"&language=ar&region=SA'


def test_gdelt_asks_for_one_request_every_five_seconds_by_default() -> None:
    config = parse_config(BASE.replace(", rate: 0.5", ""), Path("watch.yaml"))
    assert config.search.gdelt.rate == 0.2


SOURCE = "  - {id: bing-en, search: {engine: bing_news, story: exits, language: en}, every: 2h}"

BROKEN = [
    pytest.param(
        SOURCE.replace("engine: bing_news", "engine: bing"),
        "watch.yaml:10: sources[2].search.engine: unknown search engine 'bing'; "
        "did you mean 'bing_news'?",
        id="unknown-engine",
    ),
    pytest.param(
        SOURCE.replace("story: exits", "story: exit"),
        "watch.yaml:10: unknown story 'exit'; did you mean 'exits'?",
        id="unknown-story",
    ),
    pytest.param(
        SOURCE.replace("story: exits", "story: exits, query: leike"),
        "watch.yaml:10: sources[2].search: give exactly one of 'story'",
        id="story-and-query",
    ),
    pytest.param(
        SOURCE.replace("story: exits, ", ""),
        "watch.yaml:10: sources[2].search: give exactly one of 'story'",
        id="neither-story-nor-query",
    ),
    pytest.param(
        SOURCE.replace("language: en", "language: English"),
        "watch.yaml:10: sources[2].search.language: 'English' is not a language code",
        id="language-shape",
    ),
    pytest.param(
        SOURCE.replace("language: en", "language: en, region: usa"),
        "watch.yaml:10: sources[2].search.region: 'usa' is not a region",
        id="region-shape",
    ),
    pytest.param(
        SOURCE.replace(
            "bing_news, story: exits, language: en", "google_news, story: exits, language: ar"
        ),
        "watch.yaml:10: sources[2].search: Google News has editions per country",
        id="google-news-language-without-region",
    ),
    pytest.param(
        SOURCE.replace("search: {", 'feed: "https://a.example/f", search: {'),
        "watch.yaml:10: sources[2]: give exactly one of 'feed' (a URL), 'archive'",
        id="feed-and-search",
    ),
    pytest.param(
        SOURCE.replace("every: 2h", "owner: leike"),
        "watch.yaml:10: sources[2]: a news search finds many outlets' articles",
        id="owner-on-a-search",
    ),
    pytest.param(
        SOURCE.replace("language: en", "lang: en"),
        "watch.yaml:10: unknown key 'lang' in sources[2].search; did you mean 'language'?",
        id="unknown-key",
    ),
]


@pytest.mark.parametrize(("source", "expected"), BROKEN)
def test_broken_search_sources_name_the_line_and_the_problem(source: str, expected: str) -> None:
    problems = _problems(BASE.replace(SOURCE, source))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_a_bad_search_setting_names_its_line() -> None:
    problems = _problems(BASE.replace("rate: 0.5", "rate: 0"))
    assert problems[0].startswith("watch.yaml:6: search.gdelt.rate:"), problems


def test_the_bundled_config_searches_for_its_story_in_english_and_arabic() -> None:
    from watcher.config import load_config

    repo = Path(__file__).resolve().parents[2]
    config = load_config(repo / "config" / "watch.yaml")
    searches = {
        (s.search.engine, s.search.language)
        for s in config.sources
        if s.search is not None and s.search.story == "openai-safety-exits"
    }
    assert {("gdelt", None), ("google_news", "en"), ("google_news", "ar")} <= searches


def test_the_starter_config_shows_a_search_that_loads_when_uncommented() -> None:
    repo = Path(__file__).resolve().parents[2]
    text = (repo / "config" / "starter.yaml").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if "search: {engine:" in line)
    config = parse_config(text.replace(line, line.replace("# -", "-", 1)), Path("starter.yaml"))
    assert [s.kind for s in config.sources] == ["feed", "search"]
