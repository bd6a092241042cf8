"""The fast path: lxml reads the common, well-formed feed; feedparser reads everything else.

feedparser spends most of a cold poll's parse time in its pure-Python SAX handlers. Here lxml
(C) builds the tree and a small walk fills the same feedparser-shaped dictionaries that
``feed.to_parsed_feed`` maps to a ``ParsedFeed``, so both paths share decoding
(``feed.prepare_xml``), link, author and date choices. The walk reproduces feedparser's rules
for the elements it reads (named after feedparser's handlers: ``title``, ``dc_creator``…):

- text is stripped, then feedparser's Latin-1-read-as-UTF-8 repair and windows-1252 mapping of
  C1 controls are applied (``_finish``); an Atom ``xhtml`` construct is serialised the way
  feedparser serialises it (lower-cased tags, ``<br></br>``, one wrapping ``<div>`` removed);
- ``guid``/``id`` and RSS ``<link>`` text go through feedparser's own ``_urljoin``; dates
  through its own ``_parse_date``; a plain-text author through its own e-mail/name split;
- ``xml:lang`` is inherited the way feedparser inherits it (an ``rdf:RDF`` root does not set the
  feed's language); a feed title after an entry title of the same depth is dropped, as there.

Anything else raises ``NotForFastPathError`` and feedparser reads the body: repaired, capped or
mis-encoded bodies (any ``PreparedXml.notes``), a DOCTYPE, ``xml:base`` or any ``base``
attribute, an unknown root, Atom 0.3, an element in an undeclared-prefix default namespace, a
namespace prefix feedparser would map elsewhere, two titles/summaries/contents/ids/languages
in one entry, markup inside an RSS text element, an Atom construct that is not text/html/xhtml
(base64 or ``src``), ``<source>``, ``<media:title>``, and any element feedparser has a handler
for that this walk does not reproduce. tests/parse/test_fast_equality.py proves on the shared
corpus and the fixtures that wherever this path accepts a body, its ``ParsedFeed`` equals
feedparser's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import suppress
from typing import Any
from xml.sax.saxutils import escape

from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin
from feedparser.util import FeedParserDict
from lxml import etree

from watcher.model import ParsedFeed
from watcher.parse.feed import PreparedXml, to_parsed_feed


class NotForFastPathError(Exception):
    """The body is outside what the fast path reproduces exactly; feedparser must read it."""


# --- feedparser's tables, read from feedparser itself -----------------------------------------

_NAMESPACES: dict[str, str] = {
    uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()
}
_STANDARD_PREFIXES = frozenset(_NAMESPACES.values()) - {""}
_START_HANDLED = frozenset(n[7:].lower() for n in dir(StrictFeedParser) if n.startswith("_start_"))
_END_HANDLED = frozenset(n[5:].lower() for n in dir(StrictFeedParser) if n.startswith("_end_"))
_HANDLED = _START_HANDLED | _END_HANDLED
_KEYMAP = FeedParserDict.keymap
_CONTENT_TYPES = {
    "text": "text/plain",
    "plain": "text/plain",
    "text/plain": "text/plain",
    "html": "text/html",
    "text/html": "text/html",
    "xhtml": "application/xhtml+xml",
    "application/xhtml+xml": "application/xhtml+xml",
}
XHTML = "application/xhtml+xml"
ATOM = "http://www.w3.org/2005/Atom"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS10 = "http://purl.org/rss/1.0/"
RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Keys of feedparser's dictionaries that ``to_parsed_feed`` reads: an element stored under one
# of them by feedparser's generic handler would change the result.
_READ_KEYS = frozenset(
    {
        "id", "guidislink", "links", "link", "title", "title_detail", "summary",
        "summary_detail", "content", "authors", "author", "author_detail", "published_parsed",
        "updated_parsed", "language",
    }
)  # fmt: skip

# What an element means, by feedparser's name for it; (role, default content type).
_ENTRY_ROLES: dict[str, tuple[str, str | None]] = {
    "title": ("title", "text/plain"),
    "dc_title": ("title", "text/plain"),
    "description": ("summary", "text/html"),
    "dc_description": ("summary", "text/html"),
    "summary": ("summary", "text/plain"),
    "itunes_summary": ("summary", "text/plain"),
    "content_encoded": ("content", "text/html"),
    "content": ("content", "text/plain"),
    "link": ("link", None),
    "guid": ("id", None),
    "id": ("id", None),
    "pubdate": ("published", None),
    "published": ("published", None),
    "issued": ("published", None),
    "dcterms_issued": ("published", None),
    "updated": ("updated", None),
    "modified": ("updated", None),
    "dc_date": ("updated", None),
    "dcterms_modified": ("updated", None),
    "lastbuilddate": ("updated", None),
    "author": ("author", None),
    "dc_creator": ("author", None),
    "dc_author": ("author", None),
    "itunes_author": ("author", None),
    "language": ("language", None),
    "dc_language": ("language", None),
}
_FEED_ROLES: dict[str, tuple[str, str | None]] = {
    "title": ("title", "text/plain"),
    "dc_title": ("title", "text/plain"),
    "link": ("link", None),
    "id": ("id", None),
    "language": ("language", None),
    "dc_language": ("language", None),
    "item": ("entry", None),
    "entry": ("entry", None),
}
_PERSON = frozenset({"name", "email", "uri", "url", "homepage"})
_MEDIA = frozenset(
    {
        "media_content", "media_thumbnail", "media_credit", "media_rating", "media_category",
        "media_keywords", "media_license", "media_restriction",
    }
)  # fmt: skip
# Handled elements whose handlers only touch keys ``to_parsed_feed`` never reads, with the
# children they may have (None: no element children that feedparser handles).
_ENTRY_INERT: dict[str, frozenset[str] | None] = {
    "category": None,
    "dc_subject": None,
    "keywords": None,
    "enclosure": None,
    "dcterms_created": None,
    "created": None,
    "expirationdate": None,
    "rights": None,
    "copyright": None,
    "dc_rights": None,
    "dc_publisher": None,
    "webmaster": None,
    "itunes_category": frozenset({"itunes_category"}),
    "itunes_image": None,
    "itunes_block": None,
    "itunes_explicit": None,
    "itunes_keywords": None,
    "itunes_subtitle": None,
    "contributor": _PERSON,
    "media_group": _MEDIA,
} | dict.fromkeys(_MEDIA, _MEDIA)
_FEED_INERT: dict[str, frozenset[str] | None] = _ENTRY_INERT | {
    "description": None,
    "dc_description": None,
    "subtitle": None,
    "tagline": None,
    "itunes_summary": None,
    "generator": None,
    "updated": None,
    "modified": None,
    "lastbuilddate": None,
    "pubdate": None,
    "published": None,
    "dc_date": None,
    "cloud": None,
    "managingeditor": _PERSON,
    "author": _PERSON,
    "dc_creator": None,
    "itunes_author": None,
    "itunes_owner": frozenset({"itunes_name", "itunes_email"}),
    "image": frozenset({"title", "link", "url", "width", "height", "description"}),
    "textinput": frozenset({"title", "link", "description", "name"}),
    "admin_generatoragent": None,
    "admin_errorreportsto": None,
    "feedburner_browserfriendly": None,
    "creativecommons_license": None,
    "cc_license": None,
}
_TITLED = frozenset({"image", "textinput"})  # their titles move feedparser's title depth

_DECLARATION = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*(["'])(.*?)\2""")
_BASE_ATTRIBUTE = re.compile(rb"[\s:]base\s*=", re.IGNORECASE)
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")

_local = threading.local()


def parse_fast(prepared: PreparedXml, *, url: str) -> ParsedFeed:
    """The ``ParsedFeed`` feedparser would give for ``prepared``; else ``NotForFastPathError``."""
    if prepared.notes or not prepared.well_formed:
        raise NotForFastPathError("repaired, capped or mis-encoded body")
    data = prepared.data
    _check_document(data)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise NotForFastPathError(f"lxml refused it: {error}") from None
    if root.getroottree().docinfo.doctype:
        raise NotForFastPathError("a DOCTYPE (entities, or a DTD feedparser reads for the version)")
    walk = _Walk()
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


def _check_document(data: bytes) -> None:
    """Refuse what changes feedparser's state for the whole document: DOCTYPE, bases, prefixes."""
    if _BASE_ATTRIBUTE.search(data):
        raise NotForFastPathError("xml:base or a base attribute")
    bound: dict[bytes, bytes] = {}
    for match in _DECLARATION.finditer(data):
        prefix, uri = match[1], match[3]
        if bound.setdefault(prefix, uri) != uri:
            raise NotForFastPathError("one namespace prefix bound to two URIs")
        standard = _NAMESPACES.get(_namespace_key(uri.decode("utf-8", "replace")))
        name = prefix.decode("ascii").lower()
        if name != standard and (name in _STANDARD_PREFIXES or standard == "xlink"):
            raise NotForFastPathError(f"namespace prefix {name!r} that feedparser maps elsewhere")


def _namespace_key(uri: str) -> str:
    lowered = uri.lower()
    return "http://backend.userland.com/rss" if "backend.userland.com/rss" in lowered else lowered


def _name(element: Any) -> str:
    """feedparser's name for an element: ``title``, ``dc_creator``, ``media_content``…"""
    tag = element.tag
    if not isinstance(tag, str):
        raise NotForFastPathError("an entity reference or other non-element node")
    if tag[0] != "{":
        return tag.lower()
    namespace, local = tag[1:].split("}", 1)
    prefix = _NAMESPACES.get(_namespace_key(namespace))
    if prefix is None:
        prefix = element.prefix
        if prefix is None:
            raise NotForFastPathError("an element in an unknown default namespace")
    return f"{prefix}_{local}".lower() if prefix else local.lower()


def _attributes(element: Any) -> dict[str, str]:
    """Attributes as feedparser's handlers see them: local names lower-cased, ``rel`` and
    ``type`` values lower-cased; two attributes with one local name are refused."""
    found: dict[str, str] = {}
    for key, value in element.attrib.items():
        local = key.rsplit("}", 1)[-1].lower()
        if local in found:
            raise NotForFastPathError("two attributes with one local name")
        found[local] = value.lower() if local in ("rel", "type") else value
    return found


def _language(element: Any, inherited: str | None) -> str | None:
    """The element's ``xml:lang`` (or any ``lang`` attribute), else its parent's; '' → None."""
    declared = element.get(XML_LANG)
    if declared is None:
        for key, value in element.attrib.items():
            if key.rsplit("}", 1)[-1].lower() == "lang":
                declared = value
    if declared is None:
        return inherited
    return declared or None


def _finish(text: str) -> str:
    """feedparser's last steps for a stored value: strip, un-double UTF-8, map C1 to cp1252."""
    text = text.strip()
    with suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_cp1252)


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
            _inert(child, _FEED_INERT.get(name))
        elif name in _HANDLED or _stored_as(name) in _READ_KEYS:
            raise NotForFastPathError(f"<{child.tag}> inside <{element.tag}>")
        else:
            _inert(child, None)


def _no_cdf(element: Any) -> None:
    """feedparser reads CDF's ``href`` and ``lastmod`` attributes on channels and items."""
    attributes = _attributes(element)
    if "href" in attributes or "lastmod" in attributes:
        raise NotForFastPathError(f"<{element.tag}> with CDF attributes")


def _stored_as(name: str) -> str:
    key = _KEYMAP.get(name, name)
    return key[0] if isinstance(key, list) else key


def _generic(name: str, element: Any) -> None:
    """An element feedparser has no handler for is stored under its name: harmless unless the
    name is one of the keys read, or feedparser handles something inside it."""
    if name in _HANDLED or _stored_as(name) in _READ_KEYS:
        raise NotForFastPathError(f"<{element.tag}> is read by feedparser in a way not reproduced")
    _inert(element, None)


class _Walk:
    """One document, walked in order, filling feedparser-shaped ``feed`` and ``entries``."""

    def __init__(self) -> None:
        self.feed = FeedParserDict()
        self.entries: list[FeedParserDict] = []
        self.version = ""
        self.title_depth = -1

    # --- document and feed level ---------------------------------------------------------------

    def document(self, root: Any) -> None:
        name = _name(root)
        language = _language(root, None)
        if name == "rss":
            self.version = "rss"
            self._root_language(language)
            channels = list(root.iterchildren())
            if [_name(child) for child in channels] != ["channel"]:
                raise NotForFastPathError("an RSS root whose only child is not one <channel>")
            _no_cdf(channels[0])
            self._container(channels[0], 2, _language(channels[0], language))
        elif name == "feed" and root.tag == f"{{{ATOM}}}feed":
            if {RSS10, RSS090} & set(root.nsmap.values()):
                raise NotForFastPathError("an Atom root declaring an RSS 1.0/0.9 namespace")
            self.version = "atom10"
            self._root_language(language)
            self._container(root, 1, language)
        elif name == "rdf_rdf" and RSS10 in root.nsmap.values():
            if {ATOM, RSS090} & set(root.nsmap.values()):
                raise NotForFastPathError("an RDF root declaring the Atom or RSS 0.90 namespace")
            self.version = "rss10"
            self._container(root, 1, language)
        else:
            raise NotForFastPathError(f"root <{root.tag}> is not RSS 0.9x/2.0, RSS 1.0 or Atom 1.0")

    def _root_language(self, language: str | None) -> None:
        if language:
            self.feed["language"] = language.replace("_", "-")

    def _container(self, element: Any, depth: int, language: str | None) -> None:
        """The children of ``<channel>``, of an Atom ``<feed>`` or of an ``<rdf:RDF>``."""
        seen: set[str] = set()
        rdf = element.tag == f"{{{RDF}}}RDF"
        for child in element.iterchildren():
            name = _name(child)
            if rdf and name == "channel" and "channel" not in seen:
                seen.add("channel")
                _no_cdf(child)
                self._container(child, depth + 1, _language(child, language))
                continue
            role, default_type = _FEED_ROLES.get(name, (None, None))
            if rdf and role not in ("entry", None):
                raise NotForFastPathError(f"<{child.tag}> outside the RSS 1.0 channel")
            child_language = _language(child, language)
            if role in ("title", "language", "id"):
                if role in seen:
                    raise NotForFastPathError(f"two feed-level {role} elements")
                seen.add(role)
            if role == "entry":
                self.entries.append(self._entry(child, depth + 1, child_language))
            elif role == "title":
                self._feed_title(child, depth + 1, default_type, child_language)
            elif role == "link":
                self._link(child, self.feed, in_entry=False)
            elif role == "id":
                self._id(child, self.feed)
            elif role == "language":
                self.feed["language"] = _finish(_text(child))
            elif name in _FEED_INERT:
                self._inert_feed_child(child, name, depth + 1)
            else:
                _generic(name, child)

    def _feed_title(self, child: Any, depth: int, default_type: str | None, language: str | None):
        value, _ = self._construct(child, default_type, language)
        if not -1 < self.title_depth <= depth:
            self.feed["title"] = value
        if value:
            self.title_depth = depth

    def _inert_feed_child(self, child: Any, name: str, depth: int) -> None:
        _inert(child, _FEED_INERT[name])
        if name in _TITLED:
            self.title_depth = -1
            for title in child.iterchildren():
                if _name(title) == "title" and _text(title).strip():
                    self.title_depth = depth + 1

    # --- entries ---------------------------------------------------------------------------

    def _entry(self, element: Any, depth: int, language: str | None) -> FeedParserDict:
        _no_cdf(element)
        entry = FeedParserDict()
        self.title_depth = -1
        if about := element.get(f"{{{RDF}}}about"):
            entry["id"] = about
        seen: set[str] = set()
        authors = _Authors(entry)
        for child in element.iterchildren():
            name = _name(child)
            role, default_type = _ENTRY_ROLES.get(name, (None, None))
            if role in ("title", "summary", "content", "id", "language"):
                if role in seen:
                    raise NotForFastPathError(f"two {role} elements in one entry")
                seen.add(role)
            child_language = _language(child, language)
            if role == "title":
                value, detail = self._construct(child, default_type, child_language)
                entry["title"], entry["title_detail"] = value, detail
                if value:
                    self.title_depth = depth + 1
            elif role == "summary":
                value, detail = self._construct(child, default_type, child_language)
                entry["summary"], entry["summary_detail"] = value, detail
            elif role == "content":
                if child.get("src") is not None:
                    raise NotForFastPathError("out-of-line Atom content")
                value, detail = self._construct(child, default_type, child_language)
                entry["content"] = [FeedParserDict(type=detail["type"], value=value)]
                entry.setdefault("summary", value)
            elif role == "link":
                self._link(child, entry, in_entry=True)
            elif role == "id":
                self._id(child, entry)
            elif role in ("published", "updated"):
                entry[f"{role}_parsed"] = _parse_date(_finish(_text(child)))
            elif role == "author":
                authors.add(child)
            elif role == "language":
                entry["language"] = _finish(_text(child))
            elif name in _ENTRY_INERT:
                _inert(child, _ENTRY_INERT[name])
            else:
                _generic(name, child)
        return entry

    def _construct(
        self, element: Any, default_type: str | None, language: str | None
    ) -> tuple[str, FeedParserDict]:
        """A text construct's value and its ``_detail`` as feedparser's ``push_content`` and
        ``pop`` make them."""
        attributes = _attributes(element)
        if "mode" in attributes:
            raise NotForFastPathError("an Atom 0.3 content mode")
        content_type = _CONTENT_TYPES.get(attributes.get("type", default_type or ""))
        if content_type is None:
            raise NotForFastPathError(f"content type {attributes.get('type')!r}")
        if content_type == XHTML:
            if len(element) and self.version != "atom10":
                raise NotForFastPathError("inline XHTML outside Atom 1.0")
            value = _finish("".join(_unwrap_div(list(_xhtml_pieces(element)))))
        else:
            value = _finish(_text(element))
        detail = FeedParserDict(type=content_type, language=_detail_language(language))
        return value, detail

    def _link(self, element: Any, context: FeedParserDict, *, in_entry: bool) -> None:
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
        links = context.setdefault("links", [])
        link = FeedParserDict(
            {key: attributes[key] for key in ("rel", "type", "href") if key in attributes}
        )
        links.append(link)
        if "href" in attributes:
            link["href"] = _urljoin("", attributes["href"])
            content_type = attributes["type"]
            if (
                attributes["rel"] == "alternate"
                and _CONTENT_TYPES.get(content_type, content_type) in _HTML_TYPES
            ):
                context["link"] = link["href"]
            return
        output = _text(element).strip()
        output = _finish(_urljoin("", output) if output else output)
        if in_entry:
            output = _LINK_ENTITY.sub(r"&\g<1>", output.replace("&amp;", "&"))
            context["link"] = output
            if output:
                link["href"] = output
        else:
            context["link"] = link["href"] = _LINK_ENTITY.sub(r"&\g<1>", output)

    def _id(self, element: Any, context: FeedParserDict) -> None:
        """``_start_guid``/``_end_guid``: a permalink GUID (or any Atom id) also stands as link."""
        is_link = _attributes(element).get("ispermalink", "true") == "true"
        value = _text(element).strip()
        if value and is_link:
            value = _urljoin("", value)
        value = _finish(value)
        context["id"] = value
        context.setdefault("guidislink", is_link and "link" not in context)
        if is_link:
            context.setdefault("link", value)


_HTML_TYPES = frozenset({"text/html", XHTML})


def _detail_language(language: str | None) -> str | None:
    return language.replace("_", "-") if language else language


class _Authors:
    """``_start_author``/``_end_author``: plain-text authors split by feedparser's own code,
    Atom persons by their ``<name>``."""

    def __init__(self, entry: FeedParserDict) -> None:
        self.entry = entry

    def add(self, element: Any) -> None:
        authors = self.entry.setdefault("authors", [])
        if not len(element):
            text = _finish(_text(element))
            if not text:
                raise NotForFastPathError("an empty author")
            authors.append(FeedParserDict())
            self.entry["author"] = text
            _FeedParserMixin._sync_author_detail(_Context(self.entry))
            return
        children = [(_name(child), child) for child in element.iterchildren()]
        names = [child for name, child in children if name == "name"]
        if (element.text or "").strip() or any(
            name not in ("name", "email", "uri") or len(child) or (child.tail or "").strip()
            for name, child in children
        ):
            raise NotForFastPathError("an Atom person with more than name, email and uri")
        if len(names) != 1 or not (names[0].text or "").strip():
            raise NotForFastPathError("an Atom person without exactly one non-empty <name>")
        authors.append(FeedParserDict(name=names[0].text.strip()))


class _Context:
    """The one method ``_sync_author_detail`` calls on feedparser's parser."""

    __slots__ = ("context",)

    def __init__(self, context: FeedParserDict) -> None:
        self.context = context

    def _get_context(self) -> FeedParserDict:
        return self.context


def _xhtml_pieces(element: Any) -> Iterator[str]:
    """What feedparser's ``handle_data`` collects inside an XHTML construct: escaped text and
    start/end tags with lower-cased names and attributes."""
    if element.text:
        yield escape(element.text)
    for child in element.iterchildren():
        name = _name(child)
        local = child.tag.rsplit("}", 1)[-1].lower()
        if name in _END_HANDLED or local in ("svg", "math"):
            raise NotForFastPathError(f"<{child.tag}> inside XHTML")
        if any(key.startswith("{") for key in child.attrib):
            raise NotForFastPathError("a namespaced attribute inside XHTML")
        attributes = "".join(
            f' {key}="{escape(value, {chr(34): "&quot;"})}"'
            for key, value in _attributes(child).items()
        )
        yield f"<{local}{attributes}>"
        yield from _xhtml_pieces(child)
        yield f"</{local}>"
        if child.tail:
            yield escape(child.tail)


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
