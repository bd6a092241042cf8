"""Issue 13, problem 3: no silent fallback. ``check`` and ``sources`` name the config and the
database in use (password masked); without ``-c`` the bundled config is announced; ``init``
writes a config whose database lives beside it, so two configs never share one."""

from __future__ import annotations

from pathlib import Path

from tests.cli.world import watcher


def test_check_names_the_config_and_the_database_with_the_password_masked(
    tmp_path: Path,
) -> None:
    config = tmp_path / "watch.yaml"
    config.write_text(
        "database: postgresql+psycopg://watcher:s3cret-pw@db.example:5432/watch\n"
        "sources: [{id: a, feed: 'https://a.example/feed'}]\n"
        "stories: [{id: s, title: S, since: 2024-05-14, match: 'alignment'}]\n",
        encoding="utf-8",
    )
    result = watcher("check", "-c", str(config))
    assert result.code == 0, result.stderr
    assert f"config: {config}" in result.stdout
    assert "database: postgresql+psycopg://db.example:5432/watch" in result.stdout
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_sources_names_the_config_and_database_on_standard_error(world: Path) -> None:
    result = watcher("sources", "-c", str(world))
    assert result.code == 0, result.stderr
    database = world.parent / "watcher.db"
    assert f"config: {world} · database: sqlite:///{database}" in result.stderr
    assert result.stdout.startswith("id\tkind\tstatus")  # standard output stays the table


def test_falling_back_to_the_bundled_config_is_said_once_on_standard_error(
    tmp_path: Path,
) -> None:
    result = watcher("check", cwd=tmp_path)
    assert result.code == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "bundled" in line]
    assert len(notices) == 1
    assert "no -c given" in notices[0] and "-c FILE" in notices[0]
    named = watcher("check", "-c", str(tmp_path / "absent.yaml"), cwd=tmp_path)
    assert "bundled" not in named.stderr


def test_two_init_configs_keep_their_own_databases(tmp_path: Path) -> None:
    for name in ("one", "two"):
        assert watcher("init", name, cwd=tmp_path).code == 0
    for name in ("one", "two"):
        checked = watcher("check", "-c", f"{name}/watch.yaml", cwd=tmp_path)
        assert f"database: sqlite:///{tmp_path / name / 'watcher.db'}" in checked.stdout
    assert watcher("db", "upgrade", "-c", "one/watch.yaml", cwd=tmp_path).code == 0
    assert (tmp_path / "one" / "watcher.db").exists()
    assert not (tmp_path / "two" / "watcher.db").exists()
