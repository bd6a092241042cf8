"""How commands print: tables that fit the terminal, tab-separated lines when piped, JSON lines.

A table on a terminal takes the terminal's width: ids, dates, numbers and states keep their
full width on one line (an id is never cut), titles wrap, lists of ids wrap between ids (or go
under the title when the terminal is narrow), and errors follow the table, one line each, cut
with "…" where the width ends. States are coloured when a terminal
is attached (rich leaves colour out for ``NO_COLOR`` and dumb terminals). Piped, the same
table is plain tab-separated lines, headers first, one row a line. Times are shown in the
config's zone, its abbreviation or offset in the header (in each cell when the rows' offsets
differ).

Every JSON datetime is ISO-8601 UTC with ``Z``, through ``watcher.clock.iso_utc``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar

import click

from watcher.clock import as_utc, iso_utc

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

F = TypeVar("F", bound=Callable[..., Any])
Kind = Literal["id", "fixed", "number", "status", "text", "ids", "note"]

TEXT_MIN = 24  # a title narrower than this is hard to read: lists move under it first
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


class Col(NamedTuple):
    """A column: ``id``, ``fixed``, ``number`` (right-aligned) and ``status`` (coloured)
    never wrap; ``text`` wraps; ``ids`` is a list of ids that wraps between ids, and goes
    under the first text, dimmed, when the terminal is too narrow for it beside; a ``note``
    (an error) goes under the table, one line per row that has one, cut with "…" at the
    terminal's width."""

    header: str
    kind: Kind = "fixed"
    optional: bool = False  # left out on a terminal when every row has it empty or 0


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
    import json

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


def print_table(columns: Sequence[Col], rows: Iterable[Sequence[Any]]) -> None:
    """A table that fits the terminal; plain tab-separated lines (headers first) when piped."""
    from watcher.text import one_line, printable

    cells = [[printable(one_line("" if v is None else str(v))) for v in row] for row in rows]
    if not to_terminal():
        for line in [[c.header for c in columns], *cells]:
            click.echo("\t".join(line))
        return
    _print_rich(columns, cells)


def _print_rich(columns: Sequence[Col], cells: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    shown = [
        i
        for i, column in enumerate(columns)
        if column.kind != "note"
        and not (column.optional and all(row[i] in {"", "0"} for row in cells))
    ]
    widths = _fit(columns, shown, cells, console.width)
    folded = widths is None  # too narrow for the lists beside the text: under it instead
    if widths is None:
        shown = [i for i in shown if columns[i].kind != "ids"]
        widths = _fit(columns, shown, cells, console.width) or [len(c.header) for c in columns]
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    for i, width in zip(shown, widths, strict=True):
        kind = columns[i].kind
        table.add_column(
            columns[i].header,
            width=width,
            no_wrap=kind not in {"text", "ids"},
            overflow="fold",
            justify="right" if kind == "number" else "left",
        )
    for row in cells:
        table.add_row(*(_cell(columns, row, i, folded) for i in shown))
    console.print(table)
    _print_notes(console, columns, cells)


def _cell(columns: Sequence[Col], row: list[str], index: int, folded: bool) -> Any:
    from rich.text import Text

    kind = columns[index].kind
    if kind == "status":
        return Text(row[index], style=_STATE_STYLES.get(row[index].split(" ", 1)[0], ""))
    cell = Text(row[index])
    if folded and index == next(i for i, c in enumerate(columns) if c.kind == "text"):
        for i, column in enumerate(columns):
            if column.kind == "ids" and row[i]:
                cell.append(f"\n{column.header}: {row[i]}", "dim")
    return cell


def _print_notes(console: Any, columns: Sequence[Col], cells: list[list[str]]) -> None:
    """Each row's note on one line under the table, after the row's ids, cut at the width."""
    from rich.text import Text

    ids = [i for i, column in enumerate(columns) if column.kind == "id"][:2] or [0]
    notes = [
        (" / ".join(row[i] for i in ids), row[n])
        for n, column in enumerate(columns)
        if column.kind == "note"
        for row in cells
        if row[n]
    ]
    if notes:
        console.print()
    for key, note in notes:
        console.print(Text(f"{key}: {note}", style="red"), no_wrap=True, overflow="ellipsis")


def _fit(
    columns: Sequence[Col], shown: list[int], cells: list[list[str]], total: int
) -> list[int] | None:
    from rich.cells import cell_len

    natural, least = [], []
    for i in shown:
        texts = [columns[i].header, *(row[i] for row in cells)]
        natural.append(max(cell_len(text) for text in texts))
        words = [word for text in texts for word in text.split()]
        least.append(max((cell_len(word) for word in words), default=0))
    return fit_widths([columns[i].kind for i in shown], natural, least, total)


def fit_widths(
    kinds: Sequence[Kind], natural: Sequence[int], least: Sequence[int], total: int
) -> list[int] | None:
    """Column widths within ``total``, or None when lists (``ids``) leave the text too little.

    ``id``, ``fixed``, ``number`` and ``status`` columns take their natural width; ``ids``
    columns too when that leaves the text its minimum, else their longest id (an id never
    breaks); ``text`` columns share the rest, the narrow ones first, each at least
    ``TEXT_MIN`` (or its natural width when smaller).
    """
    widths = list(natural)
    text = sorted((i for i, k in enumerate(kinds) if k == "text"), key=natural.__getitem__)
    lists = [i for i, k in enumerate(kinds) if k == "ids"]
    fixed = sum(w for i, w in enumerate(natural) if i not in text and i not in lists)
    room = total - GAP * (len(kinds) - 1) - fixed
    text_needs = sum(min(natural[i], TEXT_MIN) for i in text)
    if room - sum(natural[i] for i in lists) < text_needs:
        for i in lists:
            widths[i] = least[i]
    left = room - sum(widths[i] for i in lists)
    if left < text_needs:
        return None
    for done, index in enumerate(text):
        widths[index] = min(natural[index], left // (len(text) - done))
        left -= widths[index]
    return widths
