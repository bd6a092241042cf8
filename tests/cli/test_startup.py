"""Issue 14, item 1: a command imports only what it uses.

``watcher --version`` and ``--help`` import no database, parser, network, scheduler or
validation library (commands load lazily, heavy imports live inside the functions that need
them); ``watcher items`` on a small database reads it without the fetch, parse, language and
scheduling stacks. Each case runs the real entry point in a fresh interpreter and lists what
it imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.world import imported_by, watcher

NEVER_AT_START = {
    "sqlalchemy",
    "lingua",
    "lxml",
    "requests",
    "feedparser",
    "apscheduler",
    "rich",
    "pydantic",
    "yaml",
    "jinja2",
    "alembic",
    "trafilatura",
}
NOT_FOR_LISTING = {
    "lingua",
    "lxml",
    "requests",
    "feedparser",
    "apscheduler",
    "trafilatura",
    "ahocorasick",
    "jinja2",
    "alembic",
    "rich",  # piped: plain lines, no table library
}


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],  # answered before click loads
        ["-c", "watch.yaml", "--version"],  # through click
        ["--help"],
        ["items", "--help"],
        ["digest", "send", "--help"],
    ],
    ids=" ".join,
)
def test_version_and_help_import_no_heavy_library(args: list[str]) -> None:
    assert imported_by(*args) & NEVER_AT_START == set()


def test_items_on_a_small_database_imports_only_what_it_reads(tmp_path: Path) -> None:
    config = tmp_path / "watch.yaml"
    config.write_text(
        "database: sqlite:///watcher.db\n"
        "people: [{id: leike, name: Jan Leike}]\n"
        "stories: [{id: s, title: S, since: 2024-05-14, match: leike}]\n"
        "sources: [{id: a, feed: 'https://a.example/feed'}]\n",
        encoding="utf-8",
    )
    assert watcher("db", "upgrade", "-c", str(config)).code == 0
    imported = imported_by("items", "--limit", "5", "-c", str(config))
    assert "sqlalchemy" in imported  # it did read the database
    assert imported & NOT_FOR_LISTING == set()


def test_a_poll_imports_no_digest_folding_or_scipy() -> None:
    """A poll (``poll --once`` by cron, or the daemon's first tick) pays for no digest folding:
    datasketch pulls in SciPy, 0.7 s and 50 MB, and only a digest build needs it."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, watcher.jobs.poll; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert {"datasketch", "scipy"} & {name.split(".")[0] for name in done.stdout.split()} == set()
