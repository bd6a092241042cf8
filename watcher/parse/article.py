"""Full text: an item's web page → its main text, which then becomes the item's text.

``add_full_text`` is the per-item step of a ``full_text: true`` source: fetch the page
(``watcher.fetch.article``: untrusted, rate-limited per host, capped), extract the article's
main text, and make it the item's ``text`` when it says more than the feed did. Matching,
digest snippets and near-duplicate folding then read it. Whatever goes wrong (an HTTP error, a
time-out, a refused address, a page with no main text) leaves the item as the feed gave it and
says why in ``item.extra["full_text"]`` (``"failed: HTTP 404 Not Found"``); success is
``"ok"``. Nothing here ever fails the source.

Extraction is trafilatura's (precision-first, comments excluded), on a tree watcher parses
itself so the work is bounded: at most ``HTML_MAX`` bytes are parsed, scripts, styles and
embedded objects are dropped, and a page of more than ``ELEMENTS_MAX`` elements is refused
(trafilatura's cost grows with the element count: ~60 µs an element). No network, no entities:
lxml's HTML parser resolves nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable

from lxml import etree
from lxml import html as lxml_html

from watcher.config import Source
from watcher.errors import FetchError
from watcher.fetch.article import PageFetcher
from watcher.model import FULL_TEXT, Item
from watcher.parse.html import parse_html

log = logging.getLogger(__name__)

HTML_MAX = 5_000_000  # bytes of a page parsed; the rest is cut
ELEMENTS_MAX = 20_000  # elements after scripts and styles are dropped (~1.2 s of extraction)
TEXT_MAX = 50_000  # characters kept, as for a feed's text (watcher.normalise.TEXT_MAX)
MIN_WORDS = 10  # fewer is not an article
PAGES_MAX = 100  # pages read for one source in one poll; later items keep the feed's text
REMEMBERED = 256  # pages whose validators and text are kept for a conditional GET
_DROPPED = ("script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed")


class NoMainText(Exception):  # noqa: N818 - an outcome, like FetchError's reason
    """The page was fetched but yielded no article text; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def extract_main_text(body: bytes, *, url: str, content_type: str | None = None) -> str:
    """The main text of an HTML page, on one line; raise ``NoMainText`` when there is none."""
    import trafilatura  # 0.2 s to import: only polls of full-text sources pay it

    tree = _page_tree(body, content_type)
    elements = sum(1 for _ in tree.iter())
    if elements > ELEMENTS_MAX:
        raise NoMainText(
            f"page too large to extract ({elements:,} elements; at most {ELEMENTS_MAX:,})"
        )
    try:
        text = trafilatura.extract(
            tree, url=url, favor_precision=True, include_comments=False, deduplicate=False
        )
    except Exception as error:  # a hostile page must not fail the poll, whatever it trips
        raise NoMainText(f"extraction failed: {error.__class__.__name__}") from None
    words = (text or "").split()
    if len(words) < MIN_WORDS:  # a menu or a caption: what is left when there is no article
        raise NoMainText("no main text found on the page")
    return " ".join(words)[:TEXT_MAX]


def _page_tree(body: bytes, content_type: str | None) -> lxml_html.HtmlElement:
    """The page's tree without scripts, styles and embedded objects."""
    try:
        tree = parse_html(body, content_type, limit=HTML_MAX)
    except ValueError as error:
        raise NoMainText(f"not a readable HTML page ({error})") from None
    etree.strip_elements(tree, *_DROPPED, with_tail=False)
    return tree


class ArticleReader:
    """Reads items' pages into their text; remembers recent pages for conditional GETs.

    One a poll: the same article in two full-text sources of a poll is fetched once, then
    asked for conditionally (per-host rates belong to the long-lived ``PageFetcher``).
    """

    def __init__(self, pages: PageFetcher, *, remembered: int = REMEMBERED) -> None:
        self._pages = pages
        self._remembered = remembered
        self._known: OrderedDict[str, tuple[str | None, str | None, str]] = OrderedDict()
        self._lock = threading.Lock()

    def add_full_text(self, item: Item, source: Source) -> None:
        """Replace ``item.text`` by its page's main text when that says more; never raises.

        The outcome is recorded in ``item.extra["full_text"]``.
        """
        if not item.url:
            item.extra[FULL_TEXT] = "failed: the item has no link to a page"
            return
        try:
            text = self.read(item.url, source)
        except (FetchError, NoMainText) as failure:
            item.extra[FULL_TEXT] = f"failed: {failure.reason}"
            log.info(
                "full text of %s: %s",
                item.url,
                failure.reason,
                extra={"source": source.id, "url": item.url},
            )
            return
        except Exception as error:
            log.exception("full text of %s: unexpected error", item.url)
            item.extra[FULL_TEXT] = f"failed: unexpected error: {error.__class__.__name__}"
            return
        if len(text) > len(item.text):
            item.text = text
        item.extra[FULL_TEXT] = "ok"

    def read(self, url: str, source: Source) -> str:
        """The main text of the page at ``url``; raise ``FetchError`` or ``NoMainText``."""
        with self._lock:
            etag, last_modified, known_text = self._known.get(url, (None, None, ""))
        result = self._pages.get(
            url,
            source_id=source.id,
            feed_url=source.feed,  # a feed's own host may be private; a search's is not
            etag=etag,
            last_modified=last_modified,
        )
        if not result.changed or result.body is None:
            if known_text:
                return known_text
            raise NoMainText("the server sent no page (304 Not Modified, asked for nothing)")
        text = extract_main_text(
            result.body, url=result.final_url, content_type=result.content_type
        )
        if result.etag or result.last_modified:
            self._remember(url, (result.etag, result.last_modified, text))
        return text

    def _remember(self, url: str, entry: tuple[str | None, str | None, str]) -> None:
        with self._lock:
            self._known.pop(url, None)
            self._known[url] = entry
            while len(self._known) > self._remembered:
                self._known.popitem(last=False)


def add_full_texts(items: Iterable[Item], source: Source, reader: ArticleReader) -> None:
    """The per-item step for each of a full-text source's new items, at most ``PAGES_MAX``."""
    for index, item in enumerate(items):
        if index < PAGES_MAX:
            reader.add_full_text(item, source)
        else:
            item.extra[FULL_TEXT] = f"failed: more than {PAGES_MAX} new items in one poll"
