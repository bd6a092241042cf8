"""Find the feed behind an address: the address itself, a feed the page links to, or a feed at
one of the usual paths, each checked by fetching and parsing it.

In order: the URL as given, when it is a feed; the page's ``<link rel="alternate">`` feeds,
RSS and Atom first, JSON Feed after, comments feeds left out (a blog lists "Comments Feed"
beside its posts' feed, sometimes first); then ``COMMON_PATHS`` under the page's directory and
under the site's root. The first that parses as a feed wins.

The page is hostile like any: at most ``PAGE_MAX`` bytes of it are parsed, at most
``CANDIDATES_MAX`` addresses tried, and a feed it points to on another host is fetched as an
untrusted URL (no private addresses unless ``allow_private_networks``): only the host the user
typed is trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from watcher.errors import FetchError, ParseError, WatcherError
from watcher.fetch.http import Fetcher
from watcher.model import FetchResult, ParsedFeed
from watcher.parse import parse_feed
from watcher.parse.html import parse_html
from watcher.text import clean_text

COMMON_PATHS = ("feed", "rss.xml", "atom.xml", "feed.xml", "index.xml", "rss")
PAGE_MAX = 2_000_000  # bytes of a page searched for <link rel="alternate">
CANDIDATES_MAX = 12
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
JSON_FEED_TYPES = ("application/feed+json", "application/json")
_COMMENTS = re.compile(r"comment|التعليقات|تعليقات", re.IGNORECASE)
_COMMENTS_PATH = re.compile(r"(?:^|/)comments?(?:/|\.|$)", re.IGNORECASE)
_ID = "(new)"  # the source has no id yet: errors name its URL


class DiscoveryError(WatcherError):
    """No feed could be found at or from an address; the message says what was tried."""


@dataclass(frozen=True, slots=True)
class Discovered:
    """The feed found: where (the address to configure), its title and its site's address."""

    url: str
    title: str | None
    site: str | None


def discover_feed(url: str, fetcher: Fetcher) -> Discovered:
    """The feed at ``url`` or linked from it; raise ``DiscoveryError`` saying what was tried."""
    try:
        first = fetcher.get(url, source_id=_ID)
    except FetchError as error:
        raise DiscoveryError(f"{url}: {error.reason}") from None
    parsed, reason = _as_feed(first, url)
    if parsed is not None:
        return _discovered(url, parsed)
    tried = [f"{url} ({reason})"]
    for candidate in candidates(first)[:CANDIDATES_MAX]:
        try:
            result = fetcher.get(candidate, source_id=_ID, untrusted=True, configured=url)
        except FetchError as error:
            tried.append(f"{candidate} ({error.reason})")
            continue
        parsed, reason = _as_feed(result, candidate)
        if parsed is not None:
            return _discovered(candidate, parsed)
        tried.append(f"{candidate} ({reason})")
    raise DiscoveryError(f"no feed found at or from {url}; tried " + "; ".join(tried))


def candidates(page: FetchResult) -> list[str]:
    """Addresses that may hold the page's feed, most likely first, each once."""
    found = feed_links(page.body or b"", page.final_url, page.content_type)
    found += [urljoin(page.final_url, path) for path in COMMON_PATHS]
    root = urljoin(page.final_url, "/")
    found += [urljoin(root, path) for path in COMMON_PATHS]
    return list(dict.fromkeys(found))


def feed_links(body: bytes, base_url: str, content_type: str | None = None) -> list[str]:
    """The page's ``<link rel="alternate">`` feeds: RSS/Atom, then JSON Feed; no comments feeds."""
    try:
        tree = parse_html(body, content_type, limit=PAGE_MAX)
    except ValueError:
        return []
    base = _base(tree, base_url)
    xml_feeds: list[str] = []
    json_feeds: list[str] = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";", 1)[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or not href or _is_comments(link.get("title") or "", href):
            continue
        target = (
            xml_feeds if kind in FEED_TYPES else json_feeds if kind in JSON_FEED_TYPES else None
        )
        address = urljoin(base, href)
        if target is not None and urlsplit(address).scheme in ("http", "https"):
            target.append(address)
    return xml_feeds + json_feeds


def _base(tree: lxml_html.HtmlElement, url: str) -> str:
    """The page's ``<base href>`` when it has one, resolved against its own address."""
    for element in tree.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            return urljoin(url, href)
    return url


def _is_comments(title: str, href: str) -> bool:
    return bool(_COMMENTS.search(title) or _COMMENTS_PATH.search(urlsplit(href).path))


def _as_feed(result: FetchResult, url: str) -> tuple[ParsedFeed | None, str]:
    """The parsed feed, or None and why the body is not one."""
    try:
        parsed = parse_feed(
            result.body or b"",
            source_id=_ID,
            url=result.final_url,
            content_type=result.content_type,
        )
    except ParseError as error:
        return None, error.reason
    return parsed, ""


def _discovered(url: str, parsed: ParsedFeed) -> Discovered:
    title = clean_text(parsed.title) or None
    return Discovered(url=url, title=title, site=parsed.link)
