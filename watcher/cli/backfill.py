"""`watcher backfill`: fetch the past of archived accounts and paged feeds, with a progress bar."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import click

from watcher.cli.app import EXIT_FAILED, Context, command, pass_context
from watcher.cli.output import plural
from watcher.cli.params import SINCE, Since

if TYPE_CHECKING:  # the pipeline and rich load only when the command runs
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

    from watcher.jobs.backfill import BackfillResult, Progress


@command("backfill")
@click.option(
    "--since",
    required=True,
    type=SINCE,
    help="Walk back to this day (a date in the config's zone, or how long ago, like 30d).",
)
@click.option(
    "--source", "source_ids", multiple=True, metavar="ID", help="Only this source (repeatable)."
)
@pass_context
def backfill_command(ctx: Context, since: Since, source_ids: tuple[str, ...]) -> None:
    """Store what archives (and feeds with RFC 5005 paging) hold back to --since.

    Resumable: interrupted (Ctrl-C) and run again, it repeats no finished work. The exit
    status is 1 when a source stopped early.
    """
    from watcher.fetch.clients import Clients
    from watcher.jobs.backfill import backfill

    config = ctx.config
    now = datetime.now(UTC)
    day = since.day(config.tz, now)
    if day > now.astimezone(config.tz).date():
        raise click.BadParameter(f"{day} is in the future", param_hint="--since")
    unknown = sorted(set(source_ids) - {s.id for s in config.sources})
    if unknown:
        raise click.BadParameter(f"unknown source {', '.join(unknown)}", param_hint="--source")
    searches = sorted(s.id for s in config.sources if s.id in source_ids and s.kind == "search")
    if searches:
        raise click.BadParameter(
            f"{', '.join(searches)}: news searches are not backfilled", param_hint="--source"
        )
    with (
        Clients.open(config) as clients,
        _progress() as progress,
    ):
        try:
            results = backfill(
                ctx.store,
                config,
                since=day,
                clients=clients,
                source_ids=source_ids or None,
                progress=progress,
            )
        except KeyboardInterrupt:
            click.echo("interrupted: run the same command again to resume", err=True)
            raise
    _report(results, day)
    if any(result.error for result in results):
        raise click.exceptions.Exit(EXIT_FAILED)


def _report(results: list[BackfillResult], since: date) -> None:
    from watcher.redact import error_text

    for result in results:
        click.echo(error_text(result.line(), limit=2000), err=result.error is not None)
    click.echo(f"backfilled {plural(len(results), 'source')} back to {since}{_stopped(results)}")


def _stopped(results: list[BackfillResult]) -> str:
    """Run again to resume only when it can help: after a time-out or a 5xx, not a 404."""
    stopped = [r for r in results if r.error]
    if not stopped:
        return ""
    resumable = [r.source_id for r in stopped if r.resumable]
    if len(resumable) == len(stopped):
        return f"; {len(stopped)} stopped early (run the same command again to resume)"
    if resumable:
        return (
            f"; {len(stopped)} stopped early ({', '.join(resumable)} may get further when run "
            "again; the others will not until their error is fixed)"
        )
    return f"; {len(stopped)} stopped early (running it again will not help: see why above)"


class _Bars:
    """One rich progress bar per source: captures (or pages) done and items stored."""

    def __init__(self, bars: RichProgress) -> None:
        self._bars = bars
        self._tasks: dict[str, TaskID] = {}

    def begin(self, source_id: str, total: int | None) -> None:
        unit = "captures" if total is not None else "pages"
        self._tasks[source_id] = self._bars.add_task(source_id, total=total, unit=unit, items=0)

    def advance(self, source_id: str, *, steps: int, items: int) -> None:
        task = self._tasks[source_id]
        stored = self._bars.tasks[task].fields["items"] + items
        self._bars.update(task, advance=steps, items=stored)


@contextlib.contextmanager
def _progress() -> Iterator[Progress]:
    """Bars on a terminal (stderr); nothing when piped: the summary lines tell the outcome."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TextColumn("· {task.fields[items]} items"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not sys.stderr.isatty(),
    ) as bars:
        yield _Bars(bars)
