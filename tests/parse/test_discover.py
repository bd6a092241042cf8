"""Feed discovery (``watcher.parse.discover``) against a site served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from watcher.config import FetchSettings
from watcher.fetch.http import Fetcher
from watcher.parse.discover import DiscoveryError, discover_feed, feed_links

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>{title}</title><link>https://circuit.example.com/</link>
<item><title>Leike resigns</title><link>https://circuit.example.com/a</link></item>
</channel></rss>"""

SITE_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>The Daily Circuit</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="The Daily Circuit &raquo; Comments Feed"
      href="/comments/feed/">
<link rel="alternate" type="application/feed+json" title="JSON Feed" href="/feed.json">
<link rel="alternate" type="application/rss+xml" title="The Daily Circuit &raquo; Feed" href="/feed/">
<link rel="alternate" hreflang="ar" href="/ar/">
</head><body><h1>The Daily Circuit</h1><p>Technology news.</p></body></html>"""


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchSettings()) as opened:
        yield opened


def test_links_are_the_sites_feeds_rss_and_atom_first_comments_left_out() -> None:
    links = feed_links(SITE_PAGE.encode(), "https://circuit.example.com/2024/05/story")
    assert links == ["https://circuit.example.com/feed/", "https://circuit.example.com/feed.json"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<base href="https://cdn.example.net/site/"><link rel="alternate" '
         'type="application/atom+xml" href="atom.xml">', ["https://cdn.example.net/site/atom.xml"]),
        ('<link rel="Alternate Feed" type="Application/RSS+XML; charset=utf-8" href="/rss">',
         ["https://example.org/rss"]),
        ('<link rel="alternate" type="application/rss+xml" title="خلاصة التعليقات" href="/c">'
         '<link rel="alternate" type="application/rss+xml" href="/ar/feed">',
         ["https://example.org/ar/feed"]),
        ('<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">', []),
        ('<link rel="alternate" type="text/html" href="/amp">', []),
    ],
)  # fmt: skip
def test_links_are_resolved_and_odd_ones_ignored(head: str, expected: list[str]) -> None:
    page = f"<html><head>{head}</head><body></body></html>".encode()
    assert feed_links(page, "https://example.org/page") == expected


def test_a_page_leads_to_its_feed_past_the_comments_feed(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    httpserver.expect_request("/").respond_with_data(SITE_PAGE, content_type="text/html")
    httpserver.expect_request("/comments/feed/").respond_with_data(
        RSS.format(title="Comments"), content_type="application/rss+xml"
    )
    httpserver.expect_request("/feed/").respond_with_data(
        RSS.format(title="The Daily Circuit"), content_type="application/rss+xml"
    )
    found = discover_feed(httpserver.url_for("/"), fetcher)
    assert (found.url, found.title) == (httpserver.url_for("/feed/"), "The Daily Circuit")
    assert [entry.path for entry, _ in httpserver.log] == ["/", "/feed/"]


def test_a_feed_url_is_its_own_feed(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/rss").respond_with_data(RSS.format(title="Wire"))
    found = discover_feed(httpserver.url_for("/rss"), fetcher)
    assert (found.url, found.title, found.site) == (
        httpserver.url_for("/rss"),
        "Wire",
        "https://circuit.example.com/",
    )


def test_a_page_without_links_leads_to_a_feed_at_a_common_path(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    httpserver.expect_request("/blog/").respond_with_data(
        "<html><head><title>Blog</title></head><body>Posts</body></html>",
        content_type="text/html",
    )
    httpserver.expect_request("/atom.xml").respond_with_data(RSS.format(title="Blog"))
    found = discover_feed(httpserver.url_for("/blog/"), fetcher)
    assert found.url == httpserver.url_for("/atom.xml")


def test_a_feed_linked_on_another_private_host_is_not_fetched(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    elsewhere = f"http://127.0.0.1:{httpserver.port}/feed/"
    page = SITE_PAGE.replace('href="/feed/"', f'href="{elsewhere}"')
    httpserver.expect_request("/").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/feed/").respond_with_data(RSS.format(title="Private"))
    with pytest.raises(DiscoveryError) as raised:
        discover_feed(httpserver.url_for("/"), fetcher)
    message = str(raised.value)
    assert f"{elsewhere} (refused: " in message
    assert "/rss.xml (HTTP 500 " in message  # and every usual path was tried


def test_an_address_that_fails_says_so(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/gone").respond_with_data("", status=410)
    with pytest.raises(DiscoveryError, match=r"/gone: HTTP 410 Gone"):
        discover_feed(httpserver.url_for("/gone"), fetcher)
