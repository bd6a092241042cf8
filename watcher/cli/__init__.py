"""The ``watcher`` command line: a thin layer over the pipeline, one module per command group."""

from watcher.cli import backfill, basics, digest, match, poll, run, web  # noqa: F401 - registers commands
from watcher.cli.app import cli, main

__all__ = ["cli", "main"]
