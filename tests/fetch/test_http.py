"""Fetcher.get against a real HTTP server: conditional GET, statuses, encodings, redirects."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler

import brotli
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from watcher import __version__
from watcher.errors import FetchError
from watcher.fetch import USER_AGENT, Fetcher, parse_retry_after

from .conftest import RawServer

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
MakeFetcher = Callable[..., Fetcher]


def fail(fetcher: Fetcher, url: str, **kwargs: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url, source_id="src", **kwargs)
    assert caught.value.source_id == "src"
    assert caught.value.url == url
    return caught.value


def test_200_returns_body_type_and_validators(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    httpserver.expect_request("/feed").respond_with_data(
        FEED,
        content_type="application/rss+xml",
        headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"},
    )
    result = make_fetcher().get(httpserver.url_for("/feed"), source_id="src")
    assert result.status == 200
    assert result.changed is True
    assert result.body == FEED
    assert result.content_type == "application/rss+xml"
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert result.url == result.final_url == httpserver.url_for("/feed")
    assert result.elapsed > 0


def test_etag_then_304(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    httpserver.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304
    )
    httpserver.expect_request("/feed").respond_with_data(FEED, headers={"ETag": '"v1"'})
    fetcher = make_fetcher()
    first = fetcher.get(httpserver.url_for("/feed"), source_id="src")
    second = fetcher.get(httpserver.url_for("/feed"), source_id="src", etag=first.etag)
    assert (second.status, second.changed, second.body) == (304, False, None)
    assert second.etag == '"v1"'  # the server sent none with the 304: the old one is kept


def test_last_modified_then_304(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"
    httpserver.expect_request("/feed", headers={"If-Modified-Since": stamp}).respond_with_data(
        "", status=304, headers={"ETag": '"new"'}
    )
    result = make_fetcher().get(httpserver.url_for("/feed"), source_id="src", last_modified=stamp)
    assert result.changed is False
    assert result.last_modified == stamp
    assert result.etag == '"new"'  # a validator sent with the 304 replaces the old one


def test_unconditional_get_sends_no_validators(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    httpserver.expect_request("/snapshot").respond_with_data(FEED)
    result = make_fetcher().get(httpserver.url_for("/snapshot"), source_id="archive")
    request, _ = httpserver.log[0]
    assert "If-None-Match" not in request.headers
    assert "If-Modified-Since" not in request.headers
    assert result.body == FEED


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (404, "HTTP 404 Not Found"),
        (410, "HTTP 410 Gone"),
        (500, "HTTP 500 Internal Server Error"),
        (403, "HTTP 403 Forbidden"),
        (300, "HTTP 300 Multiple Choices"),
    ],
)
def test_error_statuses(
    httpserver: HTTPServer, make_fetcher: MakeFetcher, status: int, reason: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data("nope", status=status)
    error = fail(make_fetcher(), httpserver.url_for("/feed"))
    assert error.reason == reason
    assert error.retry_after is None
    assert reason in str(error)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds(httpserver: HTTPServer, make_fetcher: MakeFetcher, status: int):
    httpserver.expect_request("/feed").respond_with_data(
        "slow down", status=status, headers={"Retry-After": "120"}
    )
    error = fail(make_fetcher(), httpserver.url_for("/feed"))
    assert error.retry_after == 120
    assert error.reason.startswith(f"HTTP {status} ")
    assert error.reason.endswith(" (retry after 120 s)")


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_as_a_date(httpserver: HTTPServer, make_fetcher: MakeFetcher, status: int):
    back = datetime.now(UTC) + timedelta(hours=2)
    httpserver.expect_request("/feed").respond_with_data(
        "maintenance", status=status, headers={"Retry-After": format_datetime(back, usegmt=True)}
    )
    error = fail(make_fetcher(), httpserver.url_for("/feed"))
    assert error.retry_after is not None
    assert abs(error.retry_after - 7200) < 60


def test_a_retry_after_beyond_max_backoff_is_the_cap(
    httpserver: HTTPServer, make_fetcher: MakeFetcher
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "later", status=429, headers={"Retry-After": "99999999999999"}
    )
    error = fail(make_fetcher(), httpserver.url_for("/feed"))
    assert error.retry_after == 24 * 3600  # fetch.max_backoff's default


def test_429_reason(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    httpserver.expect_request("/feed").respond_with_data("", 429, {"Retry-After": "30"})
    error = fail(make_fetcher(), httpserver.url_for("/feed"))
    assert error.reason == "HTTP 429 Too Many Requests (retry after 30 s)"


def test_retry_after_is_ignored_on_other_statuses(
    httpserver: HTTPServer, make_fetcher: MakeFetcher
) -> None:
    httpserver.expect_request("/feed").respond_with_data("", 500, {"Retry-After": "30"})
    assert fail(make_fetcher(), httpserver.url_for("/feed")).retry_after is None


NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 01 Jan 2025 12:05:00 GMT", 300.0),
        ("Wed, 01 Jan 2025 11:00:00 GMT", 0.0),  # in the past: now
        ("Wed, 01 Jan 2025 12:01:00 -0000", 60.0),
        ("Wednesday, 01-Jan-25 12:00:30 GMT", 30.0),  # RFC 850, still allowed by RFC 9110
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("99999999999999", 86400.0),  # clamped to the cap before any arithmetic
        ("9" * 400, 86400.0),  # beyond a float: still the cap
        ("Fri, 31 Dec 9999 23:59:59 GMT", 86400.0),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW, cap=86400.0) == seconds


def test_garbage_bytes_are_returned_for_the_parser(
    httpserver: HTTPServer, make_fetcher: MakeFetcher
) -> None:
    garbage = bytes(range(256)) * 40
    httpserver.expect_request("/feed").respond_with_data(
        garbage, content_type="application/rss+xml"
    )
    assert make_fetcher().get(httpserver.url_for("/feed"), source_id="src").body == garbage


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_compressed_bodies_are_decoded(
    httpserver: HTTPServer,
    make_fetcher: MakeFetcher,
    encoding: str,
    compress: Callable[[bytes], bytes],
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        compress(FEED * 100), headers={"Content-Encoding": encoding}
    )
    assert make_fetcher().get(httpserver.url_for("/feed"), source_id="src").body == FEED * 100
    request, _ = httpserver.log[0]
    assert {"gzip", "deflate", "br"} <= set(
        request.headers["Accept-Encoding"].replace(" ", "").split(",")
    )


def test_corrupt_gzip_is_reported(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    httpserver.expect_request("/feed").respond_with_data(
        b"this is not gzip at all", headers={"Content-Encoding": "gzip"}
    )
    error = fail(make_fetcher(), httpserver.url_for("/feed"))
    assert error.reason.startswith("could not decode the compressed body")


def test_user_agent_names_the_project_and_can_be_overridden(
    httpserver: HTTPServer, make_fetcher: MakeFetcher
) -> None:
    httpserver.expect_request("/feed").respond_with_data(FEED)
    make_fetcher().get(httpserver.url_for("/feed"), source_id="src")
    make_fetcher(user_agent="MyBot/2").get(httpserver.url_for("/feed"), source_id="src")
    agents = [request.headers["User-Agent"] for request, _ in httpserver.log]
    assert agents == [USER_AGENT, "MyBot/2"]
    assert USER_AGENT.startswith(f"watcher/{__version__} (")
    assert "://" not in USER_AGENT


def _redirect_chain(httpserver: HTTPServer, hops: int) -> str:
    for hop in range(hops):
        httpserver.expect_request(f"/r{hop}").respond_with_data(
            "", status=302 if hop % 2 else 301, headers={"Location": f"/r{hop + 1}"}
        )
    httpserver.expect_request(f"/r{hops}").respond_with_data(FEED)
    return httpserver.url_for("/r0")


def test_five_redirects_are_followed(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    result = make_fetcher().get(_redirect_chain(httpserver, 5), source_id="src")
    assert result.body == FEED
    assert result.final_url == httpserver.url_for("/r5")
    assert result.url == httpserver.url_for("/r0")


def test_six_redirects_are_refused(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    error = fail(make_fetcher(), _redirect_chain(httpserver, 6))
    assert error.reason.startswith("too many redirects (6")
    assert len(httpserver.log) == 6  # the sixth Location was never requested


def test_max_redirects_comes_from_settings(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    error = fail(make_fetcher(max_redirects=1), _redirect_chain(httpserver, 2))
    assert error.reason.startswith("too many redirects (2")


def test_redirect_loop_is_detected(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    httpserver.expect_request("/a").respond_with_data("", 302, {"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", 307, {"Location": "/a"})
    error = fail(make_fetcher(), httpserver.url_for("/a"))
    assert error.reason.startswith("redirect loop")
    assert len(httpserver.log) == 2


def test_redirect_without_location(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    httpserver.expect_request("/a").respond_with_data("", 302)
    assert fail(make_fetcher(), httpserver.url_for("/a")).reason == (
        "HTTP 302 redirect without a Location header"
    )


def test_redirect_to_another_scheme_is_refused(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    httpserver.expect_request("/a").respond_with_data("", 302, {"Location": "file:///etc/passwd"})
    assert fail(make_fetcher(), httpserver.url_for("/a")).reason.startswith(
        "refused: redirects to a file URL"
    )


def test_cookies_last_one_fetch(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    """A cookie set on a redirect is sent on the next hop, but never to a later fetch."""

    def entry(request: Request) -> Response:
        response = Response("", status=302, headers={"Location": "/feed"})
        response.set_cookie("consent", "yes")
        return response

    def feed(request: Request) -> Response:
        return Response(request.cookies.get("consent", "none"))

    httpserver.expect_request("/entry").respond_with_handler(entry)
    httpserver.expect_request("/feed").respond_with_handler(feed)
    fetcher = make_fetcher()
    assert fetcher.get(httpserver.url_for("/entry"), source_id="a").body == b"yes"
    assert fetcher.get(httpserver.url_for("/feed"), source_id="b").body == b"none"


def test_fetcher_is_a_context_manager(httpserver: HTTPServer, make_fetcher: MakeFetcher):
    httpserver.expect_request("/feed").respond_with_data(FEED)
    with make_fetcher() as fetcher:
        assert fetcher.get(httpserver.url_for("/feed"), source_id="src").body == FEED


def test_connection_refused(make_fetcher: MakeFetcher, unused_port: int):
    error = fail(make_fetcher(), f"http://127.0.0.1:{unused_port}/feed")
    assert error.reason == f"could not connect to 127.0.0.1:{unused_port}: Connection refused"


def test_dns_failure(make_fetcher: MakeFetcher, monkeypatch: pytest.MonkeyPatch):
    import socket

    real = socket.getaddrinfo

    def lookup(host: str, *args: object, **kwargs: object) -> object:
        if host == "feeds.nowhere.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    error = fail(make_fetcher(), "https://feeds.nowhere.example/rss")
    assert error.reason == "DNS lookup failed for host feeds.nowhere.example"


def test_invalid_url(make_fetcher: MakeFetcher):
    assert fail(make_fetcher(), "http://").reason.startswith("invalid URL")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1/feed", "invalid URL: Invalid IPv6 URL"),
        ("http://example.com:99999/", "invalid URL: Port out of range 0-65535"),
        (
            "http://" + "a" * 100 + ".example/",
            "DNS lookup failed for host " + "a" * 100 + ".example",
        ),
    ],
)
def test_malformed_urls(make_fetcher: MakeFetcher, url: str, reason: str):
    assert fail(make_fetcher(), url).reason == reason


@pytest.mark.parametrize("location", ["http://[::1/feed", "http://example.com:99999/"])
def test_redirect_to_a_malformed_url(
    raw_server: RawServer, make_fetcher: MakeFetcher, location: str
) -> None:
    @raw_server.route("/a")
    def jump(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    assert fail(make_fetcher(), raw_server.url("/a")).reason == (
        f"redirects to an invalid URL: {location}"
    )


def test_a_304_keeps_its_connection_for_the_next_fetch(
    raw_server: RawServer, make_fetcher: MakeFetcher
) -> None:
    peers: set[tuple[str, int]] = set()

    @raw_server.route("/feed")
    def not_modified(handler: BaseHTTPRequestHandler) -> None:
        peers.add(handler.client_address)
        handler.send_response(304)
        handler.send_header("ETag", '"v1"')
        handler.end_headers()

    fetcher = make_fetcher()
    for _ in range(3):
        assert not fetcher.get(raw_server.url("/feed"), source_id="s", etag='"v1"').changed
    assert len(peers) == 1
