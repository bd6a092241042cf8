"""``watcher sources``: each source's status; ``add``, ``import`` and ``export`` the feed list."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from watcher.cli.app import Context, cli, json_option, pass_context, print_json_lines, print_table
from watcher.redact import error_text, redact
from watcher.store import sources as source_store


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
def sources(click_context: click.Context, as_json: bool) -> None:
    """Each source's status: last success, last error and when, next poll."""
    if click_context.invoked_subcommand is None:
        _list_sources(click_context.ensure_object(Context), as_json)


def _list_sources(ctx: Context, as_json: bool) -> None:
    from watcher.clock import utcnow

    with ctx.store.session() as session:
        source_store.sync_sources(session, ctx.config, utcnow())
        rows = source_store.all_sources(session)
        undated = source_store.undated_counts(session)
    records = [_source_record(row, undated.get(row.id, 0)) for row in rows]
    if as_json:
        print_json_lines(records)
        return
    print_table(
        ["id", "kind", "status", "last success", "next poll", "items", "undated", "last error"],
        (
            (
                r["id"],
                r["kind"],
                r["status"],
                _when(r["last_success"]),
                _when(r["next_poll"]),
                r["items"],
                r["undated"],
                f"{_when(r['last_error_at'])} {r['last_error'] or ''}".strip(),
            )
            for r in records
        ),
    )


def _source_record(row: source_store.SourceRow, undated: int) -> dict[str, object]:
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


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


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
