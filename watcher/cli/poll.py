"""Commands that poll and show what was found: poll, items, init."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from watcher.cli.app import EXIT_FAILED, Context, command, pass_context
from watcher.cli.output import Col, LocalTimes, json_option, print_json_lines, print_table
from watcher.cli.params import SINCE, Since

if TYPE_CHECKING:
    from watcher.store.items import ItemView


@command()
@click.option("--once", is_flag=True, help="Poll every source once, then exit (the default).")
@click.option(
    "--source", "source_ids", multiple=True, metavar="ID", help="Only this source (repeatable)."
)
@pass_context
def poll(ctx: Context, once: bool, source_ids: tuple[str, ...]) -> None:
    """Fetch every source now, store new items and match them; print a summary line.

    Each failing source is named once on standard error (id, URL, reason; with
    --log-format json, as a poll.failed event); the exit status is 1 when any failed.
    """
    from watcher.jobs.poll import poll_once
    from watcher.redact import error_text

    config, store = ctx.config, ctx.store
    unknown = sorted(set(source_ids) - {s.id for s in config.sources})
    if unknown:
        raise click.BadParameter(f"unknown source {', '.join(unknown)}", param_hint="--source")
    count = len(source_ids or config.sources)
    as_text = ctx.log_format == "text"  # JSON logs carry each failure as a poll.failed event
    with _progress(count) as advance, _quiet_poll_failures(as_text):
        summary = poll_once(store, config, source_ids=source_ids or None, progress=advance)
    for error in summary.errors if as_text else []:
        click.echo(f"failed: {error_text(error, limit=2000)}", err=True)
    click.echo(summary.line())
    if summary.failed:
        raise click.exceptions.Exit(EXIT_FAILED)


@contextlib.contextmanager
def _quiet_poll_failures(quiet: bool) -> Iterator[None]:
    """With ``quiet``, the poll's own log line per failing source is left out: the command
    names each one itself, once."""
    import logging

    from watcher.jobs.poll import POLL_FAILED

    def drop(record: logging.LogRecord) -> bool:
        return not quiet or getattr(record, "event", None) != POLL_FAILED

    handlers = logging.getLogger("watcher").handlers
    for handler in handlers:
        handler.addFilter(drop)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(drop)


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


@command()
@json_option
@click.option("--story", metavar="ID", help="Only items matching this story.")
@click.option(
    "--since",
    type=SINCE,
    help="Published at or after: a date or time (in the config's zone unless it names its "
    "offset), or how long ago, like 7d.",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@pass_context
def items(ctx: Context, as_json: bool, story: str | None, since: Since | None, limit: int) -> None:
    """List stored items, newest first, with the entities, stories and follow-ups they match."""
    from watcher.store.items import list_items

    config = ctx.config
    if story is not None and story not in {s.id for s in config.stories}:
        raise click.BadParameter(f"unknown story {story!r}", param_hint="--story")
    start = since.start(config.tz, datetime.now(UTC)) if since else None
    with ctx.store.session() as session:
        views = list_items(session, story=story, since=start, limit=limit)
    if as_json:
        print_json_lines(view.as_json() for view in views)
        return
    _print_items(views, LocalTimes(config.tz, (v.row.published_at for v in views)))
    if any(v.row.published_estimated for v in views):
        click.echo("~ no readable date in the feed: the time watcher first saw the item")


def _print_items(views: list[ItemView], when: LocalTimes) -> None:
    columns = [
        Col(when.header("published")),
        Col("source", "id"),
        Col("title", "text"),
        Col("entities", "ids"),
        Col("stories", "ids"),
    ]
    with_followups = any(v.followups for v in views)
    if with_followups:
        columns.append(Col("follow-ups", "ids"))
    rows = []
    for v in views:
        published = ("~" if v.row.published_estimated else "") + when(v.row.published_at)
        row = [published, v.row.source_id, v.row.title]
        row += [", ".join(v.entities), ", ".join(v.stories)]
        rows.append([*row, ", ".join(v.followups)] if with_followups else row)
    print_table(columns, rows)


@command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="config")
@click.option("--force", is_flag=True, help="Overwrite an existing watch.yaml.")
def init(directory: Path, force: bool) -> None:
    """Write a commented starter config to DIRECTORY/watch.yaml (default: ./config).

    Its database is watcher.db beside it, so two configs never share one.
    """
    from watcher.resources import bundled

    target = directory / "watch.yaml"
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; use --force to overwrite it")
    directory.mkdir(parents=True, exist_ok=True)
    target.write_bytes(bundled("config/starter.yaml").read_bytes())
    click.echo(f"wrote {target} (its database: {directory / 'watcher.db'}); edit it, then run:")
    click.echo(f"  watcher check -c {target}")
