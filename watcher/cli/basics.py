"""Commands about the config and the database: check, init, db upgrade."""

from __future__ import annotations

import os

import click

from watcher.cli.app import Context, cli, pass_context
from watcher.config.channels import channel_problems
from watcher.errors import ConfigError
from watcher.store.engine import open_store


@cli.command()
@pass_context
def check(ctx: Context) -> None:
    """Validate the config; print every problem as FILE:LINE: message."""
    config = ctx.config
    if problems := channel_problems(config, os.environ):  # what the channels need to send
        raise ConfigError(problems)
    counts = {
        "entity": len(config.entities),
        "story": len(config.stories),
        "source": len(config.sources),
        "digest": len(config.digests),
    }
    click.echo(f"{config.path}: OK — " + ", ".join(_count(n, what) for what, n in counts.items()))


def _count(n: int, what: str) -> str:
    plural = {"entity": "entities", "story": "stories"}.get(what, what + "s")
    return f"{n} {what if n == 1 else plural}"


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context) -> None:
    """Apply the schema migrations (also done on every start)."""
    open_store(ctx.config.database_url).close()
    click.echo("database is up to date")
