"""Feed dates as outlets write them: Arabic month names, 12-hour clocks, local times.

feedparser reads the RFC 822 and ISO 8601 families and returns UTC. It reads a time written
without a zone as UTC, drops AM/PM, reads a prefix of many other texts wrongly (``15-05-2024 |
14:30`` as 20 May 2015) and nothing in Arabic. ``feed_date`` takes its reading where it is right
and decides the rest:

- a standard shape (one regular expression, the only cost on the common path) keeps
  feedparser's reading: aware UTC when a zone is written (``+03:00``, ``Z``, ``GMT``, ``EST``),
  else naive, the time as written, which normalise reads in the source's zone (never
  silently as UTC);
- any other text, and any text feedparser could not read, goes to ``parse_date``.

``parse_date`` reads a date from its parts, in any order:

- a day and a 4-digit year, with a month name (Egyptian and Gulf يناير…ديسمبر with their
  variants إبريل/أبريل, يونيه, يوليه, اغسطس; Levantine كانون الثاني…كانون الأول; Maghreb جانفي,
  ماي, جوان, غشت…; English) or as a numeric date (``15/05/2024``, ``2024-05-15``, ``15.05.2024``:
  day first, unless that cannot be or a weekday name says otherwise);
- a time ``H:MM[:SS]``, 24-hour or with ص/م, صباحًا/مساءً (any diacritics), ظهرًا, عصرًا,
  قبل/بعد الظهر, AM/PM; a zone: ``+03:00``, ``+0300``, ``+03``, ``GMT``, ``UTC``, ``GMT+3``, غرينتش;
- Arabic-Indic and Persian digits; any separators (``-``, ``،``, ``|``, ``/``).

Other words (weekdays, بتوقيت, الموافق) are ignored, and so are a Hijri date written beside the
Gregorian one (its month name and the day before it, a year 1300-1599, ``هـ``) and the era
letter م after a date. A text with two different dates, times or months, without a day, month
and year, or in another script (feedparser's Greek and Korean) is not one.
"""

from __future__ import annotations

import calendar
import re
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

from feedparser.datetimes.rfc822 import timezone_names

MAX_TEXT = 200  # longer is no date: bounded work on hostile input
T = TypeVar("T")

# --- the text feedparser read -------------------------------------------------------------------

# The shapes feedparser reads right: RFC 822 (``[Wed,] 15 May 2024 [02:30[:00] [zone]]``) and
# ISO 8601 / W3DTF (``2024-05-15[T02:30[:00[.000]][zone]]``). feedparser also reads a prefix of
# many other texts, wrongly (``15-05-2024 | 14:30`` as 20 May 2015), and drops AM/PM.
_STANDARD = re.compile(
    r"\s*(?:(?:[a-z]{3,9}\.?,?\s+)?\d{1,2}\s+[a-z]{3,9}\.?\s+\d{4}"
    r"(?:\s+\d{1,2}:\d\d(?::\d\d)?(?:\s*(?P<rfc822>[+-]\d\d:?\d\d|(?!(?:am|pm)\b)[a-z]{1,5}))?)?"
    r"|\d{4}-\d\d-\d\d"
    r"(?:[t ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?P<iso>z|[+-]\d\d(?::\d\d|00)?)?)?)\s*",
    re.IGNORECASE | re.ASCII,
)
_CLOCK = re.compile(
    r"\d:\d\d(?::\d\d)?(?:[.,]\d+)?\s*(?:(?P<offset>[+-]\d)|(?P<word>[a-z]+))?", re.I
)
_HANGUL = re.compile("[\uac00-\ud7a3]")  # feedparser's Korean formats are KST by definition
# Zone names with their offsets in hours, as feedparser reads them, less AST/ADT/AT: Atlantic
# time to feedparser, Arabia (+3) to Gulf outlets; a time in one is read in the source's zone.
ZONE_HOURS = {n: h for n, h in timezone_names.items() if n not in ("ast", "adt", "at")} | {"utc": 0}


def feed_date(text: str | None, parsed: time.struct_time | None) -> datetime | None:
    """The date of a feed element from its text and feedparser's reading of it (UTC).

    Aware UTC when the text names a zone, naive (the time as written) when it does not, None
    when neither feedparser nor ``parse_date`` can read it. feedparser's reading is taken as it
    is for the standard shapes (one regular expression: the common path); any other text is
    read by ``parse_date``, and by feedparser only when ``parse_date`` cannot read it.
    """
    moment = _from_struct(parsed) if parsed is not None else None
    if not text:
        return moment
    if moment is not None and (shape := _STANDARD.fullmatch(text)):
        zone = shape[shape.lastgroup] if shape.lastgroup else None  # its only named groups
        return moment if zone and _known_zone(zone) else _as_written(moment, zone)
    ours = parse_date(text)
    if ours is not None or moment is None:
        return ours
    return _other_shape(text, moment)


def date_text(
    published: datetime | None, updated: datetime | None, texts: tuple[str | None, str | None]
) -> str | None:
    """Which text ``Entry.date_text`` keeps, of ``texts`` (published's, updated's): the one
    normalise uses (published, else updated), else the one no parser could read."""
    published_text, updated_text = texts
    text = updated_text if published is None and updated is not None else published_text
    text = text or updated_text
    return text[:MAX_TEXT] if text else None


def _known_zone(zone: str) -> bool:
    """An offset or a zone name feedparser reads right; another (``CEST``) it reads as UTC."""
    return zone[0] in "+-" or zone.lower() in ZONE_HOURS


def _other_shape(text: str, moment: datetime) -> datetime | None:
    """feedparser's reading of a shape neither we nor the standard shapes cover (Korean, Greek,
    Hungarian): kept when the text has a time of day (a bare ``2024`` is no date), aware when
    a zone follows that time."""
    found = _CLOCK.search(text)
    if found is None:
        return None
    word = found["word"]
    zoned = found["offset"] or (word and _known_zone(word)) or _HANGUL.search(text)
    return moment if zoned else _as_written(moment, word)


def _as_written(moment: datetime, zone: str | None) -> datetime:
    """The time as the text wrote it, naive: feedparser's UTC reading with the offset it applied
    for a zone name we do not trust (AST) taken back; an unknown name it read as UTC."""
    hours = timezone_names.get(zone.lower(), 0) if zone else 0
    return (moment + timedelta(hours=hours)).replace(tzinfo=None)


def _from_struct(parsed: time.struct_time) -> datetime | None:
    """feedparser's UTC struct_time → an aware datetime; None when out of range (year 0)."""
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except ValueError:  # a leap second rolls over to the next minute
        pass
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (ValueError, OverflowError, OSError):
        return None


# --- the fallback parser -------------------------------------------------------------------


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for zero in (0x660, 0x6F0):  # Arabic-Indic and Persian (Eastern Arabic-Indic) digits
        table.update({zero + value: str(value) for value in range(10)})
    marks = [*range(0x64B, 0x660), 0x670, 0x640, 0x61C, 0x200E, 0x200F, *range(0x202A, 0x202F)]
    table.update(dict.fromkeys([*marks, *range(0x2066, 0x206A)]))  # diacritics, tatweel, bidi
    table.update(dict.fromkeys(map(ord, "\u00a0\u2009\u202f\u060c\u061b"), " "))  # ، ؛
    table.update({ord(c): "ا" for c in "أإآٱ"} | {ord("ى"): "ي"})
    table.update({ord(c): "-" for c in "\u2212\u2013\u2014"})
    return table


_FOLD = _fold_table()
_PHRASE = re.compile(r"(?<![^\W\d_])(كانون|تشرين|قبل|بعد)\s*(?:ال)?(اول|ثاني|ظهر)(?![^\W\d_])")
_LATIN_MERIDIEM = re.compile(r"(?<![^\W\d_])([ap])\.\s?m\b\.?")
_TOKEN = re.compile(
    r"(?P<date>(?<!\d)\d{1,4}([/.-])\d{1,2}\2\d{1,4}(?!\d))"
    r"|(?P<time>(?<!\d)\d{1,2}:\d\d(?::\d\d)?(?:\.\d+)?(?!\d))"
    r"|(?P<number>\d+)"
    r"|(?P<sign>[+-])(?=\d)"
    r"|(?P<word>[a-z\u0620-\u064a\u066e-\u06d3]+)"
    r"|(?P<foreign>[^\W\d_]+)"  # another script: feedparser's Greek, Korean… not ours
)


def _fold(text: str) -> str:
    """Digits to ASCII; diacritics, tatweel and bidi marks out; alef and yeh forms unified;
    two-word names (كانون الثاني, بعد الظهر) joined into one word; Latin lower-cased."""
    folded = text.translate(_FOLD).lower()
    if "كانون" in folded or "تشرين" in folded or "ظهر" in folded:
        folded = _PHRASE.sub(lambda m: m[1] + m[2], folded)
    return _LATIN_MERIDIEM.sub(r"\1m", folded) if "." in folded else folded


def _words(table: dict[T, str]) -> dict[str, T]:
    """Lookup keys folded as texts are: the table is written in ordinary spelling."""
    return {_fold(word): value for value, words in table.items() for word in words.split(",")}


_MONTHS = _words(
    {
        1: "يناير,جانفي,كانون الثاني,january,jan",
        2: "فبراير,فيفري,شباط,february,feb",
        3: "مارس,آذار,march,mar",
        4: "أبريل,إبريل,أفريل,نيسان,april,apr",
        5: "مايو,ماي,أيار,may",
        6: "يونيو,يونيه,جوان,حزيران,june,jun",
        7: "يوليو,يوليه,يوليوز,جويلية,جويليه,تموز,july,jul",
        8: "أغسطس,أغسطوس,غشت,أوت,آب,august,aug",
        9: "سبتمبر,شتنبر,أيلول,september,sep,sept",
        10: "أكتوبر,تشرين الأول,october,oct",
        11: "نوفمبر,نونبر,تشرين الثاني,november,nov",
        12: "ديسمبر,دجنبر,كانون الأول,december,dec",
    }
)
_WEEKDAYS = _words(
    {
        0: "الإثنين,الاثنين,إثنين,اثنين,monday,mon",
        1: "الثلاثاء,ثلاثاء,tuesday,tue,tues",
        2: "الأربعاء,أربعاء,wednesday,wed",
        3: "الخميس,خميس,thursday,thu,thur,thurs",
        4: "الجمعة,الجمعه,جمعة,جمعه,friday,fri",
        5: "السبت,سبت,saturday,sat",
        6: "الأحد,أحد,sunday,sun",
    }
)
_MERIDIEMS = _words(
    {
        "am": "ص,صباحًا,صباح,فجرًا,قبل الظهر,am",
        "pm": "م,مساءً,مساءا,ظهرًا,عصرًا,بعد الظهر,pm",
    }
)
_ZONES = {
    name: hours * 60 for name, hours in ZONE_HOURS.items() if len(name) > 2 or name in ("ut", "z")
}
_ZONES |= _words({0: "غرينتش,غرينيتش,جرينتش,جرينيتش"})
_HIJRI_MONTHS = _words({"hijri": "محرم,صفر,ربيع,جمادى,رجب,شعبان,رمضان,شوال,ذو,ذي"})
_HIJRI_YEARS = range(1300, 1600)
_YEARS = range(1900, 2201)
MAX_OFFSET = 14 * 60


class _Reading:
    """The parts of one date found so far; each ``take_*`` returns False on a contradiction."""

    def __init__(self) -> None:
        self.year: int | None = None
        self.month: int | None = None
        self.days: dict[int, int] = {}  # token index → a day candidate
        self.clock: tuple[int, int, int] | None = None
        self.meridiem: str | None = None
        self.offset: int | None = None  # minutes east of UTC
        self.offset_from_sign = False
        self.weekday: int | None = None  # only to choose between 05/03 as 5 March and 3 May
        self.swappable = False

    def take_year(self, year: int) -> bool:
        if year in _HIJRI_YEARS:
            return True
        if year not in _YEARS or self.year not in (None, year):
            return False
        self.year = year
        return True

    def take_month(self, month: int) -> bool:
        if self.month not in (None, month):
            return False
        self.month = month
        return True

    def take_numeric_date(self, text: str, index: int) -> bool:
        first, second, third = re.split(r"[/.-]", text)
        if len(first) == 4:
            year, month, day = int(first), int(second), int(third)
        elif len(third) == 4:
            day, month, year = int(first), int(second), int(third)
            if month > 12 >= day:  # 05/15/2024: month first
                day, month = month, day
            self.swappable = day <= 12 and month <= 12 and day != month
        else:
            return False
        if year in _HIJRI_YEARS:
            return True
        self.days[index] = day
        return self.take_year(year) and self.take_month(month)

    def take_clock(self, text: str) -> bool:
        if self.clock is not None:
            return False
        parts = [int(part) for part in text.split(".")[0].split(":")]
        self.clock = (parts[0], parts[1], parts[2] if len(parts) > 2 else 0)
        return True

    def take_offset(self, sign: str, text: str) -> bool:
        """``+03:00``, ``+0300``, ``+03``, ``GMT+3``: one offset (a zone word's 0 gives way)."""
        digits = text.replace(":", "")
        if self.offset_from_sign or len(digits) not in (1, 2, 4):
            return False
        minutes = int(digits) * 60 if len(digits) <= 2 else int(digits[:2]) * 60 + int(digits[2:])
        if minutes > MAX_OFFSET:
            return False
        self.offset = -minutes if sign == "-" else minutes
        self.offset_from_sign = True
        return True

    def result(self) -> datetime | None:
        if self.year is None or self.month is None or len(set(self.days.values())) != 1:
            return None
        written, minute, second = self.clock or (0, 0, 0)
        hour = _twenty_four(written, self.meridiem)
        if hour is None:
            return None
        zone = None if self.offset is None else timezone(timedelta(minutes=self.offset))
        day, month = next(iter(self.days.values())), self.month
        if self.swappable and self.weekday is not None:
            with suppress(ValueError):
                if datetime(self.year, day, month).weekday() == self.weekday:
                    day, month = month, day  # Fri, 05/03/2019 is 3 May: month first
        try:
            return datetime(self.year, month, day, hour, minute, second, tzinfo=zone)
        except ValueError:
            return None


def _twenty_four(hour: int, meridiem: str | None) -> int | None:
    """12 ص → 0, 12 م → 12, 1-11 م → 13-23; a 24-hour time keeps a redundant م (14:30 م)."""
    if meridiem is None or hour > 12:
        return hour if meridiem != "am" else None
    if hour == 0:
        return 0 if meridiem == "am" else None
    if meridiem == "am":
        return 0 if hour == 12 else hour
    return 12 if hour == 12 else hour + 12


def parse_date(text: str) -> datetime | None:
    """A date in the forms of the module docstring: aware when the text names a zone, naive
    when it does not, None when it is not a date."""
    if not text or len(text) > MAX_TEXT:
        return None
    reading = _Reading()
    previous = ""  # the kind of the token before: "time", "meridiem", "zone", "word"…
    sign = ""  # a + or - where an offset may follow (after a time or a zone word)
    for index, found in enumerate(_TOKEN.finditer(_fold(text))):
        kind = found.lastgroup or ""
        value = found[kind]
        if sign and kind in ("number", "time"):
            kind, ok = "zone", reading.take_offset(sign, value)
        elif kind == "date":
            ok = reading.take_numeric_date(value, index)
        elif kind == "time":
            ok = reading.take_clock(value)
        elif kind == "number":
            ok = _take_number(reading, value, index)
        elif kind == "word":
            kind, ok = _take_word(reading, value, index, previous)
        else:  # a sign elsewhere is a separator (15 أيار 2024 -09:15); another script fails
            ok = kind == "sign"
        if not ok:
            return None
        sign = value if kind == "sign" and previous in ("time", "meridiem", "zone") else ""
        previous = kind
    return reading.result()


def _take_number(reading: _Reading, value: str, index: int) -> bool:
    if len(value) == 4:
        return reading.take_year(int(value))
    if len(value) <= 2 and 1 <= int(value) <= 31:
        reading.days[index] = int(value)
        return True
    return False


def _take_word(reading: _Reading, word: str, index: int, previous: str) -> tuple[str, bool]:
    """(the token's kind, whether it fits); unknown words (بتوقيت, الموافق…) are ignored."""
    if (month := _MONTHS.get(word)) is not None:
        return "month", reading.take_month(month)
    if word in ("كانون", "تشرين"):
        return "month", False  # كانون or تشرين without الأول/الثاني names no month
    if (weekday := _WEEKDAYS.get(word)) is not None:
        reading.weekday = weekday
        return "weekday", True
    if (meridiem := _MERIDIEMS.get(word)) is not None and previous == "time":
        if reading.meridiem not in (None, meridiem):
            return "meridiem", False
        reading.meridiem = str(meridiem)
        return "meridiem", True
    if (offset := _ZONES.get(word)) is not None and reading.clock is not None:
        if reading.offset is None:
            reading.offset = offset
        return "zone", True
    if word in _HIJRI_MONTHS:
        reading.days.pop(index - 1, None)  # the Hijri day written before its month
    return "word", True
