"""The fast path: lxml reads the common, well-formed feed; feedparser reads everything else.

feedparser spends most of a cold poll's parse time in its pure-Python SAX handlers. Here lxml
(C, hardened: no entities, no network, no DTD, libxml2's size limits) builds the tree and a
small walk fills the same feedparser-shaped dictionaries that ``feed.to_parsed_feed`` maps to a
``ParsedFeed``, so both paths share decoding (``feed.prepare_xml``) and the link, author,
language and date choices. The walk reproduces feedparser's rules for the elements it reads,
named as feedparser names them (``title``, ``dc_creator``, ``media_title``…):

- text is stripped, then feedparser's Latin-1-read-as-UTF-8 repair and windows-1252 mapping of
  C1 controls are applied (``_finish``); an Atom ``xhtml`` construct is serialised the way
  feedparser serialises it (lower-cased tags, ``<br></br>``, one wrapping ``<div>`` removed);
- ``guid``/``id``, links and ``xml:base`` go through feedparser's own ``_urljoin`` and
  ``make_safe_absolute_uri``; dates through its ``_parse_date``; a plain-text author with an
  e-mail address through its ``_sync_author_detail``; ``updated`` falls back to ``published``;
- its state machine is followed where it shows: a second summary in an entry without content
  becomes content (``hasContent``, which a feed-level summary pair also sets); a title is kept
  only while none was found at its depth or above (``title_depth``, reset by ``<image>``,
  ``<textInput>``, ``<source>``), so ``media:title`` fills in only for an untitled entry;
  ``xml:lang`` is inherited, and an ``rdf:RDF`` root does not set the feed's language.

Anything else raises ``NotForFastPathError`` and feedparser reads the body: a repaired, capped
or mis-encoded body (any ``PreparedXml.notes``), a DOCTYPE, a ``base`` attribute in a document
without ``xml:base`` (feedparser lets it leak into later elements), a root other than RSS
0.9x/2.0 with one channel, RSS 1.0 or Atom 1.0, an element in an unknown default namespace, a
prefix feedparser would remap onto another module's handlers, markup inside an RSS text
element or a non-XHTML construct, a content type other than text/HTML/XHTML or a base64 mode,
SVG, MathML, XLink or namespaced attributes inside XHTML, an Atom person without exactly one
non-empty ``<name>``, CDF attributes, and every element feedparser has a handler for that this
walk does not reproduce (``<image>`` in an item, GML, Podlove chapters…). The proof, kept in
the suite: tests/parse/test_fast_equality.py (the shared corpus, the fixtures and generated
feeds) and tests/parse/test_fast.py (feedparser's quirks, case by case).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from contextlib import suppress
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from watcher.model import ParsedFeed
from watcher.parse.feed import PreparedXml, feedparser_headers, to_parsed_feed
from watcher.parse.feedparser_rules import (
    ATOM,
    BASE_ASSIGNMENT,
    CONTENT_TYPES,
    DECLARATION,
    END_HANDLED,
    ENTRY_INERT,
    ENTRY_ROLES,
    FEED_INERT,
    FEED_ROLES,
    FEED_SUMMARIES,
    HANDLED,
    KEYMAP,
    LINK_ENTITY,
    MEDIA,
    MEDIA_CONTAINERS,
    NAMESPACES,
    RDF,
    READ_KEYS,
    RSS090,
    RSS10,
    SOURCE_CHILDREN,
    STANDARD_PREFIXES,
    TITLED,
    XHTML,
    XLINK,
    XML_BASE,
    XML_LANG,
)


class NotForFastPathError(Exception):
    """The body is outside what the fast path reproduces exactly; feedparser must read it."""


_local = threading.local()


def parse_fast(prepared: PreparedXml, *, url: str) -> ParsedFeed:
    """The ``ParsedFeed`` feedparser would give for ``prepared``; else ``NotForFastPathError``."""
    if prepared.notes or not prepared.well_formed:
        raise NotForFastPathError("repaired, capped or mis-encoded body")
    data = prepared.data
    base = _document_base(data, url)
    _check_declarations(data)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise NotForFastPathError(f"lxml refused it: {error}") from None
    if root.getroottree().docinfo.doctype:
        raise NotForFastPathError("a DOCTYPE (entities, or a DTD feedparser reads for the version)")
    walk = _Walk(base)
    walk.document(root)
    return to_parsed_feed(walk.feed, walk.entries, url=url, notes=[])


def _parser() -> etree.XMLParser:
    """One hardened parser per thread (an lxml parser is not thread-safe)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            remove_comments=True,
            remove_pis=True,
            encoding="utf-8",
        )
    return parser


def _document_base(data: bytes, url: str) -> str:
    """feedparser's base URL: the feed URL when the body uses ``xml:base`` (what
    ``feedparser_headers`` tells it), else none. Without a base, feedparser lets a ``base``
    attribute leak into the elements after its own: refused."""
    location = feedparser_headers(data, url).get("content-location")
    if location is None:
        lowered = data.lower()
        for match in BASE_ASSIGNMENT.finditer(lowered):
            if lowered[match.start() - 1 : match.start()] in (b" ", b"\t", b"\n", b"\r", b":"):
                raise NotForFastPathError("a base attribute without xml:base")
        return ""
    base = make_safe_absolute_uri("", location) or make_safe_absolute_uri(location)
    if not base:
        raise NotForFastPathError("xml:base with no usable feed URL")
    return base


def _check_declarations(data: bytes) -> None:
    """Refuse a prefix bound twice, one unknown URI under two prefixes, and a prefix that
    feedparser would map onto another module's handlers: ``xmlns:cc`` bound to the userland
    Creative Commons module makes feedparser read ``cc`` as ``creativeCommons``, which matters
    when the document also uses the namespace whose own prefix is ``cc``."""
    bound: dict[bytes | None, bytes] = {}
    prefixes: dict[bytes, bytes | None] = {}
    remapped: set[str] = set()
    used: set[str] = set()
    for match in DECLARATION.finditer(data):
        prefix, uri = match[1], match[3]
        if prefix is not None and bound.setdefault(prefix, uri) != uri:
            raise NotForFastPathError("one namespace prefix bound to two URIs")
        standard = NAMESPACES.get(_namespace_key(uri.decode("utf-8", "replace")))
        if standard is None:
            if prefix is not None and prefixes.setdefault(uri, prefix) != prefix:
                raise NotForFastPathError("one unknown namespace under two prefixes")
            continue
        used.add(standard)
        name = prefix.decode("ascii").lower() if prefix is not None else standard
        if name != standard and name in STANDARD_PREFIXES:
            remapped.add(name)
    if remapped & used:
        raise NotForFastPathError(f"namespace prefixes {sorted(remapped & used)} mapped elsewhere")


def _namespace_key(uri: str) -> str:
    lowered = uri.lower()
    return "http://backend.userland.com/rss" if "backend.userland.com/rss" in lowered else lowered


_NAMES: dict[str, str | None] = {}  # tag → feedparser's name; None: it depends on the prefix


def _name(element: Any) -> str:
    """feedparser's name for an element: ``title``, ``dc_creator``, ``media_content``…"""
    tag = element.tag
    name = _NAMES.get(tag) if isinstance(tag, str) else None
    if name is not None:
        return name
    if not isinstance(tag, str):
        raise NotForFastPathError("an entity reference or other non-element node")
    if tag[0] != "{":
        name = tag.lower()
    else:
        namespace, local = tag[1:].split("}", 1)
        prefix = NAMESPACES.get(_namespace_key(namespace))
        if prefix is None:
            _NAMES.setdefault(tag, None)
            if element.prefix is None:
                raise NotForFastPathError("an element in an unknown default namespace")
            return f"{element.prefix}_{local}".lower()
        name = f"{prefix}_{local}".lower() if prefix else local.lower()
    if len(_NAMES) < 10_000:
        _NAMES[tag] = name
    return name


_FEW_ATTRIBUTES = 32


def _items(element: Any) -> Iterable[tuple[str, str]]:
    """``element.items()`` in time linear in the number of attributes. lxml looks each value
    up by name, so its ``items()`` (and ``values()``, ``attrib``) is quadratic: one element
    with 100,000 attributes took tens of CPU-s. XPath's ``@*`` reads the values in one pass,
    in the order of ``keys()``; it costs more for the usual handful of attributes."""
    if len(element.attrib) <= _FEW_ATTRIBUTES:
        return element.items()
    keys, values = element.keys(), element.xpath("@*", smart_strings=False)
    if len(keys) != len(values):
        raise NotForFastPathError("attributes that lxml lists two ways")
    return zip(keys, values, strict=True)


def _attributes(element: Any) -> dict[str, str]:
    """Attributes as feedparser's handlers see them: local names lower-cased, ``rel`` and
    ``type`` values lower-cased; two attributes with one local name are refused."""
    found: dict[str, str] = {}
    for key, value in _items(element):
        local = key.rsplit("}", 1)[-1].lower()
        if local in found:
            raise NotForFastPathError("two attributes with one local name")
        found[local] = value.lower() if local in ("rel", "type") else value
    return found


def _inherited(element: Any, xml_name: str, local: str, parent: str | None) -> str | None:
    """``attrs_d.get('xml:NAME', attrs_d.get('NAME'))``: the ``xml:`` attribute, else any
    attribute of that local name; None when there is neither."""
    found = element.get(xml_name)
    if found is None and len(element.attrib):
        last = None
        for key in element.keys():  # noqa: SIM118 (an element iterates its children)
            if key.rsplit("}", 1)[-1].lower() == local:
                last = key
        found = None if last is None else element.get(last)
    return parent if found is None else found


_RDF_ABOUT = f"{{{RDF}}}about"


def _rdf_about(element: Any) -> str | None:
    """``rdf:about``, its namespace URI and name in any case (feedparser lower-cases both)."""
    if not len(element.attrib):
        return None
    for key in element.keys():  # noqa: SIM118 (an element iterates its children)
        if key.lower() == _RDF_ABOUT:
            return str(element.get(key))
    return None


def _language(element: Any, parent: str | None) -> str | None:
    """The element's ``xml:lang`` (or any ``lang`` attribute), else its parent's; '' → None."""
    return _inherited(element, XML_LANG, "lang", parent) or None


_C1 = re.compile("[" + "".join(re.escape(chr(code)) for code in _cp1252) + "]")


def _finish(text: str) -> str:
    """feedparser's last steps for a stored value: strip, un-double UTF-8, map C1 to cp1252."""
    text = text.strip()
    if text.isascii():
        return text
    with suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_cp1252) if _C1.search(text) else text


_parse_date_cached = lru_cache(maxsize=1024)(_parse_date)  # Atom repeats published as updated
_looks_like_html = _FeedParserMixin.looks_like_html


def _text(element: Any) -> str:
    """The element's text; an element inside it is refused (feedparser turns it into XHTML)."""
    if len(element):
        raise NotForFastPathError(f"markup inside <{element.tag}>")
    return element.text or ""


def _inert(element: Any, allowed: frozenset[str] | None) -> None:
    """Refuse when feedparser would act on something inside ``element`` that the walk skips."""
    for child in element.iterchildren():
        name = _name(child)
        if allowed is not None and name in allowed:
            _inert(child, FEED_INERT.get(name))
        elif name in HANDLED or _stored_as(name) in READ_KEYS:
            raise NotForFastPathError(f"<{child.tag}> inside <{element.tag}>")
        else:
            _inert(child, None)


def _no_cdf(element: Any) -> None:
    """feedparser reads CDF's ``href`` and ``lastmod`` attributes on channels and items."""
    attributes = _attributes(element) if len(element.attrib) else {}
    if "href" in attributes or "lastmod" in attributes:
        raise NotForFastPathError(f"<{element.tag}> with CDF attributes")


def _stored_as(name: str) -> str:
    key = KEYMAP.get(name, name)
    return key[0] if isinstance(key, list) else key


def _generic(name: str, element: Any) -> None:
    """An element feedparser has no handler for is stored under its name: harmless unless the
    name is one of the keys read, or feedparser handles something inside it."""
    if name in HANDLED or _stored_as(name) in READ_KEYS:
        raise NotForFastPathError(f"<{element.tag}> is read by feedparser in a way not reproduced")
    _inert(element, None)


class _EntryState:
    """One entry being filled, with what feedparser remembers while it reads it."""

    __slots__ = ("data", "depths", "has_content")

    def __init__(self, has_content: bool) -> None:
        self.data: dict[str, Any] = {}
        self.depths: dict[str, int] = {}  # feedparser's property_depth_map
        self.has_content = has_content


class _Walk:
    """One document, walked in order, filling feedparser-shaped ``feed`` and ``entries``."""

    def __init__(self, base: str) -> None:
        self.feed: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.version = ""
        self.title_depth = -1
        self.has_content = False  # feedparser's hasContent: set by a content, reset per entry
        self.feed_summary = False  # 'summary' in feedparser's feed dictionary
        self.base = base
        self._bases: dict[tuple[str, str], str] = {}

    def _base(self, element: Any, parent: str) -> str:
        """feedparser's ``baseuri`` inside ``element``; only a document with xml:base has one."""
        if not parent:
            return parent
        declared = _inherited(element, XML_BASE, "base", None) or parent
        key = (parent, declared)
        found = self._bases.get(key)
        if found is None:
            found = self._bases[key] = make_safe_absolute_uri(parent, declared) or parent
        return found

    # --- document and feed level ---------------------------------------------------------------

    def document(self, root: Any) -> None:
        name = _name(root)
        language = _language(root, None)
        base = self._base(root, self.base)
        namespaces = set(root.nsmap.values())
        lowered = {uri.lower() for uri in namespaces}  # feedparser matches URIs in any case
        if name == "rss":
            self.version = "rss"
            self._root_language(language)
            channels = list(root.iterchildren())
            if not channels:
                return
            if [_name(child) for child in channels] != ["channel"]:
                raise NotForFastPathError("an RSS root whose only child is not one <channel>")
            channel = channels[0]
            _no_cdf(channel)
            self._container(channel, 2, _language(channel, language), self._base(channel, base))
        elif name == "feed" and root.tag == f"{{{ATOM}}}feed":
            if {RSS10, RSS090} & lowered:
                raise NotForFastPathError("an Atom root declaring an RSS 1.0/0.9 namespace")
            self.version = "atom10"
            self._root_language(language)
            self._container(root, 1, language, base)
        elif name == "rdf_rdf" and RSS10 in namespaces:
            if {ATOM, RSS090} & lowered:
                raise NotForFastPathError("an RDF root declaring the Atom or RSS 0.90 namespace")
            self.version = "rss10"
            self._container(root, 1, language, base)
        else:
            raise NotForFastPathError(f"root <{root.tag}> is not RSS 0.9x/2.0, RSS 1.0 or Atom 1.0")

    def _root_language(self, language: str | None) -> None:
        if language:
            self.feed["language"] = language.replace("_", "-")

    def _container(self, element: Any, depth: int, language: str | None, base: str) -> None:
        """The children of ``<channel>``, of an Atom ``<feed>`` or of an ``<rdf:RDF>``."""
        rdf = element.tag == f"{{{RDF}}}RDF"
        channels = 0
        for child in element.iterchildren():
            name = _name(child)
            if rdf and name == "channel":
                channels += 1
                if channels > 1:
                    raise NotForFastPathError("two RSS 1.0 channels")
                _no_cdf(child)
                self._container(
                    child, depth + 1, _language(child, language), self._base(child, base)
                )
                continue
            role, default_type = FEED_ROLES.get(name, (None, None))
            if rdf and role not in ("entry", None):
                raise NotForFastPathError(f"<{child.tag}> outside the RSS 1.0 channel")
            if role == "entry":
                self.entries.append(
                    self._entry(
                        child, depth + 1, _language(child, language), self._base(child, base)
                    )
                )
            elif role == "title":
                self._feed_title(child, depth + 1, default_type, _language(child, language), name)
            elif role == "link":
                self._link(child, self.feed, self._base(child, base), in_entry=False)
            elif role == "id":
                self._id(child, self.feed, self._base(child, base))
            elif role == "language":
                self.feed["language"] = _finish(_text(child))
            elif name in FEED_SUMMARIES:
                self._feed_summary(child, name)
            elif name in FEED_INERT:
                self._inert_feed_child(child, name, depth + 1)
            else:
                _generic(name, child)

    def _feed_title(
        self, child: Any, depth: int, default_type: str | None, language: str | None, name: str
    ) -> None:
        value, _, _ = self._construct(child, default_type, language)
        if not -1 < self.title_depth <= depth:
            self.feed["title"] = value
        if value and name != "media_title":  # feedparser restores the depth after media:title
            self.title_depth = depth

    def _feed_summary(self, child: Any, name: str) -> None:
        """A feed-level summary after another one is feedparser's content: the entries that
        follow see ``hasContent`` set (a second summary then replaces the first)."""
        _inert(child, None)
        if self.feed_summary and not self.has_content:
            self.has_content = True
        elif name == "itunes_summary":
            self.feed_summary = True

    def _inert_feed_child(self, child: Any, name: str, depth: int) -> None:
        _inert(child, FEED_INERT[name])
        if name in TITLED:
            self.title_depth = -1
            for title in child.iterchildren():
                if _name(title) == "title" and _text(title).strip():
                    self.title_depth = depth + 1

    # --- entries ---------------------------------------------------------------------------

    def _entry(self, element: Any, depth: int, language: str | None, base: str) -> dict[str, Any]:
        _no_cdf(element)
        state = _EntryState(self.has_content)
        entry = state.data
        self.title_depth = -1
        if about := _rdf_about(element):
            entry["id"] = about
        for child in element.iterchildren():
            name = _name(child)
            role, default_type = ENTRY_ROLES.get(name, (None, None))
            if role == "title":
                media = name == "media_title"
                language_here = _language(child, language)
                self._entry_title(state, child, depth + 1, default_type, language_here, media=media)
            elif role == "summary":
                self._summary(state, child, depth + 1, default_type, _language(child, language))
            elif role == "content":
                self._content(state, child, default_type, _language(child, language))
            elif role == "link":
                self._link(child, entry, self._base(child, base), in_entry=True)
            elif role == "id":
                self._id(child, entry, self._base(child, base))
            elif role in ("published", "updated"):
                entry[role] = text = _finish(_text(child))
                entry[f"{role}_parsed"] = _parse_date_cached(text)
            elif role == "author":
                _add_author(entry, child)
            elif role == "language":
                entry["language"] = _finish(_text(child))
            elif name in MEDIA_CONTAINERS:
                self._media(state, child, depth + 1, _language(child, language))
            elif name == "source":
                self._source(child, depth + 1)
            elif name in ENTRY_INERT:
                _inert(child, ENTRY_INERT[name])
            else:
                _generic(name, child)
        self.has_content = False
        if "updated_parsed" not in entry and "published_parsed" in entry:
            entry["updated_parsed"] = entry["published_parsed"]  # FeedParserDict's fallback
            entry["updated"] = entry["published"]
        return entry

    def _entry_title(
        self,
        state: _EntryState,
        child: Any,
        depth: int,
        default_type: str | None,
        language: str | None,
        *,
        media: bool = False,
    ) -> None:
        """A title is kept unless one was found at this depth or above; media:title (nested in
        media:content) fills in only for an entry without a title of its own."""
        value, detail, _ = self._construct(child, default_type, language)
        if not -1 < self.title_depth <= depth:
            old = state.depths.get("title")
            if old is None or depth <= old:
                state.depths["title"] = depth
                state.data["title"] = value
            state.data["title_detail"] = detail
        if value and not media:
            self.title_depth = depth

    def _summary(
        self,
        state: _EntryState,
        child: Any,
        depth: int,
        default_type: str | None,
        language: str | None,
    ) -> None:
        """A second summary in an entry without content is feedparser's content."""
        if "summary" in state.data and not state.has_content:
            self._content(state, child, "text/plain", language)
            return
        value, detail, _ = self._construct(child, default_type, language)
        old = state.depths.get("summary")
        if old is None or depth <= old:
            state.depths["summary"] = depth
            state.data["summary"] = value
        state.data["summary_detail"] = detail

    def _content(
        self, state: _EntryState, child: Any, default_type: str | None, language: str | None
    ) -> None:
        """One more content; the first one also stands as summary when there is none."""
        state.has_content = True
        value, detail, raw = self._construct(child, default_type, language)
        content_type = detail["type"]
        if not self.version.startswith("atom") and content_type == "text/plain":
            content_type = "text/html" if _looks_like_html(raw) else content_type
        state.data.setdefault("content", []).append({"type": content_type, "value": value})
        state.data.setdefault("summary", value)

    def _media(self, state: _EntryState, element: Any, depth: int, language: str | None) -> None:
        """media:group and media:content: their title and description count for the entry."""
        for child in element.iterchildren():
            name = _name(child)
            if name == "media_title":
                self._entry_title(
                    state, child, depth + 1, "text/plain", _language(child, language), media=True
                )
            elif name == "media_description":
                self._summary(state, child, depth + 1, "text/html", _language(child, language))
            elif name in MEDIA_CONTAINERS:
                self._media(state, child, depth + 1, _language(child, language))
            elif name in MEDIA:
                _inert(child, MEDIA)
            else:
                _generic(name, child)

    def _source(self, element: Any, depth: int) -> None:
        """``<source>`` fills feedparser's separate source dictionary; only its titles matter,
        through the title depth they leave behind."""
        self.title_depth = -1
        for child in element.iterchildren():
            name = _name(child)
            if name not in SOURCE_CHILDREN:
                raise NotForFastPathError(f"<{child.tag}> inside <source>")
            _inert(child, FEED_INERT.get(name))
            if name == "title" and self._construct(child, "text/plain", None)[0]:
                self.title_depth = depth + 1

    def _construct(
        self, element: Any, default_type: str | None, language: str | None
    ) -> tuple[str, dict[str, Any], str]:
        """A text construct's value, its ``_detail`` and its text before ``_finish``, as
        feedparser's ``push_content`` and ``pop`` make them."""
        attributes = _attributes(element) if len(element.attrib) else {}
        if "mode" in attributes:
            raise NotForFastPathError("an Atom 0.3 content mode")
        content_type = CONTENT_TYPES.get(attributes.get("type", default_type or ""))
        if content_type is None:
            raise NotForFastPathError(f"content type {attributes.get('type')!r}")
        if content_type == XHTML:
            if len(element) and self.version != "atom10":
                raise NotForFastPathError("inline XHTML outside Atom 1.0")
            raw = "".join(_unwrap_div(_xhtml_pieces(element, []))).strip()
        else:
            raw = _text(element).strip()
        language = language.replace("_", "-") if language else language
        return _finish(raw), {"type": content_type, "language": language}, raw

    def _link(self, element: Any, context: dict[str, Any], base: str, *, in_entry: bool) -> None:
        """``_start_link``/``pop('link')``: an Atom link by its ``href``, an RSS one by its text."""
        attributes = _attributes(element)
        attributes.setdefault("rel", "alternate")
        attributes.setdefault(
            "type", "application/atom+xml" if attributes["rel"] == "self" else "text/html"
        )
        href = attributes.get("url", attributes.get("uri", attributes.get("href")))
        if href:
            attributes.pop("url", None)
            attributes.pop("uri", None)
            attributes["href"] = href
        link = {key: attributes[key] for key in ("rel", "type", "href") if key in attributes}
        context.setdefault("links", []).append(link)
        if "href" in attributes:
            link["href"] = _resolve(base, attributes["href"])
            content_type = attributes["type"]
            html = CONTENT_TYPES.get(content_type, content_type) in _HTML_TYPES
            if attributes["rel"] == "alternate" and html:
                context["link"] = link["href"]
            return
        output = _text(element).strip()
        output = _finish(_resolve(base, output) if output else output)
        if in_entry:
            if "&" in output:
                output = LINK_ENTITY.sub(r"&\g<1>", output.replace("&amp;", "&"))
            context["link"] = output
            if output:
                link["href"] = output
        else:
            context["link"] = link["href"] = LINK_ENTITY.sub(r"&\g<1>", output)

    def _id(self, element: Any, context: dict[str, Any], base: str) -> None:
        """``_start_guid``/``_end_guid``: a permalink GUID (or any Atom id) also stands as link."""
        is_link = _attributes(element).get("ispermalink", "true") == "true"
        value = _text(element).strip()
        if value and is_link:
            value = _resolve(base, value)
        value = _finish(value)
        context["id"] = value
        context.setdefault("guidislink", is_link and "link" not in context)
        if is_link:
            context.setdefault("link", value)


_HTML_TYPES = frozenset({"text/html", XHTML})
_PERSON_PARTS = frozenset({"name", "email", "uri"})


def _resolve(base: str, uri: str) -> str:
    """feedparser's ``resolve_uri``; without a base it only collapses ``scheme:///x``."""
    return uri if not base and ":///" not in uri else _urljoin(base, uri)


def _add_author(entry: dict[str, Any], element: Any) -> None:
    """``_start_author``/``_end_author``: a plain-text author is split into name and e-mail by
    feedparser's own code; an Atom person is its ``<name>``."""
    authors = entry.setdefault("authors", [])
    if not len(element):
        entry["author"] = text = _finish(_text(element))
        if "@" in text:  # feedparser's own e-mail/name split
            authors.append({})
            _FeedParserMixin._sync_author_detail(_Context(entry))
        else:
            authors.append({"name": text} if text else {})
        return
    if "author" in entry:  # feedparser then writes this name into the earlier author too
        raise NotForFastPathError("an Atom person after a plain-text author")
    children = [(_name(child), child) for child in element.iterchildren()]
    names = [child for name, child in children if name == "name"]
    if (element.text or "").strip() or any(
        (name in _PERSON_PARTS and len(child)) or (child.tail or "").strip()
        for name, child in children
    ):
        raise NotForFastPathError("an Atom person with text or markup around its parts")
    for name, child in children:
        if name not in _PERSON_PARTS:
            _generic(name, child)  # Blogger's gd:image: kept by feedparser under its own name
    if len(names) != 1 or not (names[0].text or "").strip():
        raise NotForFastPathError("an Atom person without exactly one non-empty <name>")
    authors.append({"name": names[0].text.strip()})


class _Context:
    """The one method ``_sync_author_detail`` calls on feedparser's parser."""

    __slots__ = ("context",)

    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context

    def _get_context(self) -> dict[str, Any]:
        return self.context


def _xhtml_pieces(element: Any, pieces: list[str]) -> list[str]:
    """What feedparser's ``handle_data`` collects inside an XHTML construct: escaped text and
    start/end tags with lower-cased names and attributes, appended to ``pieces`` (nested
    generators would pass every piece up through each level: depth times the cost)."""
    if element.text:
        pieces.append(escape(element.text))
    for child in element.iterchildren():
        name = _name(child)
        local = child.tag.rsplit("}", 1)[-1].lower()
        if name in END_HANDLED or local in ("svg", "math"):
            raise NotForFastPathError(f"<{child.tag}> inside XHTML")
        if any(key.startswith("{") for key in child.attrib) or XLINK in child.nsmap.values():
            raise NotForFastPathError("a namespaced attribute or XLink inside XHTML")
        attributes = "".join(
            f' {key}="{escape(value, {chr(34): "&quot;"})}"'
            for key, value in _attributes(child).items()
        )
        pieces.append(f"<{local}{attributes}>")
        _xhtml_pieces(child, pieces)
        pieces.append(f"</{local}>")
        if child.tail:
            pieces.append(escape(child.tail))
    return pieces


def _unwrap_div(pieces: list[str]) -> list[str]:
    """feedparser's ``pop`` for Atom XHTML: drop one ``<div>`` that wraps everything else."""
    while len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    if (
        pieces
        and (pieces[0] == "<div>" or pieces[0].startswith("<div "))
        and pieces[-1] == "</div>"
    ):
        depth = 0
        for piece in pieces[:-1]:
            if piece.startswith("</"):
                depth -= 1
                if depth == 0:
                    return pieces
            elif piece.startswith("<"):
                depth += 1
        return pieces[1:-1]
    return pieces
