"""/healthz keeps answering while idle and slow clients hold connections to it.

Before issue 12 the health server was the standard ``ThreadingHTTPServer``: a thread per
connection and no time limit, so 300 idle connections held 300 threads for as long as they
liked. Now threads go only to requests that have fully arrived (at most 16), and a connection
whose request has not arrived in time is closed.
"""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.daemon.test_health import HEALTHY
from watcher.schedule.health import HealthServer

IDLE = 300
SLOW = 30  # send half a request head, then nothing


@pytest.fixture
def server() -> Iterator[HealthServer]:
    started = HealthServer("127.0.0.1:0", lambda: HEALTHY, request_timeout=2.0).start()
    yield started
    started.stop()


def _connect(server: HealthServer, stack: ExitStack) -> socket.socket:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    connection = stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
    return connection


def _healthz(server: HealthServer) -> int:
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
        return int(response.status)


def test_healthz_answers_while_hundreds_of_idle_connections_wait(
    server: HealthServer, figures: dict[str, dict[str, Any]]
) -> None:
    threads_before = threading.active_count()
    with ExitStack() as stack:
        for _ in range(IDLE):
            _connect(server, stack)
        for _ in range(SLOW):
            _connect(server, stack).sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        assert _healthz(server) == 200
        threads = threading.active_count() - threads_before
        figures["health:idle-connections"] = {"connections": IDLE + SLOW, "threads": threads}
        assert threads <= 16, f"{threads} threads for {IDLE + SLOW} idle connections"


def test_a_connection_that_sends_no_request_is_closed(server: HealthServer) -> None:
    with ExitStack() as stack:
        idle = _connect(server, stack)
        slow = _connect(server, stack)
        slow.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert idle.recv(1) == b"", "the server closes an idle connection after its timeout"
        assert slow.recv(1) == b"", "and one whose request head never ends"


def test_an_oversized_request_head_is_closed(server: HealthServer) -> None:
    with ExitStack() as stack:
        connection = _connect(server, stack)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nX-Padding: " + b"x" * 20_000)
        assert connection.recv(1) == b""


def test_the_oldest_waiting_connections_make_room_for_new_ones() -> None:
    small = HealthServer("127.0.0.1:0", lambda: HEALTHY, max_waiting=20).start()
    try:
        with ExitStack() as stack:
            first = _connect(small, stack)
            for _ in range(40):
                _connect(small, stack)
            assert _healthz(small) == 200
            assert first.recv(1) == b"", "the first idle connection was closed to make room"
    finally:
        small.stop()
