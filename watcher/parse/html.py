"""Web pages (not feeds) parsed into a tree: decoded as a browser would, bounded, inert.

The decoding follows the browser's order (w3lib): a byte-order mark, the HTTP charset, a
``<meta>`` declaration, then UTF-8 when the bytes are valid UTF-8, else chardet's guess. lxml's
HTML parser fetches nothing and resolves no entities; comments and processing instructions are
dropped, and only the first ``limit`` bytes are read.
"""

from __future__ import annotations

import chardet
from lxml import etree
from lxml import html as lxml_html
from w3lib.encoding import html_to_unicode

_SNIFF = 64_000  # bytes chardet looks at for a page that declares no encoding
_PARSER = lxml_html.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
)


def parse_html(body: bytes, content_type: str | None, *, limit: int) -> lxml_html.HtmlElement:
    """The page's tree; raise ``ValueError`` when there is nothing to parse."""
    _, text = html_to_unicode(content_type, body[:limit], auto_detect_fun=_sniff_encoding)
    try:
        return lxml_html.document_fromstring(text.encode("utf-8", "replace"), parser=_PARSER)
    except etree.ParserError as error:
        raise ValueError(str(error)) from None


def _sniff_encoding(body: bytes) -> str | None:
    """UTF-8 when the page decodes as UTF-8 (nearly all do), else chardet's guess."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(body) - 3:  # not merely a character cut short by the limit
            return chardet.detect(body[:_SNIFF]).get("encoding")
    return "utf-8"
