"""`watcher run`'s options: durations checked up front, the environment honoured."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from watcher.cli import cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tick", "0s"], "'--tick': '0s' must be longer than zero"),
        (["--lease", "3x"], "'--lease': '3x' is not a duration"),
    ],
)
def test_bad_durations_are_refused_before_anything_starts(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["run", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_options_come_from_the_environment_too(monkeypatch: pytest.MonkeyPatch) -> None:
    command = cli.get_command(click.Context(cli), "run")
    assert command is not None
    monkeypatch.setenv("WATCHER_WORKER_ID", "pod-7")
    monkeypatch.setenv("WATCHER_METRICS_LISTEN", "0.0.0.0:9464")
    context = command.make_context("run", [])
    assert context.params["worker_id"] == "pod-7"
    assert context.params["metrics_listen"] == "0.0.0.0:9464"
