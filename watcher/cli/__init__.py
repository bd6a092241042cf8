"""The ``watcher`` command line: a thin layer over the jobs, one module per command group.

Each command parses its options, calls one job or query, and prints; a ``WatcherError``
becomes a clean message and an exit status (``app.main``). Commands load lazily
(``app.COMMANDS``), so starting ``watcher`` costs only what the command run needs. It sits at
the top: it may import everything, and nothing imports it.
"""

from watcher.cli.app import cli, main

__all__ = ["cli", "main"]
