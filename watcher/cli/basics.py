"""Commands about the config and the database: check, init, db upgrade."""

from __future__ import annotations

import click

from watcher.cli.app import Context, cli, pass_context
from watcher.store.engine import open_store


@cli.command()
@pass_context
def check(ctx: Context) -> None:
    """Validate the config; print every problem as FILE:LINE: message."""
    config = ctx.config
    click.echo(
        f"{config.path}: OK — {len(config.entities)} entities, {len(config.stories)} stories, "
        f"{len(config.sources)} sources, {len(config.digests)} digests"
    )


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context) -> None:
    """Apply the schema migrations (also done on every start)."""
    open_store(ctx.config.database_url).close()
    click.echo("database is up to date")
