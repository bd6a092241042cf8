"""What a hostile server cannot do: hold a worker, fill its memory, hammer a host."""

from __future__ import annotations

import functools
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler

import brotli
import pytest

from watcher.errors import FetchError
from watcher.fetch import Fetcher
from watcher.model import FetchResult

from .conftest import RawServer, running

MakeFetcher = Callable[..., Fetcher]
MB = 1_000_000


def fail(fetcher: Fetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url, source_id="src")
    return caught.value


# --- time -------------------------------------------------------------------------------------


def test_connect_timeout(make_fetcher: MakeFetcher, full_backlog: str):
    started = time.monotonic()
    error = fail(make_fetcher(connect_timeout=0.2), full_backlog)
    assert error.reason == f"timed out after 0.2 s connecting to {full_backlog.split('/')[2]}"
    assert time.monotonic() - started < 10  # not the minutes the server would take


def test_read_timeout(make_fetcher: MakeFetcher, silent_server: str):
    started = time.monotonic()
    error = fail(make_fetcher(timeout=0.3), silent_server)
    assert error.reason == "timed out after 0.3 s"
    assert time.monotonic() - started < 10  # not the minutes the server would take


def _trickle(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    """Send ``data`` a byte at a time, each well within any read timeout."""
    for byte in data:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        if handler.server.stopping.wait(0.02):  # type: ignore[attr-defined]
            return


def test_deadline_stops_a_body_sent_byte_by_byte(make_fetcher: MakeFetcher, raw_server: RawServer):
    @raw_server.route("/feed")
    def feed(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        _trickle(handler, b"x" * 100_000)

    started = time.monotonic()
    error = fail(make_fetcher(timeout=0.5), raw_server.url("/feed"))
    assert error.reason == "timed out after 0.5 s"
    assert time.monotonic() - started < 10  # not the minutes the server would take


def test_deadline_stops_headers_sent_byte_by_byte(
    make_fetcher: MakeFetcher, raw_server: RawServer
) -> None:
    @raw_server.route("/feed")
    def feed(handler: BaseHTTPRequestHandler) -> None:
        _trickle(handler, b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"p" * 10_000 + b"\r\n\r\n")

    started = time.monotonic()
    error = fail(make_fetcher(timeout=0.5), raw_server.url("/feed"))
    assert error.reason == "timed out after 0.5 s"
    assert time.monotonic() - started < 10  # not the minutes the server would take


def test_deadline_stops_endless_interim_responses(
    make_fetcher: MakeFetcher, raw_server: RawServer
) -> None:
    """``100 Continue`` forever: quick, small reads that http.client skips one after another."""

    @raw_server.route("/feed")
    def feed(handler: BaseHTTPRequestHandler) -> None:
        while not handler.server.stopping.wait(0.001):  # type: ignore[attr-defined]
            handler.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    error = fail(make_fetcher(timeout=0.5), raw_server.url("/feed"))
    assert error.reason == "timed out after 0.5 s"


def test_deadline_stops_a_tls_handshake_sent_byte_by_byte(
    make_fetcher: MakeFetcher, raw_server: RawServer
) -> None:
    """A server answering the ClientHello with a 16 kB handshake record, a byte at a time."""

    def hello(handler: BaseHTTPRequestHandler) -> None:
        _trickle(handler, b"\x16\x03\x03\x40\x00" + b"\x02" * 16_384)

    raw_server.RequestHandlerClass = type("Trickler", (BaseHTTPRequestHandler,), {"handle": hello})
    raw_server.scheme = "https"
    started = time.monotonic()
    error = fail(make_fetcher(timeout=0.5, connect_timeout=10), raw_server.url("/feed"))
    assert error.reason == "timed out after 0.5 s"
    assert time.monotonic() - started < 10  # not the minutes the server would take


def test_deadline_covers_the_redirects(make_fetcher: MakeFetcher, raw_server: RawServer):
    """Each hop answers in time, but together they take longer than the deadline."""

    @raw_server.route("/hop")
    def hop(handler: BaseHTTPRequestHandler) -> None:
        handler.server.stopping.wait(0.15)  # type: ignore[attr-defined]
        handler.send_response(302)
        handler.send_header("Location", f"/hop?{time.monotonic()}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    error = fail(make_fetcher(timeout=0.4, max_redirects=20), raw_server.url("/hop"))
    assert error.reason == "timed out after 0.4 s"


# --- size -------------------------------------------------------------------------------------


def test_announced_oversized_body_is_refused_unread(
    make_fetcher: MakeFetcher, raw_server: RawServer
) -> None:
    @raw_server.route("/feed")
    def feed(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(200 * MB))
        handler.end_headers()
        _stream(handler, 200 * MB)

    reason, peak, _ = _fail_measured(make_fetcher(), raw_server.url("/feed"))
    assert reason == "body larger than 10 MB (200 MB announced)"
    assert peak < 5 * MB  # nothing of the body was kept


def _stream(handler: BaseHTTPRequestHandler, total: int) -> int:
    """Write ``total`` bytes in 1 MB blocks until done or the client hangs up; return the count."""
    block, written = b"<item>spam</item>" * (MB // 17), 0
    try:
        while written < total:
            handler.wfile.write(block)
            written += len(block)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True
    return written


def _fail_measured(fetcher: Fetcher, url: str) -> tuple[str, int, float]:
    """The failure's reason, the peak traced Python memory (bytes) and the seconds taken."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        fetcher.get(url, source_id="src")
        reason = "no error"
    except FetchError as error:
        reason = error.reason
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return reason, peak, time.monotonic() - started


def test_endless_body_stops_at_the_cap_with_bounded_memory(
    make_fetcher: MakeFetcher, raw_server: RawServer, record_property: Callable[..., None]
) -> None:
    sent: list[int] = []

    @raw_server.route("/feed")
    def feed(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")  # no length: the body ends when we hang up
        handler.end_headers()
        sent.append(_stream(handler, 200 * MB))

    reason, peak, seconds = _fail_measured(make_fetcher(), raw_server.url("/feed"))
    record_property("peak_bytes", peak)
    print(f"200 MB body: peak traced memory {peak / MB:.1f} MB, {seconds:.2f} s")
    assert reason == "body larger than 10 MB"
    assert peak < 40 * MB
    assert not sent or sent[0] < 100 * MB  # the server noticed the hang-up long before the end


@functools.cache
def _bomb(encoding: str, megabytes: int) -> bytes:
    """``megabytes`` MB of zeros compressed (quickly, at level 1: about 230:1 for gzip and
    deflate, 5000:1 for brotli), built without holding them all."""
    zeros = bytes(MB)
    if encoding == "br":
        packer = brotli.Compressor(quality=1)
        return b"".join(packer.process(zeros) for _ in range(megabytes)) + packer.finish()
    squeezer = zlib.compressobj(1, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    return b"".join(squeezer.compress(zeros) for _ in range(megabytes)) + squeezer.flush()


@pytest.mark.parametrize(("encoding", "megabytes"), [("gzip", 200), ("deflate", 50), ("br", 200)])
def test_compression_bomb_stops_at_the_cap_with_bounded_memory(
    make_fetcher: MakeFetcher,
    raw_server: RawServer,
    record_property: Callable[..., None],
    encoding: str,
    megabytes: int,
) -> None:
    bomb = _bomb(encoding, megabytes)

    @raw_server.route("/feed")
    def feed(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Encoding", encoding)
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    assert len(bomb) < MB  # small on the wire
    reason, peak, seconds = _fail_measured(make_fetcher(), raw_server.url("/feed"))
    record_property("peak_bytes", peak)
    print(
        f"{encoding} bomb ({len(bomb)} B → {megabytes} MB): peak {peak / MB:.1f} MB, {seconds:.2f} s"
    )
    assert reason == "body larger than 10 MB"
    assert peak < 40 * MB


def test_a_body_at_the_cap_is_accepted(make_fetcher: MakeFetcher, raw_server: RawServer):
    @raw_server.route("/feed")
    def feed(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b"a" * 1000)

    assert (
        len(make_fetcher(max_bytes=1000).get(raw_server.url("/feed"), source_id="s").body or b"")
        == 1000
    )
    assert fail(make_fetcher(max_bytes=999), raw_server.url("/feed")).reason == (
        "body larger than 999 bytes (1 kB announced)"
    )


def test_truncated_body(make_fetcher: MakeFetcher, raw_server: RawServer):
    @raw_server.route("/feed")
    def feed(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        handler.wfile.write(b"only ten b")
        handler.close_connection = True

    error = fail(make_fetcher(), raw_server.url("/feed"))
    assert error.reason == "the connection broke before the whole body arrived"


# --- TLS --------------------------------------------------------------------------------------


def _sending(
    body: bytes, *, trickle: bool = False, clients: list[int] | None = None
) -> Callable[[BaseHTTPRequestHandler], None]:
    """A route sending ``body`` (a byte at a time when ``trickle``), noting the client's port."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        if clients is not None:
            clients.append(handler.client_address[1])
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if trickle:
            _trickle(handler, body)
        else:
            handler.wfile.write(body)

    return send


def test_untrusted_certificate_is_a_tls_error(make_fetcher: MakeFetcher, tls_server: RawServer):
    tls_server.routes["/feed"] = _sending(b"feed")
    error = fail(make_fetcher(), tls_server.url("/feed"))
    assert error.reason.startswith("TLS error: certificate verify failed: self")  # -signed…
    assert "_ssl.c" not in error.reason


@pytest.mark.usefixtures("trust_test_cert")
def test_https_reuses_its_connection(make_fetcher: MakeFetcher, tls_server: RawServer):
    clients: list[int] = []
    tls_server.routes["/feed"] = _sending(b"feed", clients=clients)
    fetcher = make_fetcher()
    first = fetcher.get(tls_server.url("/feed"), source_id="s")
    again = fetcher.get(tls_server.url("/feed"), source_id="s")
    assert first.body == again.body == b"feed"
    assert first.final_url.startswith("https://127.0.0.1:")
    assert len(clients) == 2
    assert len(set(clients)) == 1  # one pooled TLS connection answered both


@pytest.mark.usefixtures("trust_test_cert")
def test_deadline_stops_a_tls_body_sent_byte_by_byte(
    make_fetcher: MakeFetcher, tls_server: RawServer
) -> None:
    clients: list[int] = []
    tls_server.routes["/feed"] = _sending(b"x" * 100_000, trickle=True, clients=clients)
    tls_server.routes["/quick"] = _sending(b"quick", clients=clients)
    fetcher = make_fetcher(timeout=0.5)
    assert fetcher.get(tls_server.url("/quick"), source_id="s").body == b"quick"
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:  # on the pooled connection the quick one left
        fetcher.get(tls_server.url("/feed"), source_id="s")
    assert caught.value.reason == "timed out after 0.5 s"
    assert time.monotonic() - started < 10  # not the minutes the server would take
    assert len(set(clients)) == 1


# --- concurrency ------------------------------------------------------------------------------


class _Held:
    """Holds every request until the test lets one go, counting how many are in flight."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.changed = threading.Condition()
        self.gate = threading.Semaphore(0)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self.changed:
            self.now += 1
            self.most = max(self.most, self.now)
            self.changed.notify_all()
        self.gate.acquire(timeout=10)
        with self.changed:
            self.now -= 1
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    def wait_until_in_flight(self, count: int, timeout: float = 10) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.now >= count, timeout=timeout)


def _fetch_all(fetcher: Fetcher, urls: list[str], held: _Held, limit: int) -> list[bytes | None]:
    """Fetch ``urls`` from as many threads, letting one request go whenever ``limit`` are held.

    The pass/fail decision never depends on timing: with the limit honoured, more than
    ``limit`` requests can never be in flight. The short wait for one more only gives a broken
    limiter time to show itself before the first release.
    """
    started = threading.Barrier(len(urls) + 1, timeout=10)

    def get(url: str) -> FetchResult:
        started.wait()
        return fetcher.get(url, source_id="s")

    with ThreadPoolExecutor(len(urls)) as pool:
        futures = [pool.submit(get, url) for url in urls]
        started.wait()  # every thread is on its way into get()
        assert held.wait_until_in_flight(limit)
        held.wait_until_in_flight(limit + 1, timeout=0.5)
        for left in range(len(urls), 0, -1):
            assert held.wait_until_in_flight(min(limit, left))
            held.gate.release()
        return [future.result().body for future in futures]


def test_per_host_limit_is_honoured(make_fetcher: MakeFetcher, raw_server: RawServer):
    held = _Held()
    raw_server.routes["/feed"] = held.handle
    fetcher = make_fetcher(per_host=2, workers=8)
    urls = [raw_server.url(f"/feed?{n}") for n in range(8)]
    assert _fetch_all(fetcher, urls, held, limit=2) == [b"ok"] * 8
    assert held.most == 2


def test_per_host_limit_is_per_host(make_fetcher: MakeFetcher, raw_server: RawServer):
    """With one request per host, two host names for the same server still run together."""
    held = _Held()
    raw_server.routes["/feed"] = held.handle
    fetcher = make_fetcher(per_host=1)
    urls = [raw_server.url("/feed"), raw_server.url("/feed", host="localhost")]
    assert _fetch_all(fetcher, urls, held, limit=2) == [b"ok", b"ok"]
    assert held.most == 2


# --- not quite HTTP ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"", "the server closed the connection without answering"),
        (
            b"SSH-2.0-OpenSSH_9.6\r\n",
            "the server's answer is not valid HTTP: 'SSH-2.0-OpenSSH_9.6\\r\\n'",
        ),
        (
            b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n",
            "the server's answer is not valid HTTP: got more than 100 headers",
        ),
        (
            b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
            "the server's answer is not valid HTTP: got more than 65536 bytes when reading header line",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "the connection broke before the whole body arrived",
        ),
    ],
)
def test_broken_http_is_described(
    make_fetcher: MakeFetcher, replying_with: Callable[[bytes], str], answer: bytes, reason: str
) -> None:
    assert fail(make_fetcher(), replying_with(answer)).reason == reason


def test_binary_garbage_is_shown_escaped_and_short(
    make_fetcher: MakeFetcher, replying_with: Callable[[bytes], str]
) -> None:
    reason = fail(make_fetcher(), replying_with(b"\x00\xff\x1b[31m" * 500)).reason
    assert reason.startswith("the server's answer is not valid HTTP: '\\x00")
    assert "\x1b" not in reason
    assert len(reason) < 200


def test_a_redirect_with_an_endless_body_is_not_read(
    make_fetcher: MakeFetcher, raw_server: RawServer
) -> None:
    @raw_server.route("/jump")
    def jump(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "/feed")
        handler.send_header("Connection", "close")
        handler.end_headers()
        _stream(handler, 200 * MB)

    raw_server.routes["/feed"] = lambda handler: handler.send_error(404)
    reason, peak, _ = _fail_measured(make_fetcher(), raw_server.url("/jump"))
    assert reason == "HTTP 404 Not Found"
    assert peak < 10 * MB


def test_close_lets_fetches_in_flight_finish(make_fetcher: MakeFetcher, raw_server: RawServer):
    held = _Held()
    raw_server.routes["/feed"] = held.handle
    fetcher = make_fetcher()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(fetcher.get, raw_server.url("/feed"), source_id="s")
        assert held.wait_until_in_flight(1)
        fetcher.close()
        held.gate.release()
        assert running.result().body == b"ok"


def test_the_next_address_is_tried_when_one_times_out(
    make_fetcher: MakeFetcher, full_backlog: str, fake_dns: dict[str, list[str]]
) -> None:
    """A name with a dead first address (think broken IPv6) still works through the next."""
    port = int(full_backlog.split(":")[2].split("/")[0])
    fake_dns["dual.example"] = ["127.0.0.1", "127.0.0.2"]  # 127.0.0.1:port never answers
    with running(RawServer("127.0.0.2", port)) as server:
        server.routes["/feed"] = _sending(b"feed")
        result = make_fetcher(connect_timeout=0.2).get(
            f"http://dual.example:{port}/feed", source_id="s"
        )
        assert result.body == b"feed"
