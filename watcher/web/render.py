"""The web view's templates: one Jinja2 environment per language, escaping everything.

Every value reaching a page or a feed has come from a feed, an archive or a config, so:

- autoescape is on for every template (HTML and Atom alike; the escaping is the same);
- ``finalize`` runs on every ``{{ … }}`` before it is escaped: it drops the characters that
  could reorder a line (bidi embeddings, overrides and isolates: an RTL override in a title
  would make "gpj.exe" read "exe.jpg") and the control characters XML 1.0 forbids;
- ``href`` takes a URL only through ``safe_url`` (http and https, nothing else).

Templates live in ``templates/web/`` (a ``templates_dir`` may override any of them, as for the
digest); the words are gettext's, the digest's Arabic catalog holds their translations.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from watcher.digest.build import text_direction
from watcher.digest.i18n import format_day, format_when, translations
from watcher.resources import bundled

# Bidi embeddings/overrides (U+202A–U+202E), isolates (U+2066–U+2069), and C0/C1 controls
# other than tab and newline: none belongs in a title, and most are invalid XML.
_UNSAFE_CHARACTERS = re.compile(
    "[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]"
)


def clean(value: Any) -> Any:
    """``finalize``: strings lose their unsafe characters, markup too (a translated phrase is
    markup with values inside; taking characters out of escaped text never makes a tag)."""
    if isinstance(value, Markup):
        return Markup(_UNSAFE_CHARACTERS.sub("", value))
    if isinstance(value, str):
        return _UNSAFE_CHARACTERS.sub("", value)
    return value


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL without spaces or controls; else None."""
    if not url or _UNSAFE_CHARACTERS.search(url) or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in {"http", "https"} and parts.netloc else None


def direction(text: str | None, language: str | None = None) -> str:
    """``rtl`` or ``ltr`` for a line of feed or config text (its language, else its letters)."""
    return text_direction(language, clean(text or ""))[1]


def templates_dirs(override: Path | None) -> list[str]:
    return [*([str(override)] if override else []), str(bundled("templates"))]


@lru_cache(maxsize=8)
def environment(language: str, timezone: str, override: Path | None) -> Environment:
    """A Jinja environment per language, time zone and override directory (cheap to keep)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(path) for path in templates_dirs(override)]),
        autoescape=True,
        finalize=clean,
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    tz = ZoneInfo(timezone)
    env.filters.update(
        when=lambda value: format_when(value, language, tz) if value else "",
        day=lambda value: format_day(value, language, tz) if value else "",
        shortday=lambda value: format_skeleton("MMMEd", value, locale=language),
        listing=lambda values: ("، " if language == "ar" else ", ").join(values),
    )
    return env
