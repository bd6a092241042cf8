"""Servers for the fetch tests: well-behaved (pytest-httpserver) and hostile (stdlib, below).

``raw_server`` runs a stdlib ThreadingHTTPServer on 127.0.0.1 whose routes are plain functions
writing whatever they like to the socket: slow, endless, compressed, broken. ``silent_server``
accepts connections and never answers; ``full_backlog`` is a port whose SYNs go unanswered.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from watcher.config import FetchSettings
from watcher.fetch import Fetcher

Route = Callable[[BaseHTTPRequestHandler], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RawServer

    def do_GET(self) -> None:
        route = self.server.routes.get(urlsplit(self.path).path)
        if route is None:
            self.send_error(404)
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up: that is the point of most tests

    def log_message(self, format: str, *args: Any) -> None:
        pass


class RawServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.routes: dict[str, Route] = {}
        self.stopping = threading.Event()
        self.host = host
        self.scheme = "http"

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is normal
            super().handle_error(request, client_address)

    def route(self, path: str) -> Callable[[Route], Route]:
        def register(handler: Route) -> Route:
            self.routes[path] = handler
            return handler

        return register

    def url(self, path: str = "/", host: str | None = None) -> str:
        host = host or self.host
        host = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{host}:{self.server_address[1]}{path}"


@contextlib.contextmanager
def running(server: RawServer) -> Iterator[RawServer]:
    """Serve from a thread for the duration of the block."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    with running(RawServer()) as server:
        yield server


@pytest.fixture
def other_loopback_server() -> Iterator[RawServer]:
    """A server on 127.0.0.2: another private address, for redirect tests."""
    with running(RawServer("127.0.0.2")) as server:
        yield server


@pytest.fixture
def ipv6_loopback_server() -> Iterator[RawServer]:
    try:
        server = RawServer("::1")
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    with running(server):
        yield server


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A URL whose server accepts the connection and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A URL whose listening socket has a full accept queue: new SYNs are dropped (Linux)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers = []
    for _ in range(4):  # more than the queue holds; the extra ones stay half-open
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(address)
        fillers.append(filler)
    yield f"http://127.0.0.1:{address[1]}/feed"
    for filler in fillers:
        filler.close()
    listener.close()


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., Fetcher]]:
    """Build Fetchers with test-sized settings (short timeouts); all closed afterwards."""
    made: list[Fetcher] = []

    def make(*, allow_private_networks: bool = False, **settings: Any) -> Fetcher:
        """Time-outs may be given in seconds here (a config file must name the unit)."""
        values: dict[str, Any] = {
            "timeout": timedelta(seconds=5),
            "connect_timeout": timedelta(seconds=2),
        }
        for name in ("timeout", "connect_timeout"):
            if isinstance(settings.get(name), int | float):
                settings[name] = timedelta(seconds=settings[name])
        fetcher = Fetcher(
            FetchSettings(**{**values, **settings}), allow_private_networks=allow_private_networks
        )
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture(scope="session")
def self_signed_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (needs the openssl command)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"cannot make a test certificate with openssl: {error}")
    return cert, key


@pytest.fixture
def tls_server(raw_server: RawServer, self_signed_cert: tuple[Path, Path]) -> RawServer:
    """``raw_server`` speaking HTTPS with the self-signed certificate (not trusted by default)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed_cert)
    raw_server.socket = context.wrap_socket(raw_server.socket, server_side=True)
    raw_server.scheme = "https"
    return raw_server


@pytest.fixture
def trust_test_cert(self_signed_cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make requests trust the test certificate, as if a public CA had signed it."""
    import requests.adapters

    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(self_signed_cert[0]))


@pytest.fixture
def unused_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def replying_with() -> Iterator[Callable[[bytes], str]]:
    """``replying_with(b"...")``: a URL whose server answers every request with exactly those
    bytes (no HTTP framing added) and hangs up."""
    listeners: list[socket.socket] = []

    def reply(payload: bytes) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def answer() -> None:
            with contextlib.suppress(OSError):
                while True:
                    conn, _ = listener.accept()
                    with conn:
                        conn.recv(65536)
                        conn.sendall(payload)

        threading.Thread(target=answer, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}/feed"

    yield reply
    for listener in listeners:
        listener.close()


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """Names to resolve to chosen addresses: the DNS tricks a hostile feed could play."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def lookup(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:  # type: ignore[type-arg]
        if host in names:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in names[host]
            ]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    yield names
