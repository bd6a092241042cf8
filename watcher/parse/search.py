"""Parse news-search answers into ``Entry`` objects: one per article, at the publisher's URL.

- GDELT DOC 2.0 (``format=json``): ``{"articles": [{url, url_mobile, title, seendate
  (YYYYMMDDTHHMMSSZ), socialimage, domain, language, sourcecountry}]}``. An empty body and
  ``{}`` are no results; a query GDELT refuses comes back as a plain-text sentence (HTTP 200),
  which becomes a ``ParseError`` quoting it.
- Google News RSS: ``<link>`` is a ``news.google.com/rss/articles/ID`` link. Older IDs are the
  base64 of a small protobuf message holding the publisher's URL, which is read from it; newer
  ones are opaque, and the link is kept (``watcher.jobs.search`` may follow it). The outlet is
  ``<source url="https://outlet.example">Outlet</source>``; titles end " - Outlet".
- Bing News RSS: ``<link>`` is ``…/news/apiclick.aspx?…&url=ENCODED_PUBLISHER_URL&…``; the
  outlet is ``<News:Source>``.

Everything here is untrusted: URLs are only read (never fetched), values are clipped, and the
XML parser resolves no entities and loads nothing.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lingua import Language
from lxml import etree

from watcher.errors import ParseError
from watcher.model import Entry
from watcher.text import clean_text

MAX_RESULTS = 1_000  # per answer; GDELT sends at most 250, Google News about 100
VALUE_MAX = 2_000  # characters of any one field kept


def parse_results(engine: str, body: bytes, *, source_id: str, url: str) -> list[Entry]:
    """The entries of one engine's answer; ``ParseError`` when it is not an answer at all."""
    return _PARSERS[engine](body, source_id=source_id, url=url)


# --- GDELT ------------------------------------------------------------------------------------

_BAD_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')


def parse_gdelt(body: bytes, *, source_id: str, url: str) -> list[Entry]:
    text = body.decode("utf-8", "replace").strip().lstrip("\ufeff")
    if not text:
        return []
    if not text.startswith("{"):
        said = clean_text(text)[:200] or "an empty page"
        raise ParseError(source_id, url, f"GDELT answered: {said}")
    data = _json(text)
    if data is None:
        raise ParseError(source_id, url, "GDELT's answer is not valid JSON")
    articles = data.get("articles") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        return []
    return [e for a in articles[:MAX_RESULTS] if isinstance(a, dict) if (e := _gdelt_entry(a))]


def _json(text: str) -> Any:
    """GDELT's JSON, tolerating raw control characters and stray backslashes in titles."""
    for attempt in (text, _BAD_ESCAPE.sub(r"\\\\", text)):
        try:
            return json.loads(attempt, strict=False)
        except (ValueError, RecursionError):  # RecursionError: nesting no answer has
            continue
    return None


def _gdelt_entry(article: dict[str, Any]) -> Entry | None:
    link = _string(article.get("url"))
    if not link:
        return None
    domain = _string(article.get("domain"))
    title = _tidy_gdelt_title(_string(article.get("title")))
    extra = {
        "engine": "gdelt",
        "outlet": domain,
        "image": _string(article.get("socialimage")),
        "country": _string(article.get("sourcecountry")),
    }
    return Entry(
        link=link,
        title=strip_outlet(title, *_domain_labels(domain)),
        published=_gdelt_time(_string(article.get("seendate"))),
        language=_language_code(_string(article.get("language"))),
        extra=_present(extra),
    )


def _gdelt_time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _tidy_gdelt_title(title: str) -> str:
    """GDELT spaces its titles' punctuation ("Leike , who led"): put it back."""
    title = re.sub(r"\s+([,.;:!?%)\]])", r"\1", title)
    return re.sub(r"([(\[])\s+", r"\1", title)


def _language_code(name: str) -> str | None:
    """GDELT's ``English`` → ``en``; None for a language lingua does not know."""
    try:
        return Language.from_str(name).iso_code_639_1.name.lower() if name else None
    except ValueError:
        return None


def _domain_labels(domain: str) -> list[str]:
    """``edition.cnn.com`` → ``["edition", "cnn"]``: what an outlet's name may start with."""
    return domain.removeprefix("www.").split(".")[:-1]


# --- RSS (Google News, Bing News) -------------------------------------------------------------

_local = threading.local()


def _xml_parser() -> etree.XMLParser:
    """One hardened parser per thread (lxml parsers are not thread-safe)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
    return parser


def _rss_entries(
    body: bytes,
    engine: str,
    entry: Callable[[dict[str, Any]], Entry],
    *,
    source_id: str,
    url: str,
) -> list[Entry]:
    """``entry(fields)`` for each ``<item>`` with a link (``fields``: its children by name)."""
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise ParseError(
            source_id,
            url,
            f"{engine} answered with an HTML page, not RSS (it may be refusing "
            "automated requests for now)",
        )
    try:
        root = etree.fromstring(body, _xml_parser()) if body.strip() else None
    except etree.XMLSyntaxError as error:
        raise ParseError(source_id, url, f"{engine}'s answer is not RSS: {error}") from None
    if root is None or _local_name(root) != "rss":
        raise ParseError(source_id, url, f"{engine}'s answer is not RSS")
    items = itertools.islice(root.iterfind("channel/item"), MAX_RESULTS)
    return [entry(fields) for fields in map(_children, items) if _text(fields.get("link"))]


def _children(item: Any) -> dict[str, Any]:
    """An item's child elements by lower-case local name (``News:Source`` → ``source``)."""
    found: dict[str, Any] = {}
    for child in item:
        if isinstance(child.tag, str):
            found.setdefault(_local_name(child).lower(), child)
    return found


def _local_name(element: Any) -> str:
    return str(etree.QName(element).localname)


def _text(element: Any) -> str:
    return "" if element is None else _string(element.text)


def _rss_time(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None


def parse_google_news(body: bytes, *, source_id: str, url: str) -> list[Entry]:
    return _rss_entries(body, "Google News", _google_entry, source_id=source_id, url=url)


def _google_entry(fields: dict[str, Any]) -> Entry:
    link = _text(fields.get("link"))
    source = fields.get("source")
    outlet = _text(source)
    extra = {
        "engine": "google_news",
        "outlet": outlet,
        "outlet_url": _string(source.get("url")) if source is not None else "",
        "search_link": link,
    }
    return Entry(
        guid=_text(fields.get("guid")) or None,
        link=google_publisher_url(link) or link,
        title=strip_outlet(_text(fields.get("title")), outlet),
        published=_rss_time(_text(fields.get("pubdate"))),
        extra=_present(extra),
    )


def parse_bing_news(body: bytes, *, source_id: str, url: str) -> list[Entry]:
    return _rss_entries(body, "Bing News", _bing_entry, source_id=source_id, url=url)


def _bing_entry(fields: dict[str, Any]) -> Entry:
    link = _text(fields.get("link"))
    outlet = _text(fields.get("source"))
    extra = {"engine": "bing_news", "outlet": outlet, "image": _text(fields.get("image"))}
    return Entry(
        link=bing_publisher_url(link) or link,
        title=strip_outlet(_text(fields.get("title")), outlet),
        summary=_text(fields.get("description")) or None,
        published=_rss_time(_text(fields.get("pubdate"))),
        extra=_present(extra),
    )


def _present(values: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in values.items() if value}


_PARSERS: dict[str, Callable[..., list[Entry]]] = {
    "gdelt": parse_gdelt,
    "google_news": parse_google_news,
    "bing_news": parse_bing_news,
}


# --- publisher URLs and titles ----------------------------------------------------------------


def bing_publisher_url(link: str) -> str | None:
    """The ``url=`` parameter of a Bing ``apiclick.aspx`` link, when it is an http(s) URL."""
    parts = urlsplit(link)
    if not parts.path.lower().endswith("/apiclick.aspx"):
        return None
    target = parse_qs(parts.query).get("url", [""])[0]
    return target if _is_http(target) else None


def google_publisher_url(link: str) -> str | None:
    """The publisher's URL inside a Google News article ID, for the IDs that hold it.

    ``…/rss/articles/CBMi…``: the ID is URL-safe base64 of a protobuf message whose first
    length-delimited field holding an http(s) URL is the article's address.
    """
    parts = urlsplit(link)
    if "/articles/" not in parts.path:
        return None
    token = parts.path.rstrip("/").rsplit("/", 1)[-1]
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return None
    for value in _protobuf_strings(data):
        text = value.decode("ascii", "replace")
        if _is_http(text):
            return text
    return None


def _protobuf_strings(data: bytes) -> Iterator[bytes]:
    """The length-delimited fields of a protobuf message, read leniently (stops at garbage)."""
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        wire = key & 7
        if wire == 0:
            _, position = _varint(data, position)
        elif wire == 2:
            size, position = _varint(data, position)
            yield data[position : position + size]
            position += size
        elif wire in (1, 5):
            position += 8 if wire == 1 else 4
        else:
            return


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while position < len(data) and shift < 64:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position
    return value, len(data) + 1  # cut short: ends the walk


def _is_http(text: str) -> bool:
    return bool(re.fullmatch(r"https?://[^\s/?#]+[^\s]*", text)) and text.isprintable()


_SUFFIX = re.compile(r"\s+[-–—|]\s+([^-–—|]{1,80})$")


def strip_outlet(title: str, *outlets: str) -> str:
    """``"Leike resigns - The Verge"`` → ``"Leike resigns"`` when the tail names the outlet
    (letters compared without case, spaces or punctuation; a domain label may start it)."""
    match = _SUFFIX.search(title)
    if match is None or match.start() == 0:
        return title
    tail = _letters(match[1])
    names = [_letters(outlet) for outlet in outlets]
    if any(name and (tail == name or (len(name) >= 3 and tail.startswith(name))) for name in names):
        return title[: match.start()].rstrip()
    return title


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _string(value: object) -> str:
    return value.strip()[:VALUE_MAX] if isinstance(value, str) else ""
