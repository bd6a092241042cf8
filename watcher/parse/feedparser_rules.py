"""feedparser's own tables, read from feedparser itself, and the names the fast path walks by.

The fast path (``watcher.parse.fast``) reproduces feedparser exactly only where it follows the
same tables: its namespace prefixes, the elements it has handlers for, its key map, and the
content types it treats as text, HTML or XHTML. Reading them from feedparser keeps the two in
step; the pin on feedparser 6.0.x and tests/parse/test_fast_equality.py keep them honest.
"""

from __future__ import annotations

import re

from feedparser.api import StrictFeedParser
from feedparser.mixin import _FeedParserMixin
from feedparser.util import FeedParserDict

NAMESPACES: dict[str, str] = {
    uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()
}
STANDARD_PREFIXES = frozenset(NAMESPACES.values()) - {""}
START_HANDLED = frozenset(n[7:].lower() for n in dir(StrictFeedParser) if n.startswith("_start_"))
END_HANDLED = frozenset(n[5:].lower() for n in dir(StrictFeedParser) if n.startswith("_end_"))
HANDLED = START_HANDLED | END_HANDLED
KEYMAP = FeedParserDict.keymap
CONTENT_TYPES = {
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
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
XLINK = "http://www.w3.org/1999/xlink"  # feedparser adds its declaration as an attribute

# Keys of feedparser's dictionaries that ``to_parsed_feed`` reads: an element stored under one
# of them by feedparser's generic handler would change the result.
READ_KEYS = frozenset(
    {
        "id", "guidislink", "links", "link", "title", "title_detail", "summary",
        "summary_detail", "content", "authors", "author", "author_detail", "published",
        "published_parsed", "updated", "updated_parsed", "language",
    }
)  # fmt: skip

# What an element means, by feedparser's name for it; (role, default content type).
ENTRY_ROLES: dict[str, tuple[str, str | None]] = {
    "title": ("title", "text/plain"),
    "dc_title": ("title", "text/plain"),
    "media_title": ("title", "text/plain"),
    "description": ("summary", "text/html"),
    "media_description": ("summary", "text/html"),
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
FEED_ROLES: dict[str, tuple[str, str | None]] = {
    "title": ("title", "text/plain"),
    "dc_title": ("title", "text/plain"),
    "media_title": ("title", "text/plain"),
    "link": ("link", None),
    "id": ("id", None),
    "language": ("language", None),
    "dc_language": ("language", None),
    "item": ("entry", None),
    "entry": ("entry", None),
}
PERSON = frozenset({"name", "email", "uri", "url", "homepage"})
MEDIA = frozenset(
    {
        "media_content", "media_thumbnail", "media_credit", "media_rating", "media_category",
        "media_keywords", "media_license", "media_restriction", "media_player",
    }
)  # fmt: skip
MEDIA_CONTAINERS = frozenset({"media_group", "media_content"})
GEORSS = dict.fromkeys(("georss_point", "georss_line", "georss_polygon", "georss_box"))
SOURCE_CHILDREN = frozenset(
    {
        "title", "subtitle", "id", "link", "updated", "author", "contributor", "category",
        "generator", "icon", "logo", "rights",
    }
)  # fmt: skip
# Handled elements whose handlers only touch keys ``to_parsed_feed`` never reads, with the
# children they may have (None: no element children that feedparser handles).
ENTRY_INERT: dict[str, frozenset[str] | None] = (
    {
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
        "contributor": PERSON,
        "media_group": MEDIA,
    }
    | dict.fromkeys(MEDIA, MEDIA)
    | GEORSS
)
FEED_INERT: dict[str, frozenset[str] | None] = ENTRY_INERT | {
    "subtitle": None,
    "tagline": None,
    "generator": None,
    "updated": None,
    "modified": None,
    "lastbuilddate": None,
    "pubdate": None,
    "published": None,
    "dc_date": None,
    "cloud": None,
    "managingeditor": PERSON,
    "author": PERSON,
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
FEED_SUMMARIES = frozenset({"description", "dc_description", "media_description", "itunes_summary"})
TITLED = frozenset({"image", "textinput"})  # their titles move feedparser's title depth

DECLARATION = re.compile(rb"""xmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*(["'])(.*?)\2""")
BASE_ASSIGNMENT = re.compile(rb"base\s*=")  # searched in the lower-cased body
LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")
