"""README.md stays true: its commands are CI's, and every config key and command is described."""

from __future__ import annotations

import re
from pathlib import Path

import click
from pydantic import BaseModel

from watcher.cli import cli
from watcher.config import Config
from watcher.config.load import model_in

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def test_the_readme_starts_with_the_two_setup_commands() -> None:
    run, tests = (block.strip() for block in _shell_blocks(README)[:2])
    assert run.endswith("watcher run")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    tests = _shell_blocks(README)[1].strip()
    assert tests in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def _config_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        if field.exclude or name == "kind":  # not written by users
            continue
        keys.add(name)
        nested = model_in(field.annotation)
        if nested is not None and nested is not model:
            keys |= _config_keys(nested, f"{prefix}{name}.")
    return keys


def test_every_config_key_is_in_the_readme() -> None:
    missing = sorted(
        key for key in _config_keys(Config) if f"`{key}" not in README and f"{key}`" not in README
    )
    assert missing == []


def _commands(group: click.Group, prefix: str = "watcher") -> set[str]:
    found = set()
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            found |= _commands(command, f"{prefix} {name}")
        else:
            found.add(f"{prefix} {name}")
    return found


def test_every_command_is_in_the_readme() -> None:
    missing = sorted(command for command in _commands(cli) if f"`{command}" not in README)
    assert missing == []
