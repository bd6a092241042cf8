"""Issue 13, problem 7: exit statuses and options.

0 all well, 1 some sources or deliveries failed, 2 usage or config error, 3 cannot run (the
database; see test_errors.py). ``--since`` takes dates, times and durations on every command
that has it; ``watcher poll`` polls once; ``backfill`` says "run again to resume" only when
running again can help.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from tests.cli.world import watcher
from watcher.cli import cli


def test_poll_exits_1_when_a_source_failed_and_0_when_all_went_well(world: Path) -> None:
    assert watcher("poll", "--once", "-c", str(world)).code == 1
    assert watcher("poll", "--source", "wired-ai", "-c", str(world)).code == 0


def test_poll_without_once_polls_once(world: Path) -> None:
    result = watcher("poll", "--source", "openai-news", "-c", str(world))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("polled 1 source: 0 unchanged, 0 failed; items: 2 new")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["poll", "--frequently"], "No such option '--frequently'"),
        (["items", "--since", "last tuesday"], "'last tuesday' is neither a date"),
        (["items", "--story", "nope"], "unknown story 'nope'"),
    ],
)
def test_usage_errors_exit_2(world: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, [*args, "-c", str(world)])
    assert result.exit_code == 2
    assert message in result.output


def test_config_errors_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "watch.yaml"
    broken.write_text("sources: [{id: a, feed: 'https://a.example/f', every: 30}]\n")
    result = watcher("items", "-c", str(broken))
    assert result.code == 2
    assert result.stderr.startswith(f"error: {broken}:1: sources[0].every: 30 has no unit")


@pytest.mark.parametrize(
    ("since", "titles"),
    [
        ("7d", set()),  # the items are from 2024
        ("2024-05-17T15:00Z", {"Sam Altman on", "OpenAI's superalignment"}),
        ("2024-05-17T18:03", {"Sam Altman on", "OpenAI's superalignment"}),  # Riyadh time
        ("2024-05-17T18:04", {"Sam Altman on"}),
        ("2024-05-18", {"Sam Altman on"}),
        ("2024-05-17 11:00", {"Sam Altman on", "OpenAI's superalignment", "DevDay dates"}),
    ],
)
def test_since_takes_dates_times_and_durations(world: Path, since: str, titles: set[str]) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["poll", "-c", str(world)])
    result = runner.invoke(cli, ["items", "--since", since, "-c", str(world)])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert {title for title in titles if any(r[2].startswith(title) for r in rows)} == titles
    assert len(rows) == len(titles)


@pytest.mark.parametrize("command", [["items"], ["backfill"], ["digest", "preview"]])
def test_help_shows_date_or_duration(command: list[str]) -> None:
    shown = CliRunner().invoke(cli, [*command, "--help"]).output
    assert "--since DATE|DURATION" in shown
    assert "%Y" not in shown


def _backfill_config(tmp_path: Path, httpserver: HTTPServer, status: int) -> Path:
    httpserver.expect_request("/paged.xml").respond_with_data("busy", status=status)
    config = tmp_path / "watch.yaml"
    config.write_text(
        f"sources: [{{id: paged, feed: '{httpserver.url_for('/paged.xml')}'}}]\n",
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize(
    ("status", "stopped"),
    [
        (404, "1 stopped early (running it again will not help: see why above)"),
        (403, "1 stopped early (running it again will not help: see why above)"),
        (503, "1 stopped early (run the same command again to resume)"),
    ],
)
def test_backfill_says_run_again_to_resume_only_when_it_can_help(
    tmp_path: Path, httpserver: HTTPServer, status: int, stopped: str
) -> None:
    config = _backfill_config(tmp_path, httpserver, status)
    result = watcher("backfill", "--since", "2024-05-01", "-c", str(config))
    assert result.code == 1
    assert f"paged: 0 pages, 0 new items, 0 updated; stopped: HTTP {status}" in result.stderr
    assert result.stdout == f"backfilled 1 source back to 2024-05-01; {stopped}\n"


def test_backfill_takes_a_duration(tmp_path: Path, httpserver: HTTPServer) -> None:
    config = _backfill_config(tmp_path, httpserver, 404)
    result = watcher("backfill", "--since", "30d", "-c", str(config))
    day = (datetime.now(UTC) - timedelta(days=30)).date()
    assert f"backfilled 1 source back to {day}" in result.stdout
