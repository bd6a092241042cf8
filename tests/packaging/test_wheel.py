"""A non-editable install carries everything it needs: config, templates, migrations, catalogs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("watcher-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_the_wheel_ships_config_templates_and_migrations(wheel_names: set[str]) -> None:
    expected = {
        "watcher/_bundled/config/watch.yaml",
        "watcher/_bundled/config/starter.yaml",
        "watcher/store/migrations/env.py",
        "watcher/store/migrations/script.py.mako",
        "watcher/store/migrations/versions/0001_initial.py",
    }
    assert expected <= wheel_names
    templates = {REPO / "templates" / name for name in wheel_names}
    shipped = {
        p.relative_to(REPO).as_posix() for p in (REPO / "templates").rglob("*") if p.is_file()
    }
    assert {f"watcher/_bundled/{name}" for name in shipped} <= wheel_names, templates
