"""OPML: the feed lists readers import and export, read safely and written as OPML 2.0.

An OPML file comes from elsewhere, so it is read like any hostile XML: at most ``OPML_MAX``
bytes, no DTD loaded, no entity resolved (libxml2 also caps entity amplification), no network,
comments and processing instructions dropped. Feeds are the ``<outline>`` elements with an
``xmlUrl``, at any depth (categories are outlines holding outlines); the rest is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from watcher.config import Config
from watcher.errors import WatcherError

OPML_MAX = 5_000_000  # bytes
FEEDS_MAX = 10_000


class OpmlError(WatcherError):
    """A file that is not OPML a feed list can be read from."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    title: str | None
    xml_url: str
    html_url: str | None = None


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Every feed outline of an OPML document, in document order; raise ``OpmlError``."""
    if len(data) > OPML_MAX:
        raise OpmlError(f"larger than {OPML_MAX:,} bytes; an OPML feed list never is")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise OpmlError(f"not valid XML: {error}") from None
    if root is None or etree.QName(root).localname != "opml":
        raise OpmlError("not an OPML file: its root element is not <opml>")
    feeds = []
    for outline in root.iter("outline"):
        url = _attribute(outline, "xmlUrl")
        if url:
            title = _attribute(outline, "title") or _attribute(outline, "text")
            feeds.append(OpmlFeed(title, url, _attribute(outline, "htmlUrl")))
            if len(feeds) > FEEDS_MAX:
                raise OpmlError(f"more than {FEEDS_MAX:,} feeds")
    return feeds


def _attribute(element: etree._Element, name: str) -> str | None:
    """An attribute, whatever its case (``xmlUrl``, ``xmlurl``: both are found in the wild)."""
    value = element.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in element.attrib.items() if str(k).lower() == lowered), None)
    value = " ".join(str(value or "").split())
    return value or None


def render_opml(feeds: Iterable[OpmlFeed], *, title: str, created: datetime) -> str:
    """An OPML 2.0 document listing ``feeds``."""
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = _xml_text(title)
    etree.SubElement(head, "dateCreated").text = format_datetime(created, usegmt=True)
    body = etree.SubElement(opml, "body")
    for feed in feeds:
        name = _xml_text(feed.title or feed.xml_url)
        outline = etree.SubElement(body, "outline", type="rss", text=name, title=name)
        outline.set("xmlUrl", _xml_text(feed.xml_url))
        if feed.html_url:
            outline.set("htmlUrl", _xml_text(feed.html_url))
    document = etree.tostring(opml, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return document.decode("utf-8")


def export_opml(config: Config, *, created: datetime) -> str:
    """The config's feed sources as OPML 2.0 (archived accounts are not feeds: left out)."""
    feeds = [OpmlFeed(s.name or s.id, s.feed) for s in config.sources if s.feed]
    return render_opml(feeds, title="watcher sources", created=created)


def _xml_text(text: str) -> str:
    """Only characters XML can carry (no control characters), which lxml insists on."""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\t")
