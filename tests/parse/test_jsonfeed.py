"""JSON Feed 1.0 and 1.1, which feedparser 6.0.x does not read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.errors import ParseError
from watcher.parse.feed import MAX_ENTRIES

from .conftest import parse


def test_json_feed_1_0(feed_bytes):
    feed = parse(feed_bytes("jsonfeed_10.json"))
    assert (feed.title, feed.link) == ("JSON Feed 1.0", "https://example.org/")
    assert feed.next_page == "https://example.org/feed.json?page=2"
    first, second = feed.entries  # the string item is skipped
    assert first.guid == "1" and first.link == "https://example.org/posts/1"
    assert first.content == "<p>Hello <b>world</b></p>" and first.summary == "Hello"
    assert first.author == "Ada"
    assert first.published == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert second.guid == "2" and second.link == "https://elsewhere.example.com/story"
    assert second.content == "A link post without its own page."
    assert second.updated == datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    assert second.author == "Feed Author"  # the feed's author stands in for the item's


def test_json_feed_1_1_authors_and_languages(feed_bytes):
    feed = parse(feed_bytes("jsonfeed_11.json"))
    arabic, english = feed.entries
    assert feed.language == "ar"
    assert arabic.author == "Layla, Omar" and arabic.language == "ar"
    assert english.language == "en" and english.published is None


@pytest.mark.parametrize("codec", ["utf-8", "utf-16", "utf-16-le", "utf-32", "utf-32-be"])
def test_json_feed_in_any_unicode_encoding(feed_bytes, codec):
    text = feed_bytes("jsonfeed_11.json").decode("utf-8")
    feed = parse(text.encode(codec))
    assert feed.entries[0].title == "وزير الخارجية يلتقي نظيره"


def test_json_content_type_with_leading_whitespace():
    body = b'\n  {"version": "https://jsonfeed.org/version/1.1", "items": []}'
    assert parse(body, content_type="application/feed+json").entries == []


def test_entries_are_capped():
    items = ",".join(f'{{"id": "{i}", "content_text": "x"}}' for i in range(MAX_ENTRIES + 5))
    feed = parse(f'{{"version": "https://jsonfeed.org/version/1", "items": [{items}]}}'.encode())
    assert len(feed.entries) == MAX_ENTRIES
    assert feed.warning == f"only the first {MAX_ENTRIES} entries were read"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "not a feed: invalid JSON"),
        (b'{"rss": {"channel": {}}}', "not a feed: JSON without a JSON Feed"),
        (b"[1, 2, 3]", "not a feed: JSON without a JSON Feed"),
        (b"[" * 100_000 + b"]" * 100_000, "not a feed:"),
    ],
)
def test_json_that_is_not_a_feed(body, reason):
    with pytest.raises(ParseError) as raised:
        parse(body)
    assert raised.value.reason.startswith(reason)


def test_broken_urls_are_dropped():
    body = (
        b'{"version": "https://jsonfeed.org/version/1", "next_url": "http://[x",'
        b' "items": [{"id": "1", "url": "http://[x/a", "content_text": "t"}]}'
    )
    feed = parse(body)
    assert feed.next_page is None and feed.entries[0].link is None
