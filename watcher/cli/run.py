"""``watcher run``: the daemon."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from watcher.cli.app import EXIT_AT_ONCE, Context, command, pass_context
from watcher.cli.params import DURATION

if TYPE_CHECKING:
    from watcher.schedule.daemon import Daemon
    from watcher.web.server import WebView


def _this_worker() -> str:
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


@command()
@click.option(
    "--worker-id",
    envvar="WATCHER_WORKER_ID",
    default=_this_worker,
    show_default="HOSTNAME:PID",
    help="This worker's name in the database's claims (env WATCHER_WORKER_ID).",
)
@click.option(
    "--metrics-listen",
    envvar="WATCHER_METRICS_LISTEN",
    metavar="HOST:PORT",
    help="Serve /healthz and /metrics here, overriding metrics.listen "
    "(env WATCHER_METRICS_LISTEN).",
)
@click.option(
    "--tick",
    default="15s",
    show_default=True,
    type=DURATION,
    help="How often to look for due sources.",
)
@click.option(
    "--lease",
    default="15m",
    show_default=True,
    type=DURATION,
    help="How long a claim on a source lasts: longer than the slowest poll; a crashed "
    "worker's sources wait this long.",
)
@pass_context
def run(
    ctx: Context, worker_id: str, metrics_listen: str | None, tick: timedelta, lease: timedelta
) -> str:
    """Run the daemon: poll on schedule, send digests, serve health; SIGHUP reloads the config."""
    from watcher.config.channels import channel_problems
    from watcher.errors import ConfigError
    from watcher.logs import register_config_secrets
    from watcher.schedule.daemon import Daemon, DaemonOptions

    ctx.start_service_logging()
    config = ctx.checked_config()
    if problems := channel_problems(config, os.environ):  # refused now rather than at 07:00
        raise ConfigError(problems)
    for warning in ctx.warnings:
        logging.getLogger("watcher.cli").warning("%s", warning, extra={"event": "config.warning"})
    register_config_secrets(config)
    options = DaemonOptions(
        worker_id=worker_id, tick=tick, lease=lease, metrics_listen=metrics_listen
    )
    daemon = Daemon(config, ctx.store, options, config_file=config.path)
    web = _start_web(ctx, daemon) if config.web is not None else None
    try:
        daemon.run()
    finally:
        if web is not None:
            web.stop()
        ctx.store.close()
    return EXIT_AT_ONCE  # the console entry point exits without waiting for stuck threads


def _start_web(ctx: Context, daemon: Daemon) -> WebView:
    """The web view beside the daemon, reading the daemon's config (reloads included)."""
    from watcher.web.server import open_web

    return open_web(ctx.store, lambda: daemon.config).start()
