"""The ``watcher`` command line: a thin layer over the jobs, one module per command group.

Each command parses its options, calls one job or query, and prints; a ``WatcherError``
becomes a clean message and an exit code (``app.main``). It sits at the top: it may import
everything, and nothing imports it.
"""

from watcher.cli import backfill, basics, digest, match, poll, run, sources, web  # noqa: F401 - registers commands
from watcher.cli.app import cli, main

__all__ = ["cli", "main"]
