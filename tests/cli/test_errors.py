"""Issue 13, problem 5: every error a user can act on is a message, never a traceback.

Each case runs ``watcher`` as a process, as a user would: a config that is not UTF-8, a
database in a folder this user cannot write, a database file it cannot read, a broken template
in ``templates_dir``. Config problems exit 2 with ``FILE:LINE``; a database that cannot be
used exits 3 with its path and a hint.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.world import Run, watcher

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _obey_file_modes() -> None:
    """In the child, before it runs: root without the capabilities that let it ignore file
    modes (a user without rights sees the same errors). Nothing to do for other users."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture(scope="module")
def file_modes_obeyed() -> None:
    try:
        subprocess.run(["true"], preexec_fn=_obey_file_modes, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"cannot run a process that obeys file modes here: {error}")


def _without_rights(*args: str) -> Run:
    """``watcher ARGS`` as a process that file modes apply to (root ignores them)."""
    done = subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_obey_file_modes,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def _config(folder: Path, text: str) -> Path:
    path = folder / "watch.yaml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o644)
    return path


def test_a_config_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "watch.yaml"
    path.write_bytes("timezone: UTC\npeople:\n  - {id: a, name: Andr\xe9}\n".encode("latin-1"))
    result = watcher("check", "-c", str(path))
    assert result.code == 2
    assert result.stderr == (
        f"error: {path}:3: not UTF-8 (byte 0xe9 in column 23): save the file as UTF-8\n"
    )


@pytest.mark.usefixtures("file_modes_obeyed")
def test_a_database_in_a_folder_this_user_cannot_write(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    config = _config(tmp_path, "database: sqlite:///read-only/data/watcher.db\n")
    result = _without_rights("items", "-c", str(config))
    folder.chmod(0o755)
    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        f"error: cannot open the database {folder}/data/watcher.db: Permission denied; it and "
        "its folder must be readable and writable by this user"
    )


@pytest.mark.usefixtures("file_modes_obeyed")
def test_a_database_file_this_user_cannot_read(tmp_path: Path) -> None:
    config = _config(tmp_path, "database: sqlite:///watcher.db\n")
    assert watcher("db", "upgrade", "-c", str(config)).code == 0
    (tmp_path / "watcher.db").chmod(0o000)
    result = _without_rights("items", "-c", str(config))
    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        f"error: cannot open the database {tmp_path}/watcher.db: unable to open database file"
    )


def test_a_directory_where_the_database_should_be(tmp_path: Path) -> None:
    (tmp_path / "watcher.db").mkdir()
    config = _config(tmp_path, "database: sqlite:///watcher.db\n")
    result = watcher("sources", "-c", str(config))
    assert result.code == 3
    assert f"error: cannot open the database {tmp_path}/watcher.db: " in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_template_is_found_by_check(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "subject.txt.j2").write_text("{{ title }}\n", encoding="utf-8")
    (templates / "digest.txt.j2").write_text(
        "{{ title }}\n{% for story in stories %}\n  {{ story.title }\n{% endfor %}\n",
        encoding="utf-8",
    )
    config = _config(tmp_path, "templates_dir: templates\n")
    result = watcher("check", "-c", str(config))
    assert result.code == 2
    assert result.stderr == (f"error: {templates}/digest.txt.j2:3: unexpected '}}'\n")


def test_templates_dir_that_is_not_a_folder(tmp_path: Path) -> None:
    config = _config(tmp_path, "templates_dir: nowhere\n")
    result = watcher("check", "-c", str(config))
    assert result.code == 2
    assert f"templates_dir {tmp_path}/nowhere is not a directory" in result.stderr
