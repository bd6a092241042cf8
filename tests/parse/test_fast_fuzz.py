"""Structure-aware fuzzing of the fast path against feedparser, with a CPU budget per input.

Documents are drawn from a small grammar of RSS 2.0, Atom 1.0 and RSS 1.0 (RDF): the elements
each format has, in any order and number, with the attributes feedparser reads (``rel``,
``type``, ``href``, ``isPermaLink``, ``xml:lang``, ``xml:base``…) and unknown ones, namespaces
under their usual prefixes or others, text made of entities, character references, CDATA,
escaped and raw markup, URLs, dates in many formats, Arabic, C1 controls and mojibake, and the
whole encoded as UTF-8, UTF-16 or a Western code page, declared truly or not, with or without
an HTTP charset. Wherever the fast path accepts a document, its ``ParsedFeed`` must equal
feedparser's (``tests/parse/test_fast_equality.py`` does the same over fixed files); every
document must parse within 1 CPU-s per MB plus a constant where the fast path reads it, and 10
where feedparser does (its pure-Python handlers cost ~20 µs an element, twice for an
ill-formed body). ``-m slow`` runs more and larger documents (elements and attributes
repeated by the thousand). What it found is kept below as plain tests.
"""

from __future__ import annotations

import gc
import os
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, event, find, given, settings
from hypothesis import strategies as st

from watcher.errors import ParseError
from watcher.parse import parse_feed
from watcher.parse.fast import NotForFastPathError, parse_fast
from watcher.parse.feed import FeedparserFailedError, parse_prepared, prepare_xml

from .conftest import FEED_URL

MB = 1_000_000
PER_MB = 1.0  # CPU-s, where the fast path reads the document
FEEDPARSER_PER_MB = (
    10.0  # where feedparser does: linear, but ~20 µs an element, twice if ill-formed
)
CONSTANT = 0.5  # CPU-s: a generous allowance for start-up and a shared machine

ATOM = "http://www.w3.org/2005/Atom"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS10 = "http://purl.org/rss/1.0/"
XHTML = "http://www.w3.org/1999/xhtml"
MODULES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "media": "http://search.yahoo.com/mrss/",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "atom": ATOM,
    "x": "urn:example:unknown",
    "cc": "http://web.resource.org/cc/",
    "creativeCommons": "http://backend.userland.com/creativeCommonsRssModule",
}
NOT_RDF = MODULES | {"rdf": RDF}  # rdf:about may be drawn as an attribute anywhere
IN_RDF = {prefix: uri for prefix, uri in MODULES.items() if uri != ATOM}  # else refused

# --- text -------------------------------------------------------------------------------------

WORDS = [
    "Jan Leike", "resigns", "وزير الخارجية", "café", "caf\u00c3\u00a9", "\u0092quoted\u0093",
    "emoji \U0001f600", "a@b.example (Ann Example)", "Ann <ann@b.example>", "  spaced  ",
    "line\nbreak", "tab\there", "x", "",
]  # fmt: skip
ENTITIES = [
    "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#233;", "&#x263A;", "&#150;", "&#x92;",
    "&#128512;", "&amp;amp;", "&lt;b&gt;bold&lt;/b&gt;", "&lt;p&gt;para&lt;/p&gt;",
]  # fmt: skip
CDATA = ["<![CDATA[<p>c &amp; <b>d</b></p>]]>", "<![CDATA[]]>", "<![CDATA[ a ]] b ]]>"]
URLS = [
    "https://news.example/a?b=1&amp;c=2", "/relative/path", "relative", "?query", "#frag",
    "http:///triple", "javascript:alert(1)", "mailto:a@b.example", "//proto.example/x",
    "https://news.example/%E2%82%AC", "https://[broken", "tag:example.org,2024:1", "  ",
]  # fmt: skip
DATES = [
    "Wed, 01 May 2024 08:00:00 GMT", "Wed, 01 May 2024 08:00:00 +0200", "01 May 2024 08:00 EST",
    "2024-05-01T08:00:00Z", "2024-05-01T08:00:00.123+05:30", "2024-05-01", "2024-13-45T99:99:99Z",
    "Sat, 01 Jan 0000 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 +1400", "yesterday",
    "1714550400", "Mi, 01 Mai 2024 08:00:00 MESZ", "",
]  # fmt: skip


ROUGH_ENTITIES = ["&nbsp;", "&eacute;", " & ", "&undefined;"]  # ill-formed: repaired or loose


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _escape_xml(text: str) -> str:
    """Characters XML 1.0 cannot carry become replacement characters (still hostile enough)."""
    kept = "".join(
        ch if ch in "\t\n\r" or ("\x20" <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd")
        or ch >= "\U00010000" else "\ufffd"
        for ch in text
    )  # fmt: skip
    return _escape(kept)


_CLEAN_PIECES = st.one_of(
    st.sampled_from(WORDS).map(_escape),
    st.sampled_from(ENTITIES),
    st.sampled_from(CDATA),
    st.sampled_from(URLS),
    st.sampled_from(DATES),
    st.text(max_size=5).map(_escape_xml),
)
_ROUGH_PIECES = st.one_of(_CLEAN_PIECES, st.sampled_from(ROUGH_ENTITIES))
TEXTS = st.lists(_CLEAN_PIECES, max_size=3).map("".join)
ROUGH_TEXTS = st.lists(_ROUGH_PIECES, max_size=3).map("".join)


# --- attributes -------------------------------------------------------------------------------

TYPES = ["text", "html", "xhtml", "text/html", "text/plain", "application/atom+xml", "TEXT/HTML"]
RELS = ["alternate", "self", "next", "prev-archive", "enclosure", "related", "ALTERNATE", ""]
LANGUAGES = ["ar", "en-US", "en_GB", "", "fr-CA", "x-klingon", "EN"]
ATTRIBUTES = {
    "rel": RELS, "REL": RELS, "type": TYPES, "href": URLS, "url": URLS, "uri": URLS,
    "isPermaLink": ["true", "false", "True", "FALSE", ""], "ispermalink": ["false"],
    "xml:lang": LANGUAGES, "lang": LANGUAGES, "xml:base": URLS, "base": URLS,
    "length": ["0", "-1", "123456789012345678901234567890"], "term": ["t"], "label": ["l"],
    "src": URLS, "x:foo": ["bar"], "rdf:about": URLS, "rdf:resource": URLS,
    "medium": ["image"], "domain": URLS, "mode": ["escaped", "base64", "xml"],
}  # fmt: skip
ATTRIBUTE_VALUES = sorted({value for values in ATTRIBUTES.values() for value in values})
ROUGH_ATTRIBUTES = frozenset({"base", "mode"})  # a plain base leaks in feedparser; Atom 0.3
_NAMES = st.lists(
    st.sampled_from(sorted(set(ATTRIBUTES) - ROUGH_ATTRIBUTES)), max_size=3, unique=True
)
_ROUGH_NAMES = st.lists(st.sampled_from(sorted(ATTRIBUTES)), max_size=3, unique=True)
_ANY_VALUE = st.sampled_from([*ATTRIBUTE_VALUES, "application/pdf", "image/svg+xml"])


@dataclass(frozen=True)
class Limits:
    """How large and how rough a document the grammar draws."""

    children: int = 6
    items: int = 3
    attribute_repeat: int = 0
    element_repeat: int = 1
    rough: bool = False  # ill-formed entities, raw markup, refused content types

    def inner(self) -> Limits:
        """Repetition happens once, at the top (the root's attributes, the feed's own
        elements), so that a large document stays a few MB."""
        return replace(self, attribute_repeat=0, element_repeat=1)


@st.composite
def attributes(draw: st.DrawFn, limits: Limits) -> str:
    pairs = [
        f'{name}="{draw(_ANY_VALUE if limits.rough else st.sampled_from(ATTRIBUTES[name]))}"'
        for name in draw(_ROUGH_NAMES if limits.rough else _NAMES)
    ]
    if limits.attribute_repeat:
        pairs += [f'z{n}="{n}"' for n in range(draw(st.integers(0, limits.attribute_repeat)))]
    return "".join(f" {pair}" for pair in pairs)


# --- elements ---------------------------------------------------------------------------------

RSS_ITEM = [
    "title", "link", "description", "guid", "pubDate", "author", "category", "enclosure",
    "comments", "source", "content:encoded", "dc:creator", "dc:date", "dc:title",
    "dc:language", "dc:description", "dcterms:modified", "media:title", "media:description",
    "media:thumbnail", "itunes:summary", "itunes:author", "itunes:subtitle", "atom:link",
    "atom:content", "atom:summary", "x:unknown", "unknown", "language",
]  # fmt: skip
RSS_CHANNEL = [
    "title", "link", "description", "language", "pubDate", "lastBuildDate", "generator",
    "category", "dc:creator", "dc:language", "atom:link", "itunes:summary", "itunes:author",
    "x:unknown", "managingEditor", "webMaster", "ttl",
]  # fmt: skip
ATOM_ENTRY = [
    "title", "link", "id", "published", "updated", "summary", "content", "category",
    "rights", "dc:creator", "media:title", "x:unknown", "issued", "modified",
]  # fmt: skip
RDF_ITEM = [name for name in RSS_ITEM if not name.startswith("atom:")]  # Atom: refused
RDF_CHANNEL = [name for name in RSS_CHANNEL if not name.startswith("atom:")]
ATOM_FEED = ["title", "subtitle", "link", "id", "updated", "generator", "rights", "x:unknown"]
CONTAINED = {
    "media:content": ["media:title", "media:description", "media:thumbnail"],
    "media:group": ["media:title", "media:description", "media:content"],
    "author": ["name", "name", "email", "uri", "x:unknown"],
    "contributor": ["name", "email", "uri"],
    "source": ["title", "id", "link", "updated"],
    "image": ["title", "url", "link", "width"],
}
INLINE = ["p", "b", "i", "a", "br", "span", "img", "div", "x:svg"]


@st.composite
def leaf(draw: st.DrawFn, names: list[str], limits: Limits) -> str:
    name = draw(st.sampled_from(names))
    attrs = draw(attributes(limits))
    shape = draw(st.integers(0, 15))
    if shape == 0:
        return f"<{name}{attrs}/>"
    inner = draw(ROUGH_TEXTS if limits.rough else TEXTS)
    if shape == 1 and limits.rough:  # raw markup in a text element
        inner += f"<b>{draw(TEXTS)}</b>"
    return f"<{name}{attrs}>{inner}</{name}>"


@st.composite
def container(draw: st.DrawFn, limits: Limits) -> str:
    name = draw(st.sampled_from(sorted(CONTAINED)))
    inner = "".join(draw(st.lists(leaf(CONTAINED[name], limits), max_size=3)))
    if limits.rough and draw(st.booleans()):
        inner = draw(TEXTS) + inner
    return f"<{name}{draw(attributes(limits))}>{inner}</{name}>"


@st.composite
def xhtml(draw: st.DrawFn, limits: Limits, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        if depth < 3 and draw(st.booleans()):
            tag = draw(st.sampled_from(INLINE))
            inner = draw(xhtml(limits, depth + 1))
            parts.append(f"<{tag}{draw(attributes(limits))}>{inner}</{tag}>")
        else:
            parts.append(draw(TEXTS))
    return "".join(parts)


@st.composite
def xhtml_construct(draw: st.DrawFn, limits: Limits) -> str:
    name = draw(st.sampled_from(["content", "summary", "title"]))
    wrapper = draw(st.sampled_from(["div", "div", "p", ""]))
    body = draw(xhtml(limits))
    if wrapper:
        body = f'<{wrapper} xmlns="{XHTML}">{body}</{wrapper}>'
    kind = draw(st.sampled_from(["xhtml", "application/xhtml+xml"]))
    return f'<{name} type="{kind}">{body}</{name}>'


@st.composite
def children(draw: st.DrawFn, names: list[str], limits: Limits, *, atom: bool) -> str:
    inner = limits.inner()
    kinds = [leaf(names, inner), leaf(names, inner), container(inner)]
    if atom:
        kinds.append(xhtml_construct(inner))
    drawn = draw(st.lists(st.one_of(kinds), max_size=limits.children))
    repeat = draw(st.integers(1, limits.element_repeat)) if limits.element_repeat > 1 else 1
    return "".join(drawn) * repeat


# --- documents --------------------------------------------------------------------------------


@st.composite
def namespaces(draw: st.DrawFn, limits: Limits, modules: dict[str, str]) -> str:
    """The modules' declarations, some under another prefix or in capitals; a rough document
    may leave one out (then an element with that prefix makes the body ill-formed)."""
    declared = []
    for prefix, uri in modules.items():
        choice = draw(st.integers(0, 11))
        if choice == 0 and limits.rough:
            continue
        if choice == 1:
            declared.append(f' xmlns:{prefix}2="{uri}"')
        declared.append(f' xmlns:{prefix}="{uri.upper() if choice == 2 else uri}"')
    return "".join(declared)


@st.composite
def entries(draw: st.DrawFn, tag: str, names: list[str], limits: Limits, *, atom: bool) -> str:
    count = draw(st.integers(0, limits.items))
    return "".join(
        f"<{tag}{draw(attributes(limits))}>{draw(children(names, limits, atom=atom))}</{tag}>"
        for _ in range(count)
    )


@st.composite
def rss_document(draw: st.DrawFn, limits: Limits) -> str:
    version = draw(st.sampled_from(["2.0", "2.0", "0.91", "0.92", ""]))
    root = (f' version="{version}"' if version else "") + draw(namespaces(limits, NOT_RDF))
    before = draw(children(RSS_CHANNEL, limits, atom=False))
    items = draw(entries("item", RSS_ITEM, limits.inner(), atom=False))
    after = draw(children(RSS_CHANNEL, limits.inner(), atom=False)) if draw(st.booleans()) else ""
    return f"<rss{root}{draw(attributes(limits))}><channel>{before}{items}{after}</channel></rss>"


@st.composite
def atom_document(draw: st.DrawFn, limits: Limits) -> str:
    root = draw(namespaces(limits, NOT_RDF)) + draw(attributes(limits))
    head = draw(children(ATOM_FEED, limits, atom=True))
    body = draw(entries("entry", ATOM_ENTRY, limits.inner(), atom=True))
    return f'<feed xmlns="{ATOM}"{root}>{head}{body}</feed>'


@st.composite
def rdf_document(draw: st.DrawFn, limits: Limits) -> str:
    channel = draw(children(RDF_CHANNEL, limits, atom=False))
    items = "".join(
        f'<item rdf:about="{draw(st.sampled_from(URLS))}">'
        f"{draw(children(RDF_ITEM, limits.inner(), atom=False))}</item>"
        for _ in range(draw(st.integers(0, limits.items)))
    )
    return (
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns="{RSS10}"{draw(namespaces(limits, IN_RDF))}>'
        f'<channel rdf:about="c">{channel}</channel>{items}</rdf:RDF>'
    )


# Encodings: what the bytes are, what the declaration says, what the HTTP charset says.
ENCODINGS = ["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-be", "windows-1252", "iso-8859-1"]
DECLARED = ["utf-8", "UTF-8", "iso-8859-1", "windows-1252", "utf-16", "us-ascii", "koi8-r", None]
CHARSETS = [None, None, "utf-8", "iso-8859-1", "windows-1256"]


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str | None


@st.composite
def documents(draw: st.DrawFn, limits: Limits = Limits()) -> Document:
    limits = replace(limits, rough=draw(st.integers(0, 3)) == 0)
    kind = draw(st.sampled_from([rss_document, atom_document, rdf_document]))
    text = draw(kind(limits))
    encoding = draw(st.sampled_from(ENCODINGS)) if limits.rough else "utf-8"
    declared = (
        draw(st.sampled_from(DECLARED)) if limits.rough else draw(st.sampled_from(["utf-8", None]))
    )
    if declared is not None:
        text = f'<?xml version="1.0" encoding="{declared}"?>\n{text}'
    charset = draw(st.sampled_from(CHARSETS)) if limits.rough else None
    content_type = f"application/rss+xml; charset={charset}" if charset else None
    return Document(text.encode(encoding, "xmlcharrefreplace"), content_type)


# --- the properties ---------------------------------------------------------------------------


def _parse_cpu_seconds(document: Document) -> float:
    """CPU time of ``parse_feed`` on the document, what the test process holds frozen out of
    the garbage collector's way (a collection of hypothesis's own heap is not the parse's)."""
    gc.collect()
    gc.freeze()
    started = time.process_time()
    try:
        parse_feed(
            document.body, source_id="fuzz", url=FEED_URL, content_type=document.content_type
        )
    except ParseError as error:
        assert error.reason.startswith("not a feed:"), error.reason
    finally:
        seconds = time.process_time() - started
        gc.unfreeze()
    return seconds


def _check(document: Document) -> None:
    seconds = _parse_cpu_seconds(document)
    prepared = prepare_xml(document.body, document.content_type)
    try:
        fast = parse_fast(prepared, url=FEED_URL)
    except NotForFastPathError:
        event("refused by the fast path")
        budget = FEEDPARSER_PER_MB * len(document.body) / MB + CONSTANT
        assert seconds <= budget, f"{seconds:.2f} CPU-s for {len(document.body)} bytes"
        return
    event("accepted by the fast path")
    budget = PER_MB * len(document.body) / MB + CONSTANT
    assert seconds <= budget, f"{seconds:.2f} CPU-s for {len(document.body)} bytes"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # feedparser's updated→published
            slow = parse_prepared(prepared, url=FEED_URL)
    except FeedparserFailedError:
        event("accepted by the fast path, feedparser itself failed")
        return
    assert fast == slow


QUICK = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
# The slow runs' size: 100 documents and 10 large ones (about a minute); a deep hunt sets
# WATCHER_FUZZ_EXAMPLES=1500 (the size that found the cases kept below).
MANY = int(os.environ.get("WATCHER_FUZZ_EXAMPLES", "100"))
LARGE = Limits(children=12, items=8, attribute_repeat=20_000, element_repeat=1000)  # ≤ ~2 MB


@QUICK
@given(documents())
def test_fast_path_equals_feedparser_within_budget(document: Document) -> None:
    _check(document)


@pytest.mark.slow
@settings(max_examples=MANY, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents())
def test_fast_path_equals_feedparser_within_budget_many(document: Document) -> None:
    _check(document)


@pytest.mark.slow
@settings(max_examples=MANY // 10, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents(LARGE))
def test_large_documents_parse_within_budget(document: Document) -> None:
    _check(document)


@pytest.mark.parametrize("kind", [rss_document, atom_document, rdf_document])
def test_the_grammar_reaches_the_fast_path(kind: Any) -> None:
    """The grammar is not degenerate: it yields documents with entries that the fast path
    accepts, for each format (else the equality above would prove nothing)."""

    def accepted_with_entries(text: str) -> bool:
        try:
            parsed = parse_fast(prepare_xml(text.encode()), url=FEED_URL)
        except NotForFastPathError:
            return False
        return any(entry.title or entry.link for entry in parsed.entries)

    find(kind(Limits()), accepted_with_entries, settings=settings(max_examples=300))


# --- what the fuzzing found ---------------------------------------------------------------------

FEEDPARSER_CRASH = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><image><link><b></b></link></image>'
    b"<item><title>x</title><author><name/></author></item></channel></rss>"
)


def test_a_body_feedparser_raises_on_is_a_parse_error_not_a_crash() -> None:
    """feedparser raises KeyError('links') on a ``<link>`` with markup inside ``<image>``."""
    with pytest.raises(ParseError, match=r"feedparser failed on it \(KeyError: 'links'\)"):
        parse_feed(FEEDPARSER_CRASH, source_id="fuzz", url=FEED_URL)
