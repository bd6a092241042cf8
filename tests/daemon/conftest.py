"""Fixtures for the daemon tests: a store on either back-end, filled with sources."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from watcher.store import Store, open_store
from watcher.store.tables import SourceRow

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same tests on SQLite and, where it answers, PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'watcher.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = open_store(url)
    yield opened
    opened.close()


@pytest.fixture
def add_sources(any_store: Store) -> Callable[..., list[str]]:
    """Insert ``count`` feed sources due at ``due`` (default: a minute before NOW)."""

    def add(count: int, *, prefix: str = "s", due: datetime | None = None, **fields) -> list[str]:
        ids = [f"{prefix}{index:04d}" for index in range(count)]
        with any_store.session() as session:
            for source_id in ids:
                row = SourceRow(
                    id=source_id,
                    kind="feed",
                    url=f"http://127.0.0.1/{source_id}.xml",
                    next_poll_at=due or NOW - timedelta(minutes=1),
                    consecutive_failures=0,
                    items_total=0,
                )
                for name, value in fields.items():
                    setattr(row, name, value)
                session.add(row)
        return ids

    return add


class Farm:
    """A local HTTP server: RSS feeds at /feed/NAME.xml and a webhook receiver at /hook.

    It records every request (path, time) so tests count polls per feed and deliveries per
    period; ``delay`` slows each feed response, so that polls are in flight when a test wants.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.requests: list[tuple[str, float]] = []
        self.deliveries: list[tuple[str, dict]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def feed_url(self, name: str) -> str:
        return f"{self.url}/feed/{name}.xml"

    def polls(self) -> Counter[str]:
        with self.lock:
            return Counter(
                path.removeprefix("/feed/").removesuffix(".xml")
                for path, _ in self.requests
                if path.startswith("/feed/")
            )

    def poll_times(self) -> dict[str, list[float]]:
        times: dict[str, list[float]] = {}
        with self.lock:
            for path, at in self.requests:
                if path.startswith("/feed/"):
                    times.setdefault(path[6:-4], []).append(at)
        return times

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        farm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with farm.lock:
                    farm.requests.append((self.path, time.monotonic()))
                if farm.delay:
                    time.sleep(farm.delay)
                name = self.path.removeprefix("/feed/").removesuffix(".xml")
                body = RSS.format(name=name).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                with farm.lock:
                    farm.deliveries.append((self.headers.get("webhook-id", ""), payload))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> Farm:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Feed {name}</title><link>http://example.org/{name}</link>
<item><title>Sam Altman writes about safety at {name}</title>
<link>http://example.org/{name}/1</link><guid>{name}-1</guid>
<pubDate>Fri, 17 May 2024 10:00:00 GMT</pubDate></item>
</channel></rss>
"""


@pytest.fixture
def farm() -> Iterator[Farm]:
    with Farm() as running:
        yield running


def daemon_config(farm: Farm, feeds: int, *, every: str = "1h", extra: str = "") -> str:
    """A config polling ``feeds`` feeds of ``farm`` and sending a digest to its webhook."""
    sources = "\n".join(
        f'  - {{id: f{n:03d}, feed: "{farm.feed_url(f"f{n:03d}")}", every: {every}}}'
        for n in range(feeds)
    )
    return f"""\
timezone: Europe/Berlin
allow_private_networks: true
fetch: {{workers: 4, timeout: 5s}}
people:
  - {{id: altman, name: Sam Altman, aliases: [Sam Altman, Altman]}}
stories:
  - {{id: safety, title: Safety, since: 2024-05-01, match: altman}}
sources:
{sources}
channels:
  - {{id: hook, webhook: "{farm.url}/hook"}}
digests:
  - {{id: daily, at: "07:00", send_to: [hook]}}
{extra}"""
