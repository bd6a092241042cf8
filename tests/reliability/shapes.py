"""Pathological feed shapes for the parse-cost tests, each built to about ``size`` bytes.

Each shape stresses one dimension a hostile feed controls: attributes on one element, nesting
depth, entries, text, namespaces, attribute values, XHTML, ``xml:base``/``xml:lang``, an
ill-formed or DOCTYPE'd body (read by feedparser, not the fast path), a lying declaration.
The last three are read by feedparser alone (the fast path refuses them by design): they are
denser in tags than any real feed, so feedparser is given only part of them
(``watcher.parse.feed.bound_tags``).
"""

from __future__ import annotations

from collections.abc import Callable

_RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
_RSS_END = "</channel></rss>"
_ATOM = '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
_XHTML = (
    _ATOM + '<entry><title>x</title><content type="xhtml">'
    '<div xmlns="http://www.w3.org/1999/xhtml">'
)
_XHTML_END = "</div></content></entry></feed>"
_RDF = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="c"><title>t</title></channel>'
)
_LINK = '<link href="l"/>'
_LANG_TITLE = '<title xml:lang="x">x</title>'
_ENTRIES = 2000  # under the entry cap, so the fast path is not refused for a capped body


def _attributes(count: int) -> str:
    return " ".join(f'a{n}="v"' for n in range(count))


def _rss(items: str) -> str:
    return f"{_RSS}{items}{_RSS_END}"


def _item(inner: str) -> str:
    return f"<item>{inner}</item>"


def _per_entry(size: int, unit: int) -> int:
    """How many ``unit``-byte children each of ``_ENTRIES`` entries needs to reach ``size``."""
    return max(1, size // (_ENTRIES * unit))


def _each_entry(start: str, child: str, end: str, size: int) -> str:
    """``_ENTRIES`` entries (``start`` formatted with the entry's number ``i``), each holding
    as many copies of ``child`` as it takes to reach ``size`` in all."""
    copies = _per_entry(size, len(child))
    return "".join(start.format(i=i) + child * copies + end for i in range(_ENTRIES))


Shape = Callable[[int], str]

SHAPES: dict[str, Shape] = {
    "attributes-on-item": lambda n: _rss(f"<item {_attributes(n // 10)}><title>x</title></item>"),
    "attributes-on-root": lambda n: (
        f'<rss version="2.0" {_attributes(n // 10)}><channel><title>t</title>{_RSS_END}'
    ),
    "attributes-on-link": lambda n: _rss(_item(f"<link {_attributes(n // 10)}>x</link>")),
    "attributes-on-title": lambda n: _rss(
        _item(f"<title {_attributes(n // 10)} lang='en'>x</title>")
    ),
    "attributes-in-xhtml": lambda n: f"{_XHTML}<p {_attributes(n // 10)}>x</p>{_XHTML_END}",
    "ten-attributes-each": lambda n: _rss(_item(f"<category {_attributes(10)}/>" * (n // 80))),
    "nested-250-deep": lambda n: _rss(_item(("<x>" * 250 + "</x>" * 250) * (n // 1750))),
    "100k-entries": lambda n: _rss("".join(_item(f"<title>e{i}</title>") for i in range(100_000))),
    "huge-text": lambda n: _rss(_item(f"<title>{'a' * n}</title>")),
    "huge-text-of-entities": lambda n: _rss(
        _item(f"<description>{'&amp;' * (n // 5)}</description>")
    ),
    "huge-text-to-repair": lambda n: _rss(
        _item("<description>" + "é\x92" * (n // 4) + "</description>")
    ),
    "namespaces-on-root": lambda n: (
        '<rss version="2.0" '
        + " ".join(f'xmlns:p{i}="urn:x:{i}"' for i in range(n // 25))
        + f"><channel><title>t</title>{_RSS_END}"
    ),
    "namespaces-on-each-item": lambda n: _rss(
        "".join(
            "<item "
            + " ".join(f'xmlns:p{j}="urn:x:{i}:{j}"' for j in range(_per_entry(n, 25)))
            + "><title>x</title></item>"
            for i in range(_ENTRIES)
        )
    ),
    "long-attribute-value": lambda n: _rss(_item(f'<link href="{"a" * n}">x</link>')),
    "long-attribute-of-entities": lambda n: _rss(_item(f'<enclosure url="{"&amp;" * (n // 5)}"/>')),
    "many-cdata-sections": lambda n: _rss(
        _item(f"<description>{'<![CDATA[x]]>' * (n // 13)}</description>")
    ),
    "xhtml-wide": lambda n: f"{_XHTML}{'<b>x</b>' * (n // 8)}{_XHTML_END}",
    "xhtml-deep-and-wide": lambda n: (
        f"{_XHTML}{'<b>' * 250}{'<i>x</i>' * (n // 8)}{'</b>' * 250}{_XHTML_END}"
    ),
    "unknown-deep-and-wide": lambda n: _rss(
        _item(
            f"<title>x</title><category>{'<b>' * 250}{'<i>x</i>' * (n // 8)}{'</b>' * 250}</category>"
        )
    ),
    "many-links": lambda n: (
        _ATOM + "<entry><title>x</title>" + _LINK * (n // 16) + "</entry></feed>"
    ),
    "xml-base-on-each-entry": lambda n: (
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://a.example/"><title>t</title>'
        + _each_entry('<entry xml:base="/d{i}/"><title>x</title>', _LINK, "</entry>", n)
        + "</feed>"
    ),
    "xml-lang-on-each-title": lambda n: (
        _ATOM + _each_entry('<entry xml:lang="l{i}">', _LANG_TITLE, "</entry>", n) + "</feed>"
    ),
    "rdf-items": lambda n: (
        _RDF
        + _each_entry('<item rdf:about="u{i}">', "<title>x</title>", "</item>", n)
        + "</rdf:RDF>"
    ),
    "attributes-repaired-body": lambda n: _rss(
        f"<item {_attributes(n // 10)}><title>x & y</title></item>"
    ),
    "attributes-ill-formed-body": lambda n: _rss(
        f"<item {_attributes(n // 10)}><title>x<br></title></item>"
    ),
    "attributes-with-doctype": lambda n: (
        f'<?xml version="1.0"?><!DOCTYPE rss><rss version="2.0"><channel><title>t</title>'
        f"<item {_attributes(n // 10)}><title>x</title></item>{_RSS_END}"
    ),
    "declarations-not-utf8": lambda n: "<?xml" * 13_000 + "\xff",  # the 64 KB chardet sample
    # feedparser alone; 3 s/MB well-formed, 7 s/MB ill-formed before feedparser's tags were bounded
    "nested-beyond-lxml-limit": lambda n: _rss(_item("<x>" * (n // 8) + "</x>" * (n // 8))),
    "ill-formed-nested": lambda n: _rss(_item("<br>" + "<x>" * (n // 8) + "</x>" * (n // 8))),
    "ill-formed-elements": lambda n: _rss(_item("<br>" + "<x>y</x>" * (n // 8))),
}
LATIN1 = frozenset({"declarations-not-utf8"})  # bytes that are not UTF-8, on purpose


def body(name: str, size: int) -> bytes:
    """The shape ``name`` at about ``size`` bytes."""
    text = SHAPES[name](size)
    return text.encode("latin-1" if name in LATIN1 else "utf-8")
