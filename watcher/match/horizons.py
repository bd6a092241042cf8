"""The horizon a promise states ("in the next couple of days", "يوم الثلاثاء") and the due
date it suggests, counted in days from the day the promise was published:

today, tonight, within hours, tomorrow +1; 48 hours, two days +2; a couple of days, two or
three days +3; a few days, the coming days +5; this week: its Sunday (the next day on a
Sunday); next week +7; two weeks +14; the coming weeks +21; next month +30; the end of the
month: its last day; shortly +7; soon, later, or no horizon at all +14 (``SOON``); a weekday:
its next occurrence; a date ("June 3", "3 يونيو"): that date, next year's once it has passed.

Texts are read folded (``watcher.text.fold_letters`` of the casefolded text: أ is ا, ة is ه,
no diacritics). Weekday and month names come from Babel's CLDR data: English, and Arabic as
written in Egypt, the Levant and the Maghreb.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from babel.dates import get_day_names, get_month_names

from watcher.text import fold_letters

SOON = timedelta(days=14)

Due = Callable[[date], date]


@dataclass(frozen=True, slots=True)
class Horizon:
    """A horizon found at ``start:end`` of the folded text; ``sure`` unless the same words
    also date the past ("today", "this week", a weekday, a date)."""

    start: int
    end: int
    due: date
    sure: bool


def _days(count: int) -> Due:
    return lambda day: day + timedelta(days=count)


def _sunday(day: date) -> date:
    return day + timedelta(days=(6 - day.weekday()) or 1)


def _month_end(day: date) -> date:
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return last if last > day else day + timedelta(days=1)


# (pattern, due date, sure), tried in this order: the first that matches wins.
HORIZONS: list[tuple[str, Due, bool]] = [
    (
        r"later today|tonight|this (?:evening|afternoon)|(?:in|within) (?:the next )?"
        r"(?:a few |few |24 |a couple of )?hours|الليله|هذا المساء|مساء اليوم|(?:خلال|في غضون"
        r"|بعد) (?:الساعات القليله المقبله|ساعات|24 ساعه)",
        _days(1),
        True,
    ),
    (r"today|اليوم", _days(1), False),
    (r"tomorrow|غدا", _days(1), True),
    (
        r"(?:in )?(?:two|2) or (?:three|3) days|(?:in )?a couple (?:of )?days or (?:so|three)"
        r"|(?:خلال|في غضون|بعد) (?:يومين|يوم) (?:او|أو) (?:ثلاثه|يومين)",
        _days(3),
        True,
    ),
    (
        r"(?:in|within) (?:the next )?48 hours|in (?:two|2) days|in a day or two"
        r"|(?:خلال|في غضون|بعد) (?:يومين|48 ساعه)",
        _days(2),
        True,
    ),
    (
        r"(?:in |over |within )?(?:the )?next (?:couple|two) (?:of )?days|(?:in )?a couple "
        r"(?:of )?days|(?:خلال|في) اليومين (?:المقبلين|القادمين)",
        _days(3),
        True,
    ),
    (
        r"(?:in |over )?(?:the )?(?:next|coming) (?:few )?days|in a few days|in the days ahead"
        r"|(?:خلال|في) الايام (?:المقبله|القادمه|القليله المقبله)|(?:بعد|خلال|في غضون) ايام",
        _days(5),
        True,
    ),
    (r"(?:over|this|on|during) (?:the )?weekend|(?:في )?عطله نهايه الاسبوع", _sunday, True),
    (r"later this week|(?:خلال )?هذا الاسبوع|نهايه الاسبوع", _sunday, True),
    (r"this week", _sunday, False),
    (r"next week|in a week|within a week|(?:خلال )?الاسبوع (?:المقبل|القادم)", _days(7), True),
    (
        r"(?:in |over )?the (?:next|coming) couple (?:of )?weeks|in (?:two|2|a couple of) weeks"
        r"|(?:خلال|بعد|في غضون) اسبوعين",
        _days(14),
        True,
    ),
    (
        r"(?:in |over )?the (?:coming|next few) weeks|in a few weeks|the weeks ahead"
        r"|(?:خلال |في )?الاسابيع (?:المقبله|القادمه)",
        _days(21),
        True,
    ),
    (r"next month|in a month|the coming month|الشهر (?:المقبل|القادم)", _days(30), True),
    (r"(?:by )?the end of (?:the|this) month|(?:قبل )?نهايه (?:هذا )?الشهر", _month_end, True),
    (r"shortly|in a moment", _days(7), True),
    (
        r"soon|in a bit|in due (?:time|course)|later|قريبا|عما قريب|لاحقا|لاحقه?|في وقت لاحق",
        lambda day: day + SOON,
        True,
    ),
]


def find_horizon(folded: str, day: date) -> Horizon | None:
    """The first horizon of a folded sentence, an explicit date or weekday before a vague one,
    with the due date it gives for a promise published on ``day``."""
    dates, weekday, vague = _patterns()
    for pattern in dates:
        if match := pattern.search(folded):
            return Horizon(match.start(), match.end(), _on_date(match, day), False)
    if match := weekday.search(folded):
        ahead = (_names()[1][match[0]] - day.weekday() - 1) % 7 + 1
        return Horizon(match.start(), match.end(), day + timedelta(days=ahead), False)
    for pattern, (_, due, sure) in zip(vague, HORIZONS, strict=True):
        if match := pattern.search(folded):
            return Horizon(match.start(), match.end(), due(day), sure)
    return None


def _on_date(match: re.Match[str], day: date) -> date:
    try:
        due = date(day.year, _names()[0][match["month"]], int(match["day"]))
    except ValueError:
        return day + SOON
    return due if due > day else due.replace(year=day.year + 1)


@cache
def _names() -> tuple[dict[str, int], dict[str, int]]:
    """Folded month names → 1-12, and weekday names → Monday = 0."""
    months = [get_month_names("wide", locale="en"), get_month_names("abbreviated", locale="en")]
    months += [get_month_names("wide", locale=f"ar{place}") for place in ("", "_SY", "_MA", "_DZ")]
    days = [get_day_names("wide", locale="en"), get_day_names("wide", locale="ar")]
    return _folded(months), _folded(days)


def _folded(tables: Sequence[Mapping[Any, str]]) -> dict[str, int]:
    return {fold_letters(name.casefold()): n for table in tables for n, name in table.items()}


@cache
def _patterns() -> tuple[list[re.Pattern[str]], re.Pattern[str], list[re.Pattern[str]]]:
    """Dates ("June 3", "3 يونيو"), weekdays, then the vague horizons, compiled once."""
    months, weekdays = (
        "|".join(sorted(map(re.escape, names), key=len, reverse=True)) for names in _names()
    )
    dates = [
        rf"(?P<month>{months})\.? (?P<day>\d{{1,2}})(?:st|nd|rd|th)?",
        rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month>{months})",
    ]
    return (
        [_whole(pattern) for pattern in dates],
        _whole(weekdays),
        [_whole(pattern) for pattern, _, _ in HORIZONS],
    )


def _whole(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)")
