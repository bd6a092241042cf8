"""`watcher backfill`: fetch the past of archived accounts and paged feeds, with a progress bar."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import click

from watcher.cli.app import Context, cli, pass_context
from watcher.redact import error_text

if TYPE_CHECKING:  # the pipeline and rich load only when the command runs
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

    from watcher.jobs.backfill import BackfillResult, Progress


@cli.command("backfill")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Walk back to this date (YYYY-MM-DD, UTC).",
)
@click.option(
    "--source", "source_ids", multiple=True, metavar="ID", help="Only this source (repeatable)."
)
@pass_context
def backfill_command(ctx: Context, since: datetime, source_ids: tuple[str, ...]) -> None:
    """Store what archives (and feeds with RFC 5005 paging) hold back to --since.

    Resumable: interrupted (Ctrl-C) and run again, it repeats no finished work.
    """
    from watcher.fetch.clients import Clients
    from watcher.jobs.backfill import backfill

    config = ctx.config
    day = since.date()
    if day > datetime.now(UTC).date():
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


def _report(results: list[BackfillResult], since: date) -> None:
    for result in results:
        click.echo(error_text(result.line(), limit=2000), err=result.error is not None)
    failed = [r.source_id for r in results if r.error]
    click.echo(
        f"backfilled {len(results)} sources back to {since}"
        + (f"; {len(failed)} stopped early (run again to resume)" if failed else "")
    )


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
