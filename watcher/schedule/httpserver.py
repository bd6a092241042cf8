"""A small HTTP/1.0 server that idle or slow clients cannot exhaust: threads go only to
requests that have fully arrived.

The standard ``ThreadingHTTPServer`` gives every connection a thread of its own and no time
limit, so 300 idle connections held 300 threads. Here one thread accepts connections and
reads their request heads without blocking (a selector); a connection is closed when its head
has not arrived ``request_timeout`` seconds after it connected, is larger than ``MAX_HEAD``,
or when more than ``max_waiting`` connections are waiting (the oldest goes first, so a flood
of idle connections cannot keep a new probe out). A complete head is handed, already read, to
a pool of at most ``workers`` threads running an ordinary ``BaseHTTPRequestHandler``, whose
writes time out after ``send_timeout`` seconds. ``/healthz`` and ``/metrics`` are GETs
without a body, so a handler never waits for a client.
"""

from __future__ import annotations

import io
import logging
import selectors
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

log = logging.getLogger(__name__)

MAX_HEAD = 16 * 1024  # bytes: a request line and headers; curl and Prometheus send < 1 KB
_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")


class PrereadHandler(BaseHTTPRequestHandler):
    """A request handler whose request head the server has already read: ``request`` is the
    pair (connection, head)."""

    send_timeout = 5.0

    def setup(self) -> None:
        self.connection, head = self.request
        self.connection.settimeout(self.send_timeout)
        self.rfile = io.BytesIO(head)
        self.wfile = self.connection.makefile("wb")


@dataclass
class _Waiting:
    address: Any
    deadline: float
    head: bytearray = field(default_factory=bytearray)


class BoundedHTTPServer:
    """Serves ``handler`` (a ``PrereadHandler``) on ``address`` until ``shutdown``."""

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[PrereadHandler],
        *,
        family: socket.AddressFamily = socket.AF_INET,
        workers: int = 16,
        max_waiting: int = 256,
        request_timeout: float = 10.0,
    ) -> None:
        self.handler = handler
        self.max_waiting = max_waiting
        self.request_timeout = request_timeout
        self._listener = socket.create_server(address, family=family, backlog=128)
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._waiting: dict[socket.socket, _Waiting] = {}  # in the order they connected
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="http-worker")
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    def serve_forever(self) -> None:
        try:
            while not self._stopping.is_set():
                for key, _ in self._selector.select(timeout=0.25):
                    if key.fileobj is self._listener:
                        self._accept()
                    else:
                        self._read(key.fileobj)  # type: ignore[arg-type]
                self._expire()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serving (returns once the loop has ended)."""
        self._stopping.set()
        self._stopped.wait(5)

    def server_close(self) -> None:
        for connection in list(self._waiting):
            self._drop(connection)
        self._selector.close()
        self._listener.close()
        self._workers.shutdown(wait=False, cancel_futures=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # out of file descriptors: the idle ones go first
                log.warning("cannot accept a connection: %s", error)
                self._evict_oldest()
                return
            if len(self._waiting) >= self.max_waiting:
                self._evict_oldest()
            connection.setblocking(False)
            deadline = time.monotonic() + self.request_timeout
            self._waiting[connection] = _Waiting(address, deadline)
            self._selector.register(connection, selectors.EVENT_READ)

    def _read(self, connection: socket.socket) -> None:
        waiting = self._waiting.get(connection)
        if waiting is None:
            return
        try:
            data = connection.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        waiting.head += data
        if any(end in waiting.head for end in _HEAD_ENDS):
            self._selector.unregister(connection)
            del self._waiting[connection]
            self._workers.submit(self._handle, connection, bytes(waiting.head), waiting.address)
        elif not data or len(waiting.head) > MAX_HEAD:
            self._drop(connection)

    def _expire(self) -> None:
        now = time.monotonic()
        for connection, waiting in list(self._waiting.items()):
            if waiting.deadline > now:
                return  # the rest connected later
            self._drop(connection)

    def _evict_oldest(self) -> None:
        if self._waiting:
            self._drop(next(iter(self._waiting)))

    def _drop(self, connection: socket.socket) -> None:
        self._waiting.pop(connection, None)
        with suppress(KeyError, ValueError):
            self._selector.unregister(connection)
        connection.close()

    def _handle(self, connection: socket.socket, head: bytes, address: Any) -> None:
        try:
            connection.setblocking(True)
            self.handler((connection, head), address, self)  # type: ignore[arg-type]
        except OSError as error:  # the client went away or stopped reading
            log.debug("HTTP client %s: %s", address, error)
        except Exception:
            log.exception("HTTP handler failed")
        finally:
            connection.close()
