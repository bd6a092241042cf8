"""The config commands from the outside: init writes a config that check accepts; errors exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from watcher.cli import cli


def _watcher(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_init_writes_a_starter_config_that_check_accepts(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(tmp_path / "mine")])
    assert result.exit_code == 0, result.output
    config = tmp_path / "mine" / "watch.yaml"
    checked = runner.invoke(cli, ["-c", str(config), "check"])
    assert checked.exit_code == 0 and "OK" in checked.output

    again = runner.invoke(cli, ["init", str(tmp_path / "mine")])
    assert again.exit_code == 1 and "--force" in again.output


def test_check_on_a_broken_config_prints_file_line_and_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "people:\n  - id: altman\n    name: Sam Altman\n    alias: [Altman]\n"
        "sources:\n  - {id: a, feed: 'https://a.example/f', owner: altmann}\n",
        encoding="utf-8",
    )
    result = _watcher("-c", str(broken), "check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {broken}:4: unknown key 'alias' in people[0]; did you mean 'aliases'?",
        f"{broken}:6: unknown person or organisation 'altmann'; did you mean 'altman'?",
    ]


def test_check_runs_from_any_directory_on_the_bundled_config(tmp_path: Path) -> None:
    result = _watcher("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("2 digests") and "watch.yaml: OK" in result.stdout


def test_db_upgrade_creates_the_database_in_the_data_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "watcher.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output.startswith("watcher, version ")
