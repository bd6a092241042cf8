"""The ``watcher`` command line: a thin layer over the jobs, one module per command group.

Each command parses its options, calls one job or query, and prints; a ``WatcherError``
becomes a clean message and an exit status (``app.main``). Commands load lazily
(``app.COMMANDS``), so starting ``watcher`` costs only what the command run needs, and
``watcher --version`` answers before even click loads. It sits at the top: it may import
everything, and nothing imports it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.cli.app import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Console entry point (``watcher``)."""
    if sys.argv[1:] == ["--version"]:
        from watcher import __version__

        print(f"watcher, version {__version__}")  # as click's version option words it
        return
    from watcher.cli.app import main as run

    run()


def __getattr__(name: str) -> Any:
    if name == "cli":
        from watcher.cli.app import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
