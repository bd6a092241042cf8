"""Article pages (``watcher.fetch.article``): untrusted URLs, a rate per host, HTML only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from watcher.config import FetchSettings
from watcher.errors import FetchError
from watcher.fetch.article import PageFetcher
from watcher.fetch.http import Fetcher

PAGE = "<html><body><p>An article.</p></body></html>"


@pytest.fixture
def page_server(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    return httpserver


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchSettings()) as opened:
        yield opened


def _on(server: HTTPServer, host: str, path: str) -> str:
    return f"http://{host}:{server.port}{path}"


def test_a_page_on_the_feeds_own_host_is_fetched_like_the_feed(
    page_server: HTTPServer, fetcher: Fetcher
) -> None:
    pages = PageFetcher(fetcher)
    feed = _on(page_server, "localhost", "/feed.xml")
    result = pages.get(_on(page_server, "localhost", "/page"), source_id="s", feed_url=feed)
    assert result.body == PAGE.encode()


def test_a_page_on_another_private_host_is_refused(
    page_server: HTTPServer, fetcher: Fetcher
) -> None:
    pages = PageFetcher(fetcher)
    feed = _on(page_server, "localhost", "/feed.xml")
    with pytest.raises(FetchError, match=r"refused: .*private address 127\.0\.0\.1"):
        pages.get(_on(page_server, "127.0.0.1", "/page"), source_id="s", feed_url=feed)


def test_a_redirect_to_a_private_address_is_refused(
    page_server: HTTPServer, fetcher: Fetcher
) -> None:
    page_server.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": _on(page_server, "127.0.0.1", "/page")}
    )
    pages = PageFetcher(fetcher)
    feed = _on(page_server, "localhost", "/feed.xml")
    with pytest.raises(FetchError, match=r"refused: .*private address 127\.0\.0\.1"):
        pages.get(_on(page_server, "localhost", "/moved"), source_id="s", feed_url=feed)


def test_allow_private_networks_lets_pages_reach_private_hosts(page_server: HTTPServer) -> None:
    with Fetcher(FetchSettings(), allow_private_networks=True) as fetcher:
        pages = PageFetcher(fetcher)
        feed = "https://feeds.example.org/rss"
        result = pages.get(_on(page_server, "127.0.0.1", "/page"), source_id="s", feed_url=feed)
    assert result.changed


def test_each_host_gets_a_burst_then_one_request_a_second(page_server: HTTPServer) -> None:
    sleeps: list[float] = []
    with Fetcher(FetchSettings(), allow_private_networks=True) as fetcher:
        pages = PageFetcher(fetcher, rate=1.0, burst=3, clock=lambda: 0.0, sleep=sleeps.append)
        feed = "https://feeds.example.org/rss"
        for _ in range(5):
            pages.get(_on(page_server, "localhost", "/page"), source_id="s", feed_url=feed)
        assert sleeps == [1.0, 2.0]  # the clock stands still: each waits behind the last
        pages.get(_on(page_server, "127.0.0.1", "/page"), source_id="s", feed_url=feed)
    assert sleeps == [1.0, 2.0]  # another host has its own budget


def test_a_body_that_is_not_html_is_refused(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/report.pdf").respond_with_data(
        b"%PDF-1.7", content_type="application/pdf"
    )
    pages = PageFetcher(fetcher)
    with pytest.raises(FetchError, match=r"not an HTML page \(application/pdf\)"):
        pages.get(
            httpserver.url_for("/report.pdf"),
            source_id="s",
            feed_url=httpserver.url_for("/feed.xml"),
        )
