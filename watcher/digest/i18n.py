"""The digest's own words, in the digest's language: gettext catalogs read with Babel.

Catalogs are kept as ``.po`` sources in ``watcher/locale/<lang>/LC_MESSAGES/watcher.po`` and
compiled in memory when first used, so there is no ``.mo`` file to forget to rebuild. English is
the source language and needs no catalog. Dates and times use Babel's CLDR data for the language,
in the config's time zone.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "watcher"


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=8)
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog for ``language``; English (the source language) translates to itself."""
    path = catalog_path(language)
    if language == "en" or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def format_when(value: datetime | str, language: str, tz: ZoneInfo) -> str:
    """``Thu, Nov 26 08:30`` / ``الخميس، ٢٦ نوفمبر 08:30``: day and time of an item, local."""
    moment = _as_datetime(value).astimezone(tz)
    day = format_skeleton("MMMEd", moment, locale=language)
    return f"{day} {format_time(moment, 'HH:mm', locale=language)}"


def format_day(value: datetime | date | str, language: str, tz: ZoneInfo | None = None) -> str:
    """``Thursday, November 26, 2026`` in the digest's language (``full`` date, local)."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else _as_datetime(value)
    if isinstance(value, datetime):
        value = value.astimezone(tz).date() if tz else value.date()
    return format_date(value, format="full", locale=language)


def _as_datetime(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
