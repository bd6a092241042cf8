"""``watcher sources``: each source's status; ``add``, ``import`` and ``export`` the feed list."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from watcher.cli.app import Context, group, pass_context
from watcher.cli.output import Col, LocalTimes, json_option, print_json_lines, print_table

if TYPE_CHECKING:
    from watcher.store.tables import SourceRow


@group(invoke_without_command=True)
@json_option
@pass_context
def sources(ctx: Context, as_json: bool) -> None:
    """Each source's status: last success, last error and when, next poll.

    The config and database in use are named first, on standard error (not with --json).
    """
    if click.get_current_context().invoked_subcommand is None:
        _list_sources(ctx, as_json)


def _list_sources(ctx: Context, as_json: bool) -> None:
    from watcher.clock import utcnow
    from watcher.redact import error_text, redact
    from watcher.store import sources as source_store

    config = ctx.config
    with ctx.store.session() as session:
        source_store.sync_sources(session, config, utcnow())
        rows = source_store.all_sources(session)
        undated = source_store.undated_counts(session)
    if as_json:
        print_json_lines(_source_record(row, undated.get(row.id, 0)) for row in rows)
        return
    click.echo(f"config: {config.path} · database: {redact(config.database_url)}", err=True)
    when = LocalTimes(
        config.tz, (t for r in rows for t in (r.last_success_at, r.next_poll_at, r.last_error_at))
    )
    columns = [
        Col("id", "id"),
        Col("kind"),
        Col("status", "status"),
        Col(when.header("last success")),
        Col(when.header("next poll")),
        Col("items", "number"),
        Col("undated", "number", optional=True),
        Col("last error", "note"),
    ]
    print_table(
        columns,
        (
            (
                r.id,
                r.kind,
                source_store.status(r),
                when(r.last_success_at),
                when(r.next_poll_at),
                r.items_total,
                undated.get(r.id, 0),
                f"{when(r.last_error_at)} {error_text(r.last_error)}" if r.last_error else "",
            )
            for r in rows
        ),
    )


def _source_record(row: SourceRow, undated: int) -> dict[str, object]:
    from watcher.redact import error_text, redact
    from watcher.store import sources as source_store

    return {
        "id": row.id,
        "kind": row.kind,
        "url": redact(row.url),
        "status": source_store.status(row),
        "failures": row.consecutive_failures,
        "last_success": row.last_success_at,
        "last_error": error_text(row.last_error) if row.last_error else None,
        "last_error_at": row.last_error_at,
        "failing_since": row.failing_since,
        "next_poll": row.next_poll_at,
        "warning": error_text(row.warning) if row.warning else None,
        "items": row.items_total,
        "undated": undated,
    }


@sources.command("add")
@click.argument("url")
@click.option("--id", "new_id", metavar="ID", help="The new source's id (default: from its title).")
@pass_context
def add(ctx: Context, url: str, new_id: str | None) -> None:
    """Add the feed at URL, or the one the page at URL links to, to the config file."""
    from watcher.jobs.subscribe import add_source

    click.echo(add_source(ctx.config, url, new_id=new_id).line())


@sources.command("import")
@click.argument("opml", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def import_(ctx: Context, opml: Path) -> None:
    """Add every feed of an OPML file that is not configured yet."""
    from watcher.jobs.subscribe import import_opml

    click.echo(import_opml(ctx.config, opml).line())


@sources.command("export")
@pass_context
def export(ctx: Context) -> None:
    """Print the configured feeds as OPML 2.0."""
    from watcher.clock import utcnow
    from watcher.parse.opml import export_opml

    click.echo(export_opml(ctx.config, created=utcnow()), nl=False)
