"""Parse stage: one fetched body → ``ParsedFeed`` (raw entries, HTML still in place).

The dispatcher sniffs the body (not the Content-Type, which servers get wrong both ways) and
hands it to one parser: JSON Feed (``jsonfeed``) or RSS/Atom. An RSS/Atom body is read by the
lxml fast path (``fast``) when it is the common, well-formed kind it reproduces exactly, and by
feedparser (``feed``) otherwise; both start from the same decoded body (``prepare_xml``).
It raises ``ParseError`` only when the body is not a feed at all; an ill-formed but readable
feed yields its entries with ``ParsedFeed.warning``.

Social and archived feeds (Bluesky, Mastodon, Nitter, Wayback) are post-processed on the
``ParsedFeed`` this returns: ``_parse_body`` is the format dispatch, ``parse_feed`` the place
where such a step is added as one call. ``archive`` reads one archived X post.

It may import the base layer and fetch; never normalise, match or anything above.
"""

from __future__ import annotations

import re

from watcher.errors import ParseError
from watcher.model import ParsedFeed
from watcher.parse.fast import NotForFastPathError, parse_fast
from watcher.parse.feed import FeedparserFailedError, parse_prepared, prepare_xml, unicode_codec
from watcher.parse.jsonfeed import NotJsonFeedError, parse_json_feed
from watcher.parse.social import adapt_social

__all__ = ["parse_feed"]

_HTML = re.compile(r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
_SNIFF_BYTES = 2048


def parse_feed(
    body: bytes, *, source_id: str, url: str, content_type: str | None = None
) -> ParsedFeed:
    """Parse one feed body; raise ``ParseError`` with the reason when it is not a feed."""
    parsed = _parse_body(body, source_id=source_id, url=url, content_type=content_type)
    _inherit_language(parsed)
    return adapt_social(parsed, url)


def _parse_body(body: bytes, *, source_id: str, url: str, content_type: str | None) -> ParsedFeed:
    head = body[:_SNIFF_BYTES].decode(unicode_codec(body) or "utf-8", "replace")
    head = head.lstrip("\ufeff \t\r\n")
    if not head:
        raise ParseError(source_id, url, "not a feed: the body is empty")
    if head.startswith(("{", "[")):
        try:
            return parse_json_feed(body, url=url)
        except NotJsonFeedError as error:
            raise ParseError(source_id, url, str(error)) from None
    try:
        parsed = _parse_xml(body, url=url, content_type=content_type)
    except FeedparserFailedError as error:
        raise ParseError(source_id, url, f"not a feed: feedparser failed on it ({error})") from None
    if parsed is not None:
        return parsed
    raise ParseError(source_id, url, _not_a_feed(head))


def _parse_xml(body: bytes, *, url: str, content_type: str | None) -> ParsedFeed | None:
    """The fast path first; feedparser for whatever it is not sure to read the same way."""
    prepared = prepare_xml(body, content_type)
    try:
        return parse_fast(prepared, url=url)
    except NotForFastPathError:
        return parse_prepared(prepared, url=url)


def _inherit_language(parsed: ParsedFeed) -> None:
    """The feed's language is each entry's hint unless the entry declares its own."""
    if parsed.language:
        for entry in parsed.entries:
            entry.language = entry.language or parsed.language


def _not_a_feed(head: str) -> str:
    if _HTML.search(head):
        return (
            "not a feed: looks like an HTML page (the feed URL may have moved; "
            "look for a <link rel=alternate> on that page)"
        )
    if not head.startswith("<"):
        return f"not a feed: the body is not XML or JSON (starts with {head[:40]!r})"
    return "not a feed: XML without an RSS, RDF or Atom root element"
