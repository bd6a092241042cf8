"""Fetch the web page an item links to, politely and as an untrusted URL.

A ``full_text: true`` source makes watcher fetch the page of each new item (see
``watcher.parse.article``). Those URLs come from the feed, so:

- the SSRF guard refuses private, loopback, link-local and reserved addresses for them
  (``Fetcher.get(untrusted=True)``) unless ``allow_private_networks``; only a page on the
  feed's own configured host and port is trusted like the feed itself (a self-hosted feed
  linking to its own pages);
- one host gets at most ``PAGE_RATE`` requests a second (after a burst of ``PAGE_BURST``),
  on top of ``fetch.per_host`` requests in flight: a feed of fifty new articles on one site
  does not become fifty requests at once;
- ``fetch.timeout`` and ``fetch.max_bytes`` bound each page like any fetch;
- a page asked for again (the same article in two full-text sources) is a conditional GET
  with the validators it answered with last time (the caller keeps what it made of the body).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlsplit

from watcher.errors import FetchError
from watcher.fetch.archive import RateLimiter
from watcher.fetch.http import Fetcher
from watcher.model import FetchResult

PAGE_RATE = 1.0  # requests a second to one host
PAGE_BURST = 3.0
HOSTS_KEPT = 1_024  # rate limiters kept; the least recently used host's is dropped beyond it
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class PageFetcher:
    """Article pages over the shared ``Fetcher``: guarded, rate-limited per host."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        rate: float = PAGE_RATE,
        burst: float = PAGE_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._fetcher = fetcher
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._limiters: OrderedDict[str, RateLimiter] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        url: str,
        *,
        source_id: str,
        feed_url: str | None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """GET the page at ``url``, which the feed at ``feed_url`` linked to (None: a search
        or an archive did); raise ``FetchError``.

        A 304 comes back with ``changed`` False; a body that is not HTML is a ``FetchError``.
        """
        self._limiter(_host(url)).acquire()
        result = self._fetcher.get(
            url,
            source_id=source_id,
            etag=etag,
            last_modified=last_modified,
            untrusted=True,
            configured=feed_url,
        )
        content_type = (result.content_type or "").split(";", 1)[0].strip().lower()
        if result.changed and content_type and content_type not in _HTML_TYPES:
            raise FetchError(source_id, url, f"not an HTML page ({content_type})")
        return result

    def _limiter(self, host: str) -> RateLimiter:
        with self._lock:
            limiter = self._limiters.pop(host, None) or RateLimiter(
                self._rate, self._burst, clock=self._clock, sleep=self._sleep
            )
            self._limiters[host] = limiter
            while len(self._limiters) > HOSTS_KEPT:
                self._limiters.popitem(last=False)
            return limiter


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".").lower()
