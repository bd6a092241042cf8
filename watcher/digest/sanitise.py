"""Feed HTML reaches a digest only through here: an allowlist sanitiser (nh3), then escaping.

Feeds are untrusted. A digest shows a short plain-text snippet of each item; it is cut from the
item's text after nh3 has stripped every tag (and dropped the content of script, style, forms,
frames...), escaped, and only then given ``<mark>`` around the watched names. ``clean_html`` is
the rich variant for callers that keep markup: no script, no style attributes, no event
handlers, only http(s) links (rewritten to their canonical form), no images unless asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import nh3
from markupsafe import Markup, escape

from watcher.normalise import canonical_url
from watcher.text import clean_text

_DROP_WITH_CONTENT = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "form", "select",
    "textarea", "button", "template", "noscript", "svg", "math", "head", "title",
}  # fmt: skip
_RICH_TAGS = {
    "p", "br", "a", "b", "strong", "i", "em", "u", "ul", "ol", "li", "blockquote", "q", "cite",
    "code", "pre", "mark", "small", "sub", "sup", "span", "h3", "h4",
}  # fmt: skip
_SPACE = re.compile(r"\s+")


def canonical_link(url: str | None) -> str | None:
    """The canonical http(s) form of a link (item identity's rules); None for any other scheme."""
    return canonical_url(url)


def clean_html(fragment: str, *, images: bool = False) -> str:
    """Sanitise feed HTML with an allowlist; links canonical and ``rel=noopener``."""
    tags = _RICH_TAGS | ({"img"} if images else set())
    attributes = {"a": {"href"}, **({"img": {"src", "alt"}} if images else {})}

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in {"href", "src"}:
            return canonical_link(value) if attribute == "href" else _image_source(value)
        return value

    return nh3.clean(
        fragment,
        tags=tags,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=attributes,
        attribute_filter=keep,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _image_source(value: str) -> str | None:
    return value if re.match(r"^https://", value.strip(), re.IGNORECASE) else None


def sanitised_text(fragment: str) -> str:
    """Feed HTML → one line of plain text: sanitised first, then block tags become spaces."""
    cleaned = nh3.clean(
        fragment, tags=_RICH_TAGS, clean_content_tags=_DROP_WITH_CONTENT, attributes={}
    )
    return clean_text(cleaned)


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def snippet(
    text: str,
    names: Iterable[str],
    length: int = 280,
    *,
    counted: Iterable[tuple[int, int]] = (),
) -> Markup:
    """A window of ``text`` around the first watched name, escaped, names in ``<mark>``.

    ``names`` are marked wherever they occur; ``counted`` are more spans of ``text`` to mark
    (the weak aliases where matching counted them), where no name overlaps them. ``text`` is
    one line already (``sanitised_text``), so those offsets hold.
    """
    text = collapse(text)
    spans = _name_spans(text, names)
    for start, end in counted:
        if 0 <= start < end <= len(text) and not any(start < e and s < end for s, e in spans):
            spans.append((start, end))
    spans.sort()
    start = _window_start(text, spans, length)
    end = min(len(text), start + length)
    if end < len(text):
        cut = text.rfind(" ", start + length // 2, end)
        end = cut if cut > 0 else end
    marked = _mark(text, [(s, e) for s, e in spans if s >= start and e <= end], start, end)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return Markup(prefix) + marked + Markup(suffix)


def _name_spans(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """Where the names occur (case-insensitive, whole words), longest first, no overlaps."""
    spans: list[tuple[int, int]] = []
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
        for found in pattern.finditer(text):
            if not any(found.start() < e and s < found.end() for s, e in spans):
                spans.append(found.span())
    return sorted(spans)


def _window_start(text: str, spans: list[tuple[int, int]], length: int) -> int:
    if not spans or spans[0][1] <= length * 2 // 3:
        return 0
    start = max(0, spans[0][0] - length // 3)
    space = text.find(" ", start)
    return space + 1 if 0 <= space < spans[0][0] else start


def _mark(text: str, spans: list[tuple[int, int]], start: int, end: int) -> Markup:
    parts: list[Markup] = []
    position = start
    for span_start, span_end in spans:
        parts.append(escape(text[position:span_start]))
        parts.append(Markup("<mark>%s</mark>") % text[span_start:span_end])
        position = span_end
    parts.append(escape(text[position:end]))
    return Markup("").join(parts)
