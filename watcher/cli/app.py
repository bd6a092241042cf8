"""The ``watcher`` command group and what every command shares: options, config, store, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click
from sqlalchemy.exc import DBAPIError

from watcher import __version__
from watcher.config import Config, load_config
from watcher.errors import WatcherError
from watcher.redact import error_text, redact
from watcher.store import Store, open_store
from watcher.text import one_line, printable

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What the group's options decided, handed to every command."""

    def __init__(self, config_file: str | None, verbose: int, log_format: str) -> None:
        self.config_file = config_file
        self.verbose = verbose
        self.log_format = log_format
        self._config: Config | None = None
        self._store: Store | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_file)
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.config.database_url)
        return self._store


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_file",
    metavar="FILE",
    help="Config file (default: $WATCHER_CONFIG, then config/watch.yaml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines as text, or one JSON object per line.",
)
@click.version_option(__version__, prog_name="watcher")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, verbose: int, log_format: str) -> None:
    """Follow people, organisations and stories across feeds and archived posts."""
    from watcher.logs import setup_logging

    setup_logging(verbose, log_format)
    ctx.obj = Context(config_file, verbose, log_format)


def main() -> None:
    """Console entry point: any ``WatcherError`` becomes a clean message and its exit code."""
    try:
        code = cli.main(standalone_mode=False)  # a command's ctx.exit(N) comes back here
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except WatcherError as error:
        click.echo(printable(redact(f"error: {error}")), err=True)
        sys.exit(error.exit_code)
    except DBAPIError as error:  # locked, disk full, server gone: the user's to fix, not a bug
        reason = error_text(str(error.orig or error).strip().splitlines()[0])
        click.echo(f"error: the database refused: {reason}; fix that and run it again", err=True)
        sys.exit(3)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")(func)


_C1_ESCAPES = str.maketrans({c: f"\\u{c:04x}" for c in range(0x80, 0xA0)})


def json_line(row: dict[str, Any]) -> str:
    """One JSON object on one line; no raw control character reaches the terminal (json escapes
    C0 itself; C1 characters are escaped too)."""
    return json.dumps(row, ensure_ascii=False, default=str).translate(_C1_ESCAPES)


def print_json_lines(rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        click.echo(json_line(row))


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None
) -> None:
    """A readable table on a terminal; plain tab-separated lines (headers first) when piped."""
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    if not sys.stdout.isatty():
        for line in [list(headers), *cells]:
            click.echo("\t".join(printable(one_line(cell)) for cell in line))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(*headers, title=title, box=None, header_style="bold", pad_edge=False)
    for row in cells:
        table.add_row(*(escape(printable(cell)) for cell in row))
    Console(soft_wrap=False).print(table)
