"""``watcher web``: the read-only web view alone (``watcher run`` serves it too, with ``web``)."""

from __future__ import annotations

from types import FrameType

import click

from watcher.cli.app import Context, command, pass_context


@command("web")
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="Listen here instead of web.listen (default 127.0.0.1:8080); an address other "
    "machines can reach needs web.token_env.",
)
@pass_context
def web_command(ctx: Context, listen: str | None) -> None:
    """Serve the read-only web view: stories, search, items, sources, feeds. Ctrl-C stops it."""
    import signal

    from watcher.logs import register_config_secrets
    from watcher.web.server import open_web

    ctx.start_service_logging()
    config = ctx.config
    register_config_secrets(config)
    view = open_web(ctx.store, lambda: config, listen=listen)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        view.server.interrupt()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        view.serve()
    finally:
        view.stop()
        ctx.store.close()
