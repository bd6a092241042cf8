"""Egyptian- and Levantine-dated feeds polled end to end: the outlets' dates are stored, read in
each source's zone (else the config's), and an undated item says so in `items --json`,
`sources` and `explain`; its unreadable date is logged once per source."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.pipeline.conftest import Farm
from watcher import normalise
from watcher.cli import cli
from watcher.config import load_config
from watcher.jobs.poll import poll_once
from watcher.store import open_store

ARABIC = Path(__file__).resolve().parent.parent / "fixtures" / "feeds" / "arabic"
LEVANT = "levant_utf8_declared_windows1256_sent.xml"

CONFIG = """\
timezone: Asia/Riyadh
people:
  - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "يان لايكه"]}}
stories:
  - {{id: exits, title: Exits, since: 2024-05-14, match: leike}}
sources:
  - {{id: masrawy, feed: "{egypt}", timezone: Africa/Cairo}}
  - {{id: annahar, feed: "{levant}", timezone: Asia/Beirut}}
  - {{id: wakala, feed: "{rdf}"}}
"""


@pytest.fixture(autouse=True)
def _fresh_log_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(normalise, "_reported", set())


@pytest.fixture
def config_path(farm: Farm, tmp_path: Path) -> Path:
    urls = {
        name: farm.serve(f"/{file}", (ARABIC / file).read_bytes())
        for name, file in (
            ("egypt", "egypt_windows1256.xml"),
            ("levant", LEVANT),
            ("rdf", "rdf.xml"),
        )
    }
    path = tmp_path / "watch.yaml"
    path.write_text(CONFIG.format(**urls), encoding="utf-8")
    return path


def _poll(path: Path) -> str:
    config = load_config(path)
    store = open_store(config.database_url)
    try:
        return poll_once(store, config).line()
    finally:
        store.close()


def _cli(path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["-c", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _json_lines(path: Path, *args: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in _cli(path, *args, "--json").splitlines()]


def test_the_outlets_dates_are_stored_in_each_sources_zone(config_path: Path) -> None:
    assert _poll(config_path).startswith("polled 3 sources: 0 unchanged, 0 failed; items: 11 new")
    items = {str(item["url"]): item for item in _json_lines(config_path, "items", "--limit", "50")}
    dated = {url: item["published"] for url, item in items.items() if item["date_from"] == "feed"}
    assert dated == {
        # Egyptian month names, ص/م, Cairo in DST (+3)
        "https://cairo.example.org/news/1001": "2024-05-14T23:30:00Z",
        "https://cairo.example.org/news/1002": "2024-05-16T09:00:00Z",
        "https://cairo.example.org/news/1003": "2024-05-17T18:45:00Z",
        # Levantine month names, Beirut in DST (+3)
        "https://beirut.example.org/2024/05/leike": "2024-05-15T06:15:00Z",
        "https://beirut.example.org/2024/05/budget": "2024-05-16T15:40:00Z",
        # RDF without a timezone of its own: the config's (Asia/Riyadh, +3)
        "https://rdf.example.org/n/1": "2024-01-16T07:00:00Z",  # +03:00 written
        "https://rdf.example.org/n/2": "2024-01-16T07:00:00Z",  # no zone written
        "https://rdf.example.org/n/3": "2024-01-16T18:30:00Z",  # كانون الثاني, 21:30
    }
    undated = [item for item in items.values() if item["date_from"] == "seen"]
    assert sorted(str(item["url"]).rsplit("/", 1)[1] for item in undated) == [
        "books",
        "traffic",
        "weather",
    ]
    assert all(item["published"] == item["first_seen"] for item in undated)
    assert all(str(item["first_seen"]).endswith("Z") for item in items.values())
    leike = items["https://cairo.example.org/news/1001"]
    assert leike["stories"] == ["exits"]


def test_an_undated_item_says_so_in_sources_and_explain(config_path: Path) -> None:
    _poll(config_path)
    sources = {str(s["id"]): s for s in _json_lines(config_path, "sources")}
    assert {sid: s["undated"] for sid, s in sources.items()} == {
        "masrawy": 0,
        "annahar": 3,
        "wakala": 0,
    }
    table = _cli(config_path, "sources")
    assert "undated" in table

    weather = "https://beirut.example.org/2024/05/weather"
    shown = _cli(config_path, "explain", weather)
    assert "(first seen: the feed's date 'منذ ساعتين' cannot be read)" in shown
    (explained,) = _json_lines(config_path, "explain", weather)
    assert explained["date_from"] == "seen"
    assert explained["date_note"] == "the feed's date 'منذ ساعتين' cannot be read"
    books = _cli(config_path, "explain", "https://beirut.example.org/2024/05/books")
    assert "(first seen: the feed gave no date)" in books
    dated = _cli(config_path, "explain", "https://beirut.example.org/2024/05/leike")
    assert "published: 2024-05-15 09:15 +03 (the feed's date)" in dated  # in Asia/Riyadh

    listing = _cli(config_path, "items", "--limit", "50").splitlines()
    assert sum(line.startswith("~20") for line in listing) == 3
    assert listing[-1] == "~ no readable date in the feed: the time watcher first saw the item"


def test_an_unreadable_date_is_logged_once_per_source_not_per_item_or_poll(
    config_path: Path, farm: Farm, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="watcher.normalise")
    _poll(config_path)
    body = (ARABIC / LEVANT).read_bytes()
    farm.bodies[f"/{LEVANT}"] = body.replace(  # a changed body: parsed again
        "قبل 5 دقائق".encode("windows-1256"), "قبل 7 دقائق".encode("windows-1256")
    )
    _poll(config_path)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "source annahar: the feed's date 'منذ ساعتين' cannot be read; its items are dated when "
        "first seen"
    ]
