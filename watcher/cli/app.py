"""The ``watcher`` command group and what every command shares: global options, config, store.

Commands load lazily: the group knows each command's name and where it lives
(``"module:attribute"``) and imports that module only when the command runs or its help is
shown, so ``watcher --version`` and ``watcher --help`` import no database, parser or network
library (``tests/cli/test_startup.py`` keeps it so). Command modules import what they need
inside the function that needs it.

``-c/--config``, ``-v/--verbose`` and ``--log-format`` belong to every command and group, so
they are accepted before or after the subcommand (``watcher poll -c FILE``): each level's
parser records them in the one ``Context`` at the root.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from watcher import __version__

if TYPE_CHECKING:
    from watcher.config import Config
    from watcher.store import Store

F = TypeVar("F", bound=Callable[..., Any])

# Exit statuses (README "Exit status"): what a script calling watcher can rely on.
EXIT_FAILED = 1  # some sources or deliveries failed; the rest was done
EXIT_USAGE = 2  # a usage or config error: nothing was done
EXIT_CANNOT_RUN = 3  # the database (or another file watcher needs) cannot be used

COMMANDS = {
    "alerts": "watcher.cli.alerts:alerts",
    "aliases": "watcher.cli.suggest:aliases",
    "backfill": "watcher.cli.backfill:backfill_command",
    "check": "watcher.cli.basics:check",
    "db": "watcher.cli.basics:db",
    "deliveries": "watcher.cli.digest:deliveries",
    "digest": "watcher.cli.digest:digest",
    "explain": "watcher.cli.match:explain",
    "followups": "watcher.cli.match:followups",
    "init": "watcher.cli.poll:init",
    "items": "watcher.cli.poll:items",
    "poll": "watcher.cli.poll:poll",
    "rematch": "watcher.cli.match:rematch_command",
    "run": "watcher.cli.run:run",
    "sources": "watcher.cli.sources:sources",
    "web": "watcher.cli.web:web_command",
}


class Context:
    """What the global options decided, handed to every command; config and store on demand."""

    def __init__(self) -> None:
        self.config_file: str | None = None
        self.verbose = 0
        self.log_format = "text"
        self._logging: tuple[int, str] | None = None
        self._config: Config | None = None
        self._store: Store | None = None
        self.warnings: list[str] = []

    @property
    def config(self) -> Config:
        if self._config is None:
            from watcher.config import load_config

            self.start_logging()
            self._config = load_config(self.config_file)
            self._say_if_bundled(self._config)
        return self._config

    def checked_config(self) -> Config:
        """The config with its warnings (``self.warnings``): for ``check`` and ``run``."""
        from watcher.config import check_config

        self.start_logging()
        self._config, self.warnings = check_config(self.config_file)
        self._say_if_bundled(self._config)
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            from watcher.store.engine import open_store

            self._store = open_store(self.config.database_url)
        return self._store

    def _say_if_bundled(self, config: Config) -> None:
        from watcher.config.load import bundled_config

        if config.path == bundled_config():
            from watcher.redact import redact

            click.echo(
                f"watcher: no -c given, so using the bundled example config ({config.path}) and "
                f"its database {redact(config.database_url)}; choose your own with -c FILE or "
                "$WATCHER_CONFIG (watcher init DIR writes one)",
                err=True,
            )

    def start_logging(self) -> None:
        """Set up logging as the options say, once every level's options are parsed: when a
        command first needs the config (help and ``init`` never load the logging set-up)."""
        if self._logging != (self.verbose, self.log_format):
            from watcher.logs import setup_logging

            setup_logging(self.verbose, self.log_format)
            self._logging = (self.verbose, self.log_format)

    def start_service_logging(self) -> None:
        """Logging for a long-running process (``run``, ``web``): it says what it does
        (started, reloaded, stopped) even without ``-v``."""
        import logging

        self.start_logging()
        if self.verbose == 0:
            logging.getLogger("watcher").setLevel(logging.INFO)


pass_context = click.make_pass_decorator(Context, ensure=True)


def state(ctx: click.Context) -> Context:
    """The one ``Context``, kept at the root so every level's options land in it."""
    return ctx.find_root().ensure_object(Context)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    settings = state(ctx)
    if param.name == "config_file" and value is not None:
        settings.config_file = value
    elif param.name == "verbose":
        settings.verbose += value
    elif param.name == "log_format" and value is not None:
        settings.log_format = value
    return value


def global_options() -> list[click.Parameter]:
    """Fresh copies of the options every command takes, wherever they are written."""
    return [
        click.Option(
            ["-c", "--config", "config_file"],
            metavar="FILE",
            expose_value=False,
            callback=_remember,
            help="Config file (default: $WATCHER_CONFIG, then config/watch.yaml, then the "
            "bundled example).",
        ),
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_remember,
            help="More log output (-vv for debug).",
        ),
        click.Option(
            ["--log-format"],
            type=click.Choice(["text", "json"]),
            expose_value=False,
            callback=_remember,
            help="Log lines as text (default), or one JSON object per line.",
        ),
    ]


class WatcherCommand(click.Command):
    """A command that takes the global options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(global_options())


class WatcherGroup(click.Group):
    """A group whose subcommands and subgroups are ``WatcherCommand``s and ``WatcherGroup``s."""

    command_class = WatcherCommand
    group_class = type  # subgroups are of this same class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(global_options())


class LazyGroup(WatcherGroup):
    """click's lazy group: ``lazy`` maps a command's name to ``"module:attribute"``."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, cmd_name: str) -> click.Command:
        module_name, attribute = self.lazy[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
        return command


def command(name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """``@command()``: a top-level command (listed in ``COMMANDS``)."""
    return click.command(name, cls=WatcherCommand, **kwargs)


def group(name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """``@group()``: a top-level command group (listed in ``COMMANDS``)."""
    return click.group(name, cls=WatcherGroup, **kwargs)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit status: 0 all well, 1 some sources or deliveries failed, "
    "2 usage or config error, 3 cannot run (the database).",
)
@click.version_option(__version__, prog_name="watcher")
def cli() -> None:
    """Follow people, organisations and stories across feeds and archived posts.

    -c FILE, -v and --log-format go before or after the command.
    """


def main() -> None:
    """Console entry point: every error a user can act on becomes a message and an exit status
    (``EXIT_*``), never a traceback."""
    try:
        # standalone_mode=False: a command's ctx.exit(N) comes back here as N
        code = cli.main(prog_name="watcher", standalone_mode=False)
        if code == EXIT_AT_ONCE:
            _exit_at_once()
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as error:
        message, code = explain_error(error)
        if message is None:
            raise
        click.echo(message, err=True)
        sys.exit(code)


EXIT_AT_ONCE = "exit at once"  # what `watcher run` returns once the daemon stopped cleanly


def _exit_at_once() -> None:
    """Exit without joining the worker threads: once the daemon has stopped cleanly, a fetch
    waiting out its time-out or an archive poll waiting on the rate limiter holds no lock and
    writes nothing, and Python would otherwise wait a minute for it. Only the console entry
    point does this (a command run inside another program, such as a test, just returns)."""
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def explain_error(error: Exception) -> tuple[str | None, int]:
    """The message and exit status for an error a user can act on; (None, 0) for a bug."""
    from watcher.errors import WatcherError
    from watcher.redact import error_text, redact
    from watcher.text import printable

    if isinstance(error, WatcherError):
        return printable(redact(f"error: {error}")), error.exit_code
    if _is_database_error(error):  # locked, disk full, server gone: the user's to fix
        orig = getattr(error, "orig", None) or error
        reason = error_text(str(orig).strip().splitlines()[0] if str(orig).strip() else "")
        return f"error: the database refused: {reason}; fix that and run it again", EXIT_CANNOT_RUN
    if isinstance(error, OSError) and error.filename:
        where = os.fsdecode(error.filename)
        return f"error: {where}: {error.strerror or error}", EXIT_CANNOT_RUN
    return None, 0


def _is_database_error(error: Exception) -> bool:
    """Whether SQLAlchemy raised it (only when SQLAlchemy was imported at all)."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, exc.DBAPIError)
