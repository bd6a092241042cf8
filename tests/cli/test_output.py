"""Issue 13, problem 6: terminal output.

Tables fit the terminal (titles wrap, ids and dates never break), states are coloured on a
terminal, piped output is tab-separated lines, times are in the config's zone, each failing
source is named once by ``poll``, counts read naturally, follow-ups have their own column.
Terminal cases run ``watcher`` on a real pseudo-terminal of the given width.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.cli.world import on_terminal, visible, watcher

DATE = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b")


@pytest.fixture
def polled(world: Path) -> Path:
    result = watcher("poll", "-c", str(world))
    assert result.code == 1, result.stderr  # the 404 feed
    return world


def test_poll_names_each_failing_source_once(world: Path, httpserver: HTTPServer) -> None:
    result = watcher("poll", "--once", "-c", str(world))
    mentions = [line for line in result.stderr.splitlines() if "gone-feed" in line]
    assert mentions == [
        f"failed: source gone-feed ({httpserver.url_for('/gone.xml')}): HTTP 404 Not Found"
    ]
    assert result.stdout == (
        "polled 3 sources: 0 unchanged, 1 failed; items: 3 new, 0 updated; matches: 3\n"
    )
    one = watcher("poll", "--source", "wired-ai", "-c", str(world))
    assert one.stdout.startswith("polled 1 source: 1 unchanged, 0 failed")
    assert one.code == 0


def test_with_json_logs_each_failing_source_is_one_event(world: Path) -> None:
    result = watcher("poll", "--log-format", "json", "-c", str(world))
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(e["event"], e["source"], e["message"]) for e in events] == [
        ("poll.failed", "gone-feed", "poll failed: HTTP 404 Not Found")
    ]


@pytest.mark.parametrize("columns", [60, 80, 200])
def test_items_fit_the_terminal_without_breaking_ids_or_dates(polled: Path, columns: int) -> None:
    shown = visible(on_terminal("items", "-c", str(polled), columns=columns).stdout)
    lines = shown.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= columns
    assert len([line for line in lines if DATE.search(line)]) == 3  # one whole date per item
    assert lines[0].startswith("published (+03)")
    assert "2024-05-18 22:10" in shown  # 19:10 UTC in Asia/Riyadh
    for identifier in ("openai-news", "openai-safety-exits", "altman-longer-post", "sutskever"):
        assert re.search(rf"(?<![\w-]){identifier}(?![\w-])", shown), identifier
    words = [
        "Sam",
        "Altman",
        "on",
        "the",
        "departures",
        "of",
        "Jan",
        "Leike",
        "and",
        "Ilya",
        "Sutskever",
    ]
    assert [w for w in words if w not in re.findall(r"\w+", shown)] == []  # wrapped, not cut


def test_follow_ups_have_their_own_column(polled: Path) -> None:
    wide = visible(on_terminal("items", "-c", str(polled), columns=200).stdout).splitlines()
    assert re.split(r"\s{2,}", wide[0].strip())[-3:] == ["entities", "stories", "follow-ups"]
    piped = watcher("items", "-c", str(polled)).stdout.splitlines()
    assert piped[0].split("\t") == [
        "published (+03)",
        "source",
        "title",
        "entities",
        "stories",
        "follow-ups",
    ]
    first = piped[1].split("\t")
    assert first[4:] == ["openai-safety-exits", "altman-longer-post"]
    narrow = visible(on_terminal("items", "-c", str(polled), columns=80).stdout)
    assert "follow-ups: altman-longer-post" in narrow
    assert "stories: openai-safety-exits" in narrow


def test_piped_output_is_tab_separated_lines(polled: Path) -> None:
    for command in ("items", "sources", "deliveries"):
        result = watcher(command, "-c", str(polled))
        assert result.code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert "\x1b" not in result.stdout
        assert len({line.count("\t") for line in lines}) == 1, command
        assert lines[0].count("\t") >= 4


def test_states_are_coloured_on_a_terminal_only(polled: Path) -> None:
    shown = on_terminal("sources", "-c", str(polled)).stdout
    ok_line = next(line for line in shown.splitlines() if "openai-news" in line)
    failing_line = next(line for line in shown.splitlines() if line.startswith("gone-feed "))
    assert "\x1b[32mok" in ok_line
    assert "\x1b[1;31mfailing (1x)" in failing_line
    assert "\x1b" not in watcher("sources", "-c", str(polled)).stdout


def test_errors_stay_on_one_line_cut_at_the_terminal_width(
    polled: Path, httpserver: HTTPServer
) -> None:
    httpserver.clear_all_handlers()
    httpserver.expect_request("/gone.xml").respond_with_data(
        "Our feed has moved somewhere else entirely; " * 10, content_type="text/plain"
    )
    assert watcher("poll", "--source", "gone-feed", "-c", str(polled)).code == 1
    shown = visible(on_terminal("sources", "-c", str(polled), columns=80).stdout).splitlines()
    errors = [line for line in shown if line.startswith("gone-feed:")]
    assert len(errors) == 1
    assert len(errors[0]) == 80 and errors[0].endswith("…")
    assert "not a feed: the body is not XML or JSON" in errors[0]


def test_times_are_shown_in_the_configs_zone(polled: Path) -> None:
    shown = visible(on_terminal("sources", "-c", str(polled), columns=120).stdout)
    header = shown.splitlines()[0]
    assert "last success (+03)" in header and "next poll (+03)" in header
