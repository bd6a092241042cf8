"""`watcher followups` (a group that still lists), `followups suggest` and `aliases suggest` on a
small stored sample."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.match.conftest import altman_post, make_item, store_item
from watcher.cli import cli
from watcher.config import Config, load_config
from watcher.errors import WatcherError
from watcher.jobs.suggest import propose_followups, suggest_entity_aliases
from watcher.match import Matcher
from watcher.store import open_store

CONFIG = """
timezone: UTC
people:
  - id: sutskever
    name: Ilya Sutskever
    aliases: [Ilya Sutskever, Sutskever, سوتسكيفر]
  - id: altman
    name: Sam Altman
    aliases: [Sam Altman, Altman]
    accounts: {x: sama}
  - id: murati
    name: Mira Murati
stories:
  - id: exits
    title: Departures
    since: 2024-05-14
    match: sutskever OR altman
    followups:
      - id: longer-post
        title: Altman's longer post
        by: [altman]
        after: "https://x.com/sama/status/1"
  - id: products
    title: Products
    since: 2024-05-01
    match: altman AND launch
sources:
  - {id: wire, feed: "https://wire.example/feed.xml"}
  - {id: sama-x, archive: x.com/sama}
"""


ITEMS = [
    make_item("سوتسكفر يطلق شركة جديدة", "", url="https://wire.example/1"),
    make_item("خبر", "قال سوتسكفر إن السلامة أولوية", url="https://wire.example/2"),
    make_item("إيليا سوتسكيفر يغادر", "", url="https://wire.example/3"),
    # in the story through Altman; "Sutskevar" is a variant the matcher finds by itself
    make_item("Altman thanks Ilya Sutskevar", "", url="https://wire.example/4"),
    make_item("The weather", "Sunny, and Ilya's garden is fine", url="https://wire.example/5"),
    altman_post(
        1,
        "i'll have a longer post in the next couple of days.",
        datetime(2024, 5, 17, 12, tzinfo=UTC),
    ),
    altman_post(2, "thank you all. more on this soon.", datetime(2024, 5, 18, 12, tzinfo=UTC)),
    altman_post(
        3,
        "we will share the details of the launch next week.",
        datetime(2024, 5, 20, 12, tzinfo=UTC),
    ),
    altman_post(4, "a lovely day at the office.", datetime(2024, 5, 21, 12, tzinfo=UTC)),
]


@pytest.fixture
def config(write_config: Callable[[str], Path]) -> Config:
    config = load_config(write_config(CONFIG))
    store = open_store(config.database_url)
    matcher = Matcher(config)
    with store.session() as session:
        for item in ITEMS:
            store_item(session, config, item, matcher)
    store.close()
    return config


def run(config: Config, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["-c", str(config.path), *args])
    assert result.exit_code == 0, result.output
    return result


def test_followups_still_lists_without_a_subcommand(config: Config) -> None:
    listed = run(config, "followups").stdout
    assert "exits/longer-post  FULFILLED" in listed
    assert "by altman on 2024-05-18 12:00 UTC: https://x.com/sama/status/2" in listed
    rows = [json.loads(line) for line in run(config, "followups", "--json").stdout.splitlines()]
    assert rows[0]["promise_url"] == "https://x.com/sama/status/1"


def test_followups_suggest(config: Config) -> None:
    proposed = yaml.safe_load(run(config, "followups", "suggest").stdout)
    # newest first; the promise of status 1 has a follow-up already; "launch" only in products
    assert [p["after"] for p in proposed["exits"]] == [
        "https://x.com/sama/status/3",
        "https://x.com/sama/status/2",
    ]
    assert proposed["exits"][0] == {
        "id": "altman-2024-05-20",
        "title": "Sam Altman: we will share the details of the launch next week.",
        "by": ["altman"],
        "after": "https://x.com/sama/status/3",
        "due": date(2024, 5, 27),
    }
    assert proposed["exits"][1]["due"] == date(2024, 6, 1)  # "soon": two weeks
    assert [p["id"] for p in proposed["products"]] == ["altman-2024-05-20", "altman-2024-05-18"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--limit", "1"], {"exits": ["altman-2024-05-20"], "products": ["altman-2024-05-20"]}),
        (
            ["--since", "2024-05-19"],
            {"exits": ["altman-2024-05-20"], "products": ["altman-2024-05-20"]},
        ),
        (
            ["--story", "exits", "--limit", "5"],
            {"exits": ["altman-2024-05-20", "altman-2024-05-18"]},
        ),
    ],
)
def test_followups_suggest_options(
    config: Config, options: list[str], expected: dict[str, list[str]]
) -> None:
    proposed = yaml.safe_load(run(config, "followups", "suggest", *options).stdout)
    assert {story: [p["id"] for p in ps] for story, ps in proposed.items()} == expected


def test_unknown_story_or_entity(config: Config) -> None:
    store = open_store(config.database_url)
    with pytest.raises(WatcherError, match="no story 'exit' in the config"):
        propose_followups(store, config, story_id="exit")
    with pytest.raises(WatcherError, match="no entity 'ilya' in the config"):
        suggest_entity_aliases(store, config, entity_id="ilya")
    store.close()


def test_aliases_suggest_for_one_entity(config: Config) -> None:
    output = run(config, "aliases", "suggest", "--entity", "sutskever").stdout
    spellings = yaml.safe_load(output)["sutskever"]
    assert spellings[0] == "سوتسكفر"  # the most seen first, the others as first seen (newest)
    assert set(spellings) == {"سوتسكفر", "إيليا سوتسكيفر", "Sutskevar"}
    # the items that mention him or match his story (Altman's posts too), not the weather
    assert "# Ilya Sutskever; 8 stored items read" in output
    assert "variant of 'سوتسكيفر'; seen 2 times, e.g. خبر قال «سوتسكفر» إن السلامة" in output
    assert "before 'سوتسكيفر'; seen 1 time, e.g. «إيليا سوتسكيفر» يغادر" in output


def test_aliases_suggest_for_every_entity_shows_those_with_news(config: Config) -> None:
    found = yaml.safe_load(run(config, "aliases", "suggest").stdout)
    assert list(found) == ["sutskever"]
    output = run(config, "aliases", "suggest", "--entity", "murati").stdout
    assert yaml.safe_load(output) == {"murati": []}
