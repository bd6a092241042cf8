"""A small feed farm on 127.0.0.1 with honest validators, and a config that points at it."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@dataclass
class Farm:
    """Feeds by path; ``requests`` counts hits per path; ``etags`` off serves no validators."""

    server: HTTPServer
    bodies: dict[str, bytes] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    etags: bool = True

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def serve(self, path: str, body: str | bytes, status: int = 200) -> str:
        self.bodies[path] = body.encode() if isinstance(body, str) else body
        self.statuses[path] = status
        self.server.expect_request(path).respond_with_handler(self._handler(path))
        return self.url(path)

    def _handler(self, path: str) -> Callable[[Request], Response]:
        def respond(request: Request) -> Response:
            self.requests[path] += 1
            body, status = self.bodies[path], self.statuses[path]
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.etags and request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers={"ETag": etag})
            headers = {"ETag": etag} if self.etags else {}
            return Response(
                body, status=status, headers=headers, content_type="application/rss+xml"
            )

        return respond


@pytest.fixture
def farm(httpserver: HTTPServer) -> Farm:
    return Farm(httpserver)


def rss(*items: tuple[str, str, str], title: str = "Feed") -> str:
    """An RSS 2.0 body from (title, link, description) triples."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        f"<pubDate>Sat, 18 May 2024 0{i}:00:00 GMT</pubDate></item>"
        for i, (t, link, d) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link>{entries}</channel></rss>"
    )


CONFIG = """\
timezone: Asia/Riyadh
people:
  - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike", "يان لايكه"]}}
  - {{id: altman, name: Sam Altman, aliases: ["Sam Altman", "Altman"]}}
organizations:
  - {{id: openai, name: OpenAI}}
stories:
  - id: exits
    title: Exits
    since: 2024-05-14
    match: 'leike OR (altman AND safety)'
sources:
{sources}
"""


@pytest.fixture
def farm_config(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write a config whose sources are ``{id: url}`` (owned by nobody)."""

    def write(sources: dict[str, str]) -> Path:
        lines = "\n".join(f'  - {{id: {sid}, feed: "{url}"}}' for sid, url in sources.items())
        path = tmp_path / "watch.yaml"
        path.write_text(CONFIG.format(sources=lines), encoding="utf-8")
        return path

    return write
