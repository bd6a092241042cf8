"""Commands that poll and show what was found: poll, items, init."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import click

from watcher.cli.app import Context, cli, json_option, pass_context, print_json_lines, print_table
from watcher.redact import error_text
from watcher.resources import bundled
from watcher.store import items as item_store


@cli.command()
@click.option("--once", is_flag=True, required=True, help="Poll every source once, then exit.")
@click.option(
    "--source", "source_ids", multiple=True, metavar="ID", help="Only this source (repeatable)."
)
@pass_context
def poll(ctx: Context, once: bool, source_ids: tuple[str, ...]) -> None:
    """Fetch every source now, store new items and match them; print a summary line."""
    from watcher.jobs.poll import poll_once

    config, store = ctx.config, ctx.store
    unknown = sorted(set(source_ids) - {s.id for s in config.sources})
    if unknown:
        raise click.BadParameter(f"unknown source {', '.join(unknown)}", param_hint="--source")
    count = len(source_ids or config.sources)
    with _progress(count) as advance:
        summary = poll_once(store, config, source_ids=source_ids or None, progress=advance)
    for error in summary.errors:
        click.echo(f"failed: {error_text(error, limit=2000)}", err=True)
    click.echo(summary.line())


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[object], None]]:
    """A progress bar on a terminal when there is more than a moment of work; else nothing."""
    if not sys.stderr.isatty() or total <= 3:
        yield lambda _done: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("polling", total=total)
        yield lambda _done: bar.advance(task)


@cli.command()
@json_option
@click.option("--story", metavar="ID", help="Only items matching this story.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
    help="Published at or after (UTC).",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@pass_context
def items(
    ctx: Context, as_json: bool, story: str | None, since: datetime | None, limit: int
) -> None:
    """List stored items, newest first, with the entities, stories and follow-ups they match."""
    if story is not None and story not in {s.id for s in ctx.config.stories}:
        raise click.BadParameter(f"unknown story {story!r}", param_hint="--story")
    with ctx.store.session() as session:
        views = item_store.list_items(
            session, story=story, since=since.replace(tzinfo=UTC) if since else None, limit=limit
        )
    if as_json:
        print_json_lines(view.as_json() for view in views)
        return
    print_table(
        ["published", "source", "title", "entities", "stories"],
        (
            (
                _published(v.row),
                v.row.source_id,
                _shorten(v.row.title, 70),
                ",".join(v.entities),
                ",".join(v.stories + v.followups),
            )
            for v in views
        ),
    )
    if any(v.row.published_estimated for v in views):
        click.echo("~ no readable date in the feed: the time watcher first saw the item")


def _published(row: item_store.ItemRow) -> str:
    """The date; ``~`` marks the time first seen, for an item without a readable date."""
    return ("~" if row.published_estimated else "") + row.published_at.strftime("%Y-%m-%d %H:%M")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="config")
@click.option("--force", is_flag=True, help="Overwrite an existing watch.yaml.")
def init(directory: Path, force: bool) -> None:
    """Write a commented starter config to DIRECTORY/watch.yaml (default: ./config)."""
    target = directory / "watch.yaml"
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; use --force to overwrite it")
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundled("config/starter.yaml"), target)
    click.echo(f"wrote {target}; edit it, then run: watcher -c {target} check")
