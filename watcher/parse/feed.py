"""RSS 0.9x/1.0/2.0 and Atom through feedparser, made safe and predictable.

Four things happen before feedparser sees a body:

1. **Decoding is ours** (``decode_xml``): BOM, then UTF-16/32 sniffed from ``<?xm``, then UTF-8
   when the bytes are valid UTF-8 (whatever the declaration says: a valid multi-byte UTF-8 body
   is almost never anything else), then the HTTP charset, then the XML declaration, then chardet.
   A body declared Latin-1/windows-1252 (or UTF-8) that chardet, blind to the declaration,
   reads as another code page (windows-1256 Arabic saved by a CMS that lies) is decoded as what
   chardet says. feedparser then gets UTF-8 with ``charset=utf-8`` and never second-guesses it
   (its RFC 3023 rules would read ``text/xml`` without a charset as US-ASCII).
2. **At most ``MAX_ENTRIES`` entries are parsed** (``cap_entries``): the document is cut after
   the 2,000th ``</item>``/``</entry>`` and closed again, so a 100,000-entry body costs the same
   as a 2,000-entry one. Feeds list newest first; an older tail is of no use to a monitor.
3. **Ill-formed bodies are repaired or bounded** (``repair_ill_formed``), because feedparser's
   fallback parser for them is pure Python and a hundred times slower than expat. What
   feedparser reads is also bounded in tags (``bound_tags``): it spends 7-14 µs on each, so a
   body denser in tags than any real feed is cut, and one expat already refused goes straight
   to the loose parser instead of being read twice.
4. feedparser runs with HTML sanitising and relative-URI rewriting off (normalise strips the
   HTML to text; the digest sanitises ``summary_html`` with nh3), and with a base URL only
   when the document uses ``xml:base`` (``feedparser_headers``). Measured on the shared corpus
   and on 20-entry feeds, this makes feedparser a third to a half cheaper than its defaults.

``prepare_xml`` does steps 1-3 once; the dispatcher (``watcher.parse``) hands the result to the
lxml fast path (``fast``) first and to ``parse_prepared`` (feedparser) when the fast path
refuses. Both fill feedparser-shaped dictionaries that ``to_parsed_feed`` maps to a
``ParsedFeed``, so link, author, language and date choices are made in one place.

Hostile XML: feedparser keeps only ``<!ENTITY`` declarations whose value is plain text or one
character reference, so nested-entity bombs and ``SYSTEM`` entities (XXE) are dropped before
expat sees them, and expat (≥ 2.4) has its own amplification limit and does not load external
entities. The tests in tests/parse/test_hostile.py keep both facts checked.
"""

from __future__ import annotations

import codecs
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from html.entities import name2codepoint
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.parsers import expat

import chardet
import feedparser

from watcher.model import Entry, ParsedFeed
from watcher.parse import sax
from watcher.parse.dates import date_text, feed_date

MAX_ENTRIES = 2000
LOOSE_MAX = 1_000_000
# Tags feedparser is given: any body's first 10,000, and 40 a kB beyond (the shared corpus's
# feeds over 20 kB have at most 39 a kB; a hostile one, 285). At 7-14 µs a tag, under 1 CPU-s a MB.
FEEDPARSER_TAGS = 10_000
FEEDPARSER_TAGS_PER_KB = 40
_CHARDET_SAMPLE = 64 * 1024
CONFIDENT = 0.3  # chardet's confidence that needs no other evidence

_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_DECL_ENCODING = re.compile(rb"""\A(\s*<\?xml[^>]*?)\sencoding\s*=\s*["'][^"']*["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_DECLARATION = re.compile(rb"<\?xml[^>]*?>")
_UTF8_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>"
_FIRST_ELEMENT = re.compile(rb"<\w")  # where feedparser's DOCTYPE rewriting stops looking
_WORD = re.compile(r"[^\W\d_]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_ENTITY_OR_AMPERSAND = re.compile(rb"&(?:(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)?")

# Code pages that decode any byte sequence, so a wrong declaration never fails loudly.
_WESTERN = {"iso8859-1", "iso8859-15", "cp1252", "ascii"}
# Where the zero bytes sit in the first four bytes of BOM-less UTF-16/32 ASCII text such as
# "<?xm" or "<rss" (XML 1.0 appendix F): True marks a zero byte.
_WIDE_SNIFF = {
    (True, True, True, False): "utf-32-be",
    (False, True, True, True): "utf-32-le",
    (True, False, True, False): "utf-16-be",
    (False, True, False, True): "utf-16-le",
}
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF16_LE, "utf-16"),
)


@dataclass(frozen=True, slots=True)
class PreparedXml:
    """A body made ready for a parser: UTF-8, capped, repaired; ``notes`` say what was wrong.

    ``well_formed`` is expat's verdict on ``data`` before any repair; both parsers (feedparser
    here, the lxml fast path in ``fast``) start from the same ``PreparedXml``.
    """

    data: bytes
    notes: list[str]
    well_formed: bool


def prepare_xml(body: bytes, content_type: str | None = None) -> PreparedXml:
    """Steps 1-3 of the module docstring: decode, cap the entries, repair or bound."""
    text, notes = decode_xml(body, content_type)
    data, capped = cap_entries(text.encode("utf-8"))
    if capped:
        notes.append(f"only the first {MAX_ENTRIES} entries were read")
    data = data.lstrip()  # expat refuses blank lines before <?xml
    if _well_formed(data):
        return PreparedXml(data, notes, well_formed=True)
    data, repairs = repair_ill_formed(data)
    return PreparedXml(data, notes + repairs, well_formed=False)


class FeedparserFailedError(Exception):
    """feedparser itself raised on a body (``<image><link><b/></link></image>`` makes its
    handlers look for a ``links`` list that is not there: KeyError)."""


def parse_prepared(prepared: PreparedXml, *, url: str) -> ParsedFeed | None:
    """feedparser's reading of a prepared body; None when it found no feed in it at all."""
    data, bound = bound_tags(_declared_utf8(prepared.data))
    notes = prepared.notes + bound
    sax.use()  # attribute lookups in linear time
    try:
        with sax.refusing(_strict_parse_error(data)):
            result = feedparser.parse(
                data,
                response_headers=feedparser_headers(data, url),
                sanitize_html=False,
                resolve_relative_uris=False,
            )
    except Exception as error:  # a bug of feedparser's on hostile input, not ours to crash on
        raise FeedparserFailedError(f"{error.__class__.__name__}: {error}") from error
    if not (result.get("version") or result.get("entries")):
        return None
    if result.get("bozo") and not bound:  # a cut body is ill-formed by the cut
        notes.insert(0, f"ill-formed feed: {_describe(result.get('bozo_exception'))}")
    return to_parsed_feed(result.get("feed", {}), result.get("entries", []), url=url, notes=notes)


def to_parsed_feed(feed: Any, entries: list[Any], *, url: str, notes: list[str]) -> ParsedFeed:
    """feedparser-shaped dictionaries (``FeedParserDict``) → ``ParsedFeed``; the fast path
    builds the same dictionaries, so link, author and date choices are made here once."""
    links = feed.get("links", [])
    return ParsedFeed(
        entries=[_entry(e) for e in entries],
        title=feed.get("title") or None,
        link=absolute(url, _alternate_link(links) or feed.get("link")),
        language=_language(feed.get("language")),
        warning="; ".join(notes) or None,
        next_page=_next_page(links, url),
    )


def feedparser_headers(data: bytes, url: str) -> dict[str, str]:
    """What feedparser is told: UTF-8, and the feed URL as base only where ``xml:base`` needs it.

    Given a base, feedparser resolves it for every element (a quarter of its time on small
    feeds); without one, a relative link stays relative and normalise resolves it. But
    feedparser restores an outer base only when it is non-empty, so an item's ``xml:base``
    would leak into the next item: a document using ``xml:base`` gets the base.
    """
    headers = {"content-type": "application/xml; charset=utf-8"}
    if b"xml:base" in data:
        headers["content-location"] = url
    return headers


# --- decoding ---------------------------------------------------------------------------------


def decode_xml(body: bytes, content_type: str | None = None) -> tuple[str, list[str]]:
    """The body as text, and what was wrong with its encoding (if anything)."""
    if codec := unicode_codec(body):
        return body.decode(codec, "replace"), []
    with suppress(UnicodeDecodeError):
        return body.decode("utf-8"), []
    declared = _declared_encoding(body, content_type)
    if declared and declared not in _WESTERN and declared != "utf-8":
        with suppress(UnicodeDecodeError):
            return body.decode(declared), []
    if declared in (None, "utf-8") and _mostly_utf8(body):
        return body.decode("utf-8", "replace"), ["invalid UTF-8 bytes were replaced"]
    codec = _code_page(body, declared if declared in _WESTERN else "cp1252")
    if declared and declared != codec:
        return body.decode(codec, "replace"), [f"declared {declared} but decoded as {codec}"]
    return body.decode(codec, "replace"), []


def _code_page(body: bytes, western: str) -> str:
    """The single- or multi-byte code page of a body that is not UTF-8.

    ``western`` (the declared Latin-1/windows-1252, else windows-1252) decodes any bytes, so it
    never fails loudly. chardet, shown the body without its declaration, overrules it when it
    is confident, or when the Western reading is mojibake: most words made only of accented
    letters (``ÇáÚÑÈíÉ``), which real Western text never is (measured on the corpus).
    """
    guessed, confidence = _guess_encoding(body)
    if guessed is None or guessed in _WESTERN:
        return western if guessed is None or confidence < CONFIDENT else guessed
    sample = body[:_CHARDET_SAMPLE].decode(western, "replace")
    return guessed if confidence >= CONFIDENT or _mojibake(sample) else western


def _mojibake(text: str) -> bool:
    """More than a fifth of the non-ASCII words are three or more letters, none of them ASCII."""
    words = [word for word in _WORD.findall(text) if not word.isascii()]
    foreign = sum(1 for word in words if len(word) >= 3 and not any(ch.isascii() for ch in word))
    return foreign * 5 > len(words) > 0


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 with a few broken bytes (a truncated or spliced body), not another code page."""
    text = body.decode("utf-8", "replace")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return text.count("\ufffd") * 4 < non_ascii


def unicode_codec(body: bytes) -> str | None:
    """The UTF-8/16/32 codec announced by a BOM or by the shape of ``<?xm``, if any."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    if len(body) < 4:
        return None
    zeros = (body[0] == 0, body[1] == 0, body[2] == 0, body[3] == 0)
    return _WIDE_SNIFF.get(zeros)


def _declared_encoding(body: bytes, content_type: str | None) -> str | None:
    """The HTTP charset, else the XML declaration's, as a Python codec name."""
    candidates = []
    if content_type and (charset := _CHARSET.search(content_type)):
        candidates.append(charset[1])
    if declaration := _XML_ENCODING.match(body[:512]):
        candidates.append(declaration[1].decode("ascii"))
    for name in candidates:
        if codec := _codec(name):
            return codec
    return None


def _guess_encoding(body: bytes) -> tuple[str | None, float]:
    """chardet's codec and confidence for the body with the XML declaration's encoding removed.

    chardet 7 trusts an ``encoding=`` attribute it finds, which is exactly what we must not
    trust here, so it is taken out of the sample first.
    """
    sample = _XML_DECL_ENCODING.sub(rb"\1", body[:_CHARDET_SAMPLE], count=1)
    found = chardet.detect(sample)
    encoding = found.get("encoding")
    codec = _codec(encoding) if encoding else None
    return codec, float(found.get("confidence") or 0.0)


def _codec(name: str) -> str | None:
    """A Python codec name for an IANA/WHATWG label, gb2312 widened to gb18030."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if codec == "gb2312" else codec


# --- bounding the work ------------------------------------------------------------------------


def cap_entries(data: bytes, limit: int = MAX_ENTRIES) -> tuple[bytes, bool]:
    """Cut the document after its ``limit``-th entry and close the root again."""
    cut = None
    for count, match in enumerate(_ENTRY_END.finditer(data), start=1):
        if count > limit:
            return _close(data, cut or match.start()), True
        cut = match.end()
    return data, False


def repair_ill_formed(data: bytes) -> tuple[bytes, list[str]]:
    """Keep an ill-formed body (one expat refused) off feedparser's slow path, or bound its cost.

    feedparser parses a well-formed body with expat (C) and anything else with its pure-Python
    loose parser, about a hundred times slower: a 10 MB ill-formed body takes minutes. So an
    ill-formed body first has the usual faults fixed: a bare ``&``, an HTML entity such as
    ``&nbsp;`` that XML does not define (left alone when the document declares entities of its
    own). If it is still ill-formed, only its first ``LOOSE_MAX`` bytes are read.
    """
    if b"<!ENTITY" not in data:
        repaired = _ENTITY_OR_AMPERSAND.sub(_entity_reference, data)
        if _well_formed(repaired):
            return repaired, ["ill-formed feed: bare '&' or undefined HTML entities, repaired"]
    if len(data) <= LOOSE_MAX:
        return data, []
    ends = [m.end() for m in _ENTRY_END.finditer(data, 0, LOOSE_MAX)]
    note = f"only the first {LOOSE_MAX // 1_000_000} MB of an ill-formed feed were read"
    return _close(data, ends[-1] if ends else LOOSE_MAX), [note]


def _well_formed(data: bytes) -> bool:
    return _expat_error(data) is None


def _expat_error(data: bytes) -> expat.ExpatError | None:
    """expat's objection, namespaces checked as feedparser's strict parser checks them (the body
    is UTF-8 by now, whatever its declaration says)."""
    parser = expat.ParserCreate("utf-8", " ")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        return error
    return None


def _declared_utf8(data: bytes) -> bytes:
    """``data`` with feedparser's own first change made: its XML declaration replaced by one
    for UTF-8, or one added on a line of its own (so expat's line numbers are feedparser's)."""
    if _DECLARATION.match(data):
        return _DECLARATION.sub(_UTF8_DECLARATION, data, count=1)
    return _UTF8_DECLARATION + b"\n" + data


def _strict_parse_error(data: bytes) -> expat.ExpatError | None:
    """Why feedparser's strict parser will refuse ``data``, when that is known beforehand.

    feedparser rewrites a DOCTYPE and its entities before its strict parse, so only a body
    without one is sure to fail there as it fails here.
    """
    first_element = _FIRST_ELEMENT.search(data)
    head = data[: first_element.start() if first_element else len(data)]
    return None if b"<!" in head else _expat_error(data)


def bound_tags(data: bytes) -> tuple[bytes, list[str]]:
    """``data`` cut to the tags feedparser is given (``FEEDPARSER_TAGS``), at the last entry
    end before the limit when there is one, and closed again."""
    budget = FEEDPARSER_TAGS + FEEDPARSER_TAGS_PER_KB * len(data) // 1000
    if data.count(b"<") <= budget:
        return data, []
    position = -1
    for _ in range(budget):
        position = data.find(b"<", position + 1)
    ends = [m.end() for m in _ENTRY_END.finditer(data, 0, position)]
    note = f"only the first {budget:,} tags of a feed denser in tags than any real one were read"
    return _close(data, ends[-1] if ends else position), [note]


def _entity_reference(match: re.Match[bytes]) -> bytes:
    """``&`` → ``&amp;``; ``&nbsp;`` → ``&#160;``; XML's own and character references kept."""
    name = match[1]
    if name is None:
        return b"&amp;"
    if name.startswith(b"#") or name in (b"amp", b"lt", b"gt", b"quot", b"apos"):
        return match[0]
    codepoint = name2codepoint.get(name.decode("ascii"))
    return b"&#%d;" % codepoint if codepoint else b"&amp;" + match[0][1:]


def _close(data: bytes, cut: int) -> bytes:
    """``data[:cut]`` with the root element (and an RSS channel) closed again."""
    root = _root_name(data)
    closing = b"</channel>" if root.lower() == b"rss" else b""
    return data[:cut] + closing + b"</" + root + b">"


def _root_name(data: bytes) -> bytes:
    position = 0
    while match := _ROOT.search(data, position):
        if data[match.start() + 1 : match.start() + 2] not in (b"?", b"!"):
            return match[1]
        position = match.end()
    return b"rss"


# --- mapping feedparser's dictionaries to Entry -------------------------------------------------


def _entry(raw: Any) -> Entry:
    links = raw.get("links", [])
    published, updated, date_text = _dates(raw)
    return Entry(
        guid=(raw.get("id") or "").strip() or None,
        link=usable_link(_alternate_link(links) or _permalink(raw)),
        title=raw.get("title") or None,
        summary=raw.get("summary") or None,
        content=_content(raw.get("content") or []),
        author=_author(raw),
        published=published,
        updated=updated,
        language=_language(_entry_language(raw)),
        date_text=date_text,
    )


def _alternate_link(links: list[Any]) -> str | None:
    """The article itself: ``rel="alternate"``, HTML first; never replies, self, edit, enclosure."""
    alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
    alternates.sort(key=lambda link: "html" not in (link.get("type") or "text/html"))
    return next((link["href"] for link in alternates if link.get("href")), None)


def _permalink(raw: Any) -> str | None:
    """RSS ``<guid isPermaLink="true">`` with no ``<link>``: feedparser flags it guidislink.

    feedparser also flags an Atom ``<id>`` that way when an entry has no alternate link; a
    ``tag:`` or ``urn:`` id is no article, a relative path is one (normalise resolves it)."""
    guid = raw.get("id") or ""
    if not raw.get("guidislink") or not guid:
        return None
    scheme = _SCHEME.match(guid)
    return guid if scheme is None or scheme[1].lower() in ("http", "https") else None


def _content(contents: list[Any]) -> str | None:
    """The richest ``content`` (Atom allows several; HTML beats plain text)."""
    ranked = sorted(
        (c for c in contents if c.get("value")),
        key=lambda c: ("html" not in (c.get("type") or ""), -len(c["value"])),
    )
    return ranked[0]["value"] if ranked else None


def _author(raw: Any) -> str | None:
    """Every author's name, without e-mail addresses; feedparser's own ``author`` keeps only
    the last ``dc:creator`` and glues the e-mail to the name."""
    names = [a.get("name", "").strip() for a in raw.get("authors") or [] if hasattr(a, "get")]
    return ", ".join(dict.fromkeys(name for name in names if name)) or raw.get("author") or None


def _entry_language(raw: Any) -> str | None:
    for key in ("title_detail", "summary_detail"):
        if language := (raw.get(key) or {}).get("language"):
            return str(language)
    return raw.get("language")


def _language(value: Any) -> str | None:
    """``en-US`` → ``en``; anything that is not a language tag → None."""
    if not isinstance(value, str):
        return None
    match = re.match(r"\s*([A-Za-z]{2,3})(?:[-_]|\s*$)", value)
    return match[1].lower() if match else None


def _dates(raw: Any) -> tuple[datetime | None, datetime | None, str | None]:
    """(published, updated, ``Entry.date_text``), each date read by ``feed_date`` from its
    text and feedparser's reading of it."""
    texts = (_string(raw.get("published")), _string(raw.get("updated")))
    published = feed_date(texts[0], raw.get("published_parsed"))
    updated = feed_date(texts[1], raw.get("updated_parsed"))
    return published, updated, date_text(published, updated, texts)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _next_page(links: list[Any], url: str) -> str | None:
    """RFC 5005: ``next`` for paged feeds, else ``prev-archive`` for archived ones."""
    for rel in ("next", "prev-archive"):
        for link in links:
            if link.get("rel") == rel and link.get("href"):
                return absolute(url, link["href"])
    return None


def usable_link(link: str | None) -> str | None:
    """A link urllib can split (``http://[broken`` raises in every later stage), else None."""
    if not link:
        return None
    try:
        urlsplit(link)
    except ValueError:
        return None
    return link


def absolute(url: str, link: str | None) -> str | None:
    """``link`` resolved against the feed URL; None when it is missing or unparseable."""
    try:
        return urljoin(url, link) if link else None
    except ValueError:  # "http://[broken" is an invalid IPv6 host to urllib
        return None


def _describe(error: Any) -> str:
    message = str(getattr(error, "getMessage", lambda: error)()) if error else "unknown error"
    line = getattr(error, "getLineNumber", lambda: None)()
    return f"{message} (line {line})" if line else message
