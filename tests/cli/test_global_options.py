"""Issue 13, problem 3: ``-c``, ``-v`` and ``--log-format`` work before or after the command,
on every command and every subgroup's command."""

from __future__ import annotations

import logging
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from watcher.cli import cli
from watcher.logs import JsonFormatter


def _every_command(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    context = click.Context(group)
    found = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        found.append((*path, name))
        if isinstance(command, click.Group):
            found += _every_command(command, (*path, name))
    return found


@pytest.mark.parametrize("path", _every_command(cli), ids=" ".join)
def test_every_command_takes_the_global_options(path: tuple[str, ...]) -> None:
    command: click.Command | None = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), name)
    assert command is not None
    options = {opt for param in command.params for opt in param.opts}
    assert {"-c", "--config", "-v", "--verbose", "--log-format"} <= options


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["items", "--limit", "5"],
        ["sources"],
        ["sources", "export"],  # reads the config only
        ["followups"],
        ["deliveries"],
        ["rematch"],
        ["db", "upgrade"],
        ["digest", "preview", "--out", "{out}"],
        ["poll", "--once"],
    ],
    ids=" ".join,
)
def test_c_after_the_command_is_the_config_used(
    world: Path, tmp_path: Path, args: list[str]
) -> None:
    args = [arg.replace("{out}", str(tmp_path / "out")) for arg in args]
    result = CliRunner().invoke(cli, [*args, "-c", str(world)])
    assert "No such option" not in result.output
    assert result.exit_code in (0, 1), result.output  # 1: poll --once meets the 404 feed
    assert (world.parent / "watcher.db").exists() or args in (["check"], ["sources", "export"])
    assert not (tmp_path / "data").exists()  # the default database was never touched


def test_c_after_a_subgroups_command(world: Path) -> None:
    result = CliRunner().invoke(cli, ["digest", "send", "-c", str(world)])
    assert "No such option" not in result.output
    assert (world.parent / "watcher.db").exists()


def test_the_last_c_wins_and_v_adds_up(world: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("timezone: UTC\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-c", str(other), "check", "-c", str(world)])
    assert f"config: {world}" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["check", "-c", "{config}", "-vv", "--log-format", "json"],
        ["-v", "check", "-v", "-c", "{config}", "--log-format", "json"],
        ["--log-format", "json", "-vv", "-c", "{config}", "check"],
    ],
    ids=" ".join,
)
def test_log_options_before_or_after_the_command(world: Path, args: list[str]) -> None:
    args = [arg.replace("{config}", str(world)) for arg in args]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    logger = logging.getLogger("watcher")
    assert logger.level == logging.DEBUG
    assert [type(h.formatter) for h in logger.handlers] == [JsonFormatter]
