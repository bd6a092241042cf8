"""Render a digest's content with Jinja2 templates: HTML (CSS inlined), plain text, subject.

Templates are looked up first in the config's ``templates_dir`` (any single file overrides its
bundled namesake), then in the bundled ``templates/``. HTML templates autoescape; feed text
arrives already sanitised (``watcher.digest.sanitise``) and passes nh3 once more on its way in
(the ``sanitised`` filter), so a custom template cannot undo that by mistake.

Gmail clips a message whose HTML passes ~102 KB, hiding the rest behind a link; a digest over
``MAX_HTML_BYTES`` turns its least important entries into one-line links, then into a count.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import css_inline
import nh3
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

import watcher
from watcher.config import Config, Digest
from watcher.digest.build import DigestContent, Outlet, Section, text_direction
from watcher.digest.i18n import format_day, format_when, translations
from watcher.text import one_line, shorten

MAX_HTML_BYTES = 95_000
MAX_SUBJECT = 200
MAX_MORE_LINKS = 20


def templates_path() -> Path:
    """The bundled templates: inside the package when installed from a wheel, else the repo's."""
    bundled = Path(watcher.__file__).resolve().parent / "_bundled" / "templates"
    if bundled.is_dir():
        return bundled
    return Path(watcher.__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_digest(content: DigestContent, config: Config, digest: Digest) -> Rendered:
    """Subject, plain text and inlined HTML; entries trimmed until the HTML fits a mail."""
    env = environment(digest.language, config.timezone, config.resolved_templates_dir)
    context = {
        "digest": content,
        "language": digest.language,
        "direction": "rtl" if digest.language == "ar" else "ltr",
        "unsubscribe": digest.unsubscribe,
        "overdue": sum(f.status == "overdue" for s in content.sections for f in s.followups),
    }
    subject = shorten(one_line(env.get_template("subject.txt.j2").render(context)), MAX_SUBJECT)
    context["subject"] = subject
    _cap_links(content.sections)
    while True:
        html = css_inline.inline(
            env.get_template("digest.html.j2").render(context), load_remote_stylesheets=False
        )
        size = len(html.encode("utf-8"))
        if size <= MAX_HTML_BYTES or not _trim(content.sections, _overshoot(size, content)):
            break
    text = env.get_template("digest.txt.j2").render(context)
    return Rendered(subject=subject, text=_tidy_text(text), html=html)


def _overshoot(size: int, content: DigestContent) -> int:
    """How many entries to demote at once: the excess over the average entry's share of the page
    (an overestimate of one entry's bytes, so this never demotes more than needed)."""
    shown = sum(len(s.entries) for s in content.sections) or 1
    return max(1, math.ceil((size - MAX_HTML_BYTES) / (size / shown)))


def _trim(sections: list[Section], count: int) -> bool:
    """Demote ``count`` of the last entries to links, or links to a count; False when none left."""
    trimmed = 0
    while trimmed < count and _trim_one(sections):
        trimmed += 1
    return trimmed > 0


def _trim_one(sections: list[Section]) -> bool:
    """Demote the last entry to a link (at most MAX_MORE_LINKS links; the rest only counted)."""
    for section in reversed(sections):
        if section.entries:
            entry = section.entries.pop()
            link_title = Markup(entry.title_html).striptags()
            section.more.insert(0, Outlet(entry.source, entry.url, link_title))
            if sum(len(s.more) for s in sections) > MAX_MORE_LINKS:
                _count_last_link(sections)
            return True
    return _count_last_link(sections)


def _cap_links(sections: list[Section]) -> None:
    """At most MAX_MORE_LINKS links in all before the first render; the rest are counted."""
    excess = sum(len(s.more) for s in sections) - MAX_MORE_LINKS
    while excess > 0 and _count_last_link(sections):
        excess -= 1


def _count_last_link(sections: list[Section]) -> bool:
    for section in reversed(sections):
        if section.more:
            section.more.pop()
            section.hidden += 1
            return True
    return False


def _tidy_text(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())) + "\n"


@lru_cache(maxsize=16)
def environment(language: str, timezone: str, templates_dir: Path | None) -> Environment:
    """A Jinja environment per language, zone and override directory (cheap to keep)."""
    loaders = [FileSystemLoader(str(templates_dir))] if templates_dir else []
    loaders.append(FileSystemLoader(str(templates_path())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=lambda name: bool(name and name.endswith((".html.j2", ".html"))),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    tz = ZoneInfo(timezone)
    env.filters.update(
        day=lambda value: format_day(value, language, tz) if value else "",
        when=lambda value: format_when(value, language, tz) if value else "",
        sanitised=sanitised,
        plain=lambda value: Markup(value or "").striptags(),
        textdir=textdir,
        listing=lambda values: ("، " if language == "ar" else ", ").join(values),
    )
    return env


def sanitised(value: str | None) -> Markup:
    """Sanitised snippet HTML: only ``<mark>`` survives, whatever reached the template."""
    return Markup(nh3.clean(str(value or ""), tags={"mark"}, attributes={}))


def textdir(text: str | None, default: str = "ltr") -> str:
    """The direction of a line of config text (a story title may be Arabic in an English digest)."""
    if not text or not re.search(r"\w", text):
        return default
    return text_direction(None, text)[1]
