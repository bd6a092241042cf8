"""A server-chosen HTTP reason phrase reaches ``last_error`` short and printable.

Before issue 12 a status HTTP does not define (``599``) with a 5 KB reason phrase full of
terminal escape sequences was stored whole in ``last_error`` and shown raw by ``watcher
sources``. The hostile server answers beside two good feeds, which are stored all the same.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fetch.conftest import RawServer
from tests.reliability.conftest import serve_bytes
from tests.reliability.feeds import rss
from tests.reliability.harness import Project
from tests.reliability.hostile import Handler
from tests.reliability.test_hostile import poll_hostile

ESCAPES = "\x1b[2J\x1b[31mPWNED\x1b]0;title\x07\x1b[0m\r\n"
REASON = ("Bad " + ESCAPES) * 200  # ~5 KB


def _long_reason(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(
        b"HTTP/1.1 599 "
        + REASON.replace("\r\n", " ").encode("latin-1")
        + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    handler.close_connection = True


def test_a_5kb_reason_phrase_with_escapes_is_clipped_and_printable(
    project: Project, feeds: RawServer, figures: dict[str, dict[str, Any]]
) -> None:
    second = ("Leike, second good feed", "https://news.example/second", "Leike again.")
    hostile: dict[str, Handler | str] = {
        "reason": _long_reason,
        "second-good": serve_bytes(rss([second])),
    }
    outcome = poll_hostile(project, feeds, hostile, figures, "reason-phrase")
    error = outcome.error("reason")
    assert outcome.status("reason").startswith("failing"), outcome.sources["reason"]
    assert error.startswith("HTTP 599 "), error
    assert len(error) <= 100, error
    assert error.isprintable() and "\x1b" not in error, repr(error)
    assert "\x1b" not in outcome.run.output
    assert outcome.status("second-good") == "ok"
    assert project.item_count("second-good") == 1
