"""How commands print: tables that fit the terminal, tab-separated lines when piped, JSON lines.

A table on a terminal takes the terminal's width: ids, dates, numbers and states keep their
full width on one line (an id is never cut), titles and lists wrap, and errors follow the
table, one line each, cut with "…" where the width ends. States are coloured when a terminal
is attached (rich leaves colour out for ``NO_COLOR`` and dumb terminals). Piped, the same
table is plain tab-separated lines, headers first, one row a line. Times are shown in the
config's zone, its abbreviation or offset in the header (in each cell when the rows' offsets
differ).

Every JSON datetime is ISO-8601 UTC with ``Z``, through ``watcher.clock.iso_utc``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import click

from watcher.clock import as_utc, iso_utc

F = TypeVar("F", bound=Callable[..., Any])
Kind = Literal["id", "fixed", "status", "text", "note"]

MIN_FLEXIBLE = 12  # narrowest a wrapping or truncated column gets, however narrow the terminal
GAP = 2  # spaces between columns

_STATE_STYLES = {
    "ok": "green",
    "sent": "green",
    "fulfilled": "green",
    "new": "yellow",
    "pending": "yellow",
    "sending": "yellow",
    "awaiting": "yellow",
    "failing": "bold red",
    "failed": "bold red",
    "given_up": "bold red",
    "overdue": "bold red",
    "disabled": "red",
    "removed": "dim",
    "skipped": "dim",
}


@dataclass(frozen=True, slots=True)
class Col:
    """A column: ``id``, ``fixed`` and ``status`` never wrap (``status`` is coloured),
    ``text`` wraps; a ``note`` (an error) goes under the table on a terminal, one line per row
    that has one, cut with "…" at the terminal's width."""

    header: str
    kind: Kind = "fixed"


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")(func)


_C1_ESCAPES = str.maketrans({c: f"\\u{c:04x}" for c in range(0x80, 0xA0)})


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def json_line(row: dict[str, Any]) -> str:
    """One JSON object on one line; datetimes as ISO-8601 UTC with ``Z``; no raw control
    character reaches the terminal (json escapes C0 itself; C1 characters are escaped too)."""
    return json.dumps(row, ensure_ascii=False, default=_json_value).translate(_C1_ESCAPES)


def print_json_lines(rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        click.echo(json_line(row))


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 source``, ``2 sources``, ``2 entities`` (with ``many``)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def to_terminal() -> bool:
    return sys.stdout.isatty()


# --- times -------------------------------------------------------------------------------------


class LocalTimes:
    """Moments shown in the config's zone: ``2024-05-18 22:10``, with the zone's abbreviation
    (``+03``, ``CEST``) once in the header when every shown moment has the same one."""

    def __init__(self, tz: ZoneInfo, moments: Iterable[datetime | None]) -> None:
        self.tz = tz
        zones = {self._zone(moment) for moment in moments if moment is not None}
        self.shared = zones.pop() if len(zones) == 1 else None
        self.mixed = bool(zones)

    def _zone(self, moment: datetime) -> str:
        return as_utc(moment).astimezone(self.tz).strftime("%Z")

    def header(self, name: str) -> str:
        return f"{name} ({self.shared})" if self.shared else name

    def __call__(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = as_utc(moment).astimezone(self.tz)
        text = local.strftime("%Y-%m-%d %H:%M")
        return f"{text} {local:%Z}" if self.mixed else text


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    """One moment in the config's zone, with its abbreviation: ``2024-05-18 22:10 +03``."""
    return as_utc(moment).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


# --- tables ------------------------------------------------------------------------------------


def print_table(
    columns: Sequence[Col], rows: Iterable[Sequence[Any]], *, title: str | None = None
) -> None:
    """A table that fits the terminal; plain tab-separated lines (headers first) when piped."""
    from watcher.text import one_line, printable

    cells = [[printable(one_line("" if v is None else str(v))) for v in row] for row in rows]
    if not to_terminal():
        for line in [[c.header for c in columns], *cells]:
            click.echo("\t".join(line))
        return
    _print_rich(columns, cells, title)


def _print_rich(columns: Sequence[Col], cells: list[list[str]], title: str | None) -> None:
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(soft_wrap=False)
    shown = [i for i, column in enumerate(columns) if column.kind != "note"]
    natural = [
        max([cell_len(columns[i].header), *(cell_len(row[i]) for row in cells)]) for i in shown
    ]
    widths = fit_widths([columns[i].kind for i in shown], natural, console.width)
    table = Table(title=title, box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    for i, width in zip(shown, widths, strict=True):
        table.add_column(
            columns[i].header, width=width, no_wrap=columns[i].kind != "text", overflow="fold"
        )
    for row in cells:
        table.add_row(*(_cell(row[i], columns[i].kind, Text) for i in shown))
    console.print(table)
    notes = [(row[0], row[i]) for i, c in enumerate(columns) if c.kind == "note" for row in cells]
    if any(note for _, note in notes):
        console.print()
    for first, note in notes:
        if note:
            line = Text(f"{first}: {note}", no_wrap=True, overflow="ellipsis")
            console.print(line, style="red")


def _cell(text: str, kind: Kind, text_class: Any) -> Any:
    style = _STATE_STYLES.get(text.split(" ", 1)[0]) if kind == "status" else None
    return text_class(text, style=style or "")


def fit_widths(kinds: Sequence[Kind], natural: Sequence[int], total: int) -> list[int]:
    """Column widths within ``total``: ``id``, ``fixed`` and ``status`` columns take their
    natural width; ``text`` columns share what is left, the narrow ones first (each gets its
    natural width when it fits, else an equal share, at least MIN_FLEXIBLE)."""
    widths = list(natural)
    flexible = sorted((i for i, k in enumerate(kinds) if k == "text"), key=natural.__getitem__)
    fixed = sum(w for i, w in enumerate(natural) if i not in flexible)
    left = max(total - fixed - GAP * (len(kinds) - 1), MIN_FLEXIBLE * len(flexible))
    for done, index in enumerate(flexible):
        share = left // (len(flexible) - done)
        widths[index] = max(min(natural[index], share), min(MIN_FLEXIBLE, natural[index]))
        left -= widths[index]
    return widths
