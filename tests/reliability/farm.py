"""A farm of feeds that publish new entries as time passes, remembering what they served.

What a farm served is the ground truth of the crash and restart tests: every entry any feed put
in a response must end up stored exactly once, however often watcher was killed meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from tests.fetch.conftest import RawServer
from tests.reliability.conftest import send_body
from tests.reliability.feeds import rss


class Farm:
    """Feeds whose entries appear as time passes; remembers the newest entry each one served."""

    def __init__(self, server: RawServer, feeds: int, entry_every: float = 1.5) -> None:
        self.server = server
        self.started = time.monotonic()
        self.frozen_at: float | None = None
        self.served: dict[int, int] = {}
        self.lock = threading.Lock()
        self.entry_every = entry_every
        for feed in range(feeds):
            server.routes[f"/feed/{feed}.xml"] = self._handler(feed)

    def url(self, feed: int) -> str:
        return self.server.url(f"/feed/{feed}.xml")

    def visible(self) -> int:
        """How many entries each feed shows now."""
        now = self.frozen_at or time.monotonic()
        return 1 + int((now - self.started) / self.entry_every)

    def freeze(self) -> None:
        self.frozen_at = time.monotonic()

    def expected_urls(self) -> set[str]:
        return {
            entry_url(feed, n) for feed, newest in self.served.items() for n in range(newest + 1)
        }

    def _handler(self, feed: int) -> Callable[[BaseHTTPRequestHandler], None]:
        def respond(handler: BaseHTTPRequestHandler) -> None:
            count = self.visible()
            entries = [
                (f"{'Jan Leike' if n % 3 == 0 else 'Markets'} update {feed}-{n}",
                 entry_url(feed, n), f"Entry {n} of feed {feed}.")
                for n in range(count)
            ]  # fmt: skip
            body = rss(entries, title=f"Farm {feed}")
            with self.lock:
                self.served[feed] = max(self.served.get(feed, -1), count - 1)
            send_body(handler, body, "application/rss+xml")

        return respond


def entry_url(feed: int, n: int) -> str:
    return f"https://farm.example/{feed}/{n}"
