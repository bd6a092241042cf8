"""RSS/Atom through feedparser: link selection, paging, dates, ill-formed feeds, non-feeds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.errors import ParseError

from .conftest import parse, rss


def test_atom_link_is_the_html_alternate_never_replies_self_edit_or_enclosure(feed_bytes):
    feed = parse(feed_bytes("atom_links.xml"))
    links = [entry.link for entry in feed.entries]
    assert links == [
        "https://example.org/posts/1?utm_source=rss",
        "posts/2",  # no rel means alternate; normalise resolves it against the feed URL
        None,  # only a replies link and a tag: id
    ]


def test_atom_feed_fields_language_and_rfc5005_next_page(feed_bytes):
    feed = parse(feed_bytes("atom_links.xml"))
    assert (feed.title, feed.link, feed.language) == ("Links test", "https://example.org/", "en")
    assert feed.next_page == "https://example.org/feed.atom?page=2"
    assert [entry.language for entry in feed.entries] == ["en", "ar", "en"]
    assert feed.entries[1].updated == datetime(2024, 5, 2, 7, 0, tzinfo=UTC)
    assert feed.warning is None


def test_rss_prev_archive_permalink_guid_and_numbered_guid(feed_bytes):
    feed = parse(feed_bytes("rss_archive.xml"))
    assert feed.next_page == "https://example.org/archive/2024-04.xml"
    permalink, numbered = feed.entries
    assert permalink.link == permalink.guid == "https://example.org/posts/permalink"
    assert permalink.published == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert (numbered.link, numbered.guid, numbered.published) == (None, "12345", None)
    assert feed.language == numbered.language == "en"


def test_ill_formed_but_readable_feed_keeps_entries_and_warns():
    body = rss(
        "<item><title>Fish & chips</title><link>https://example.org/1</link></item>"
        "<item><title>Unclosed<link>https://example.org/2</link></item>"
    ).encode()
    feed = parse(body)
    assert feed.warning and feed.warning.startswith("ill-formed feed:")
    assert feed.entries and feed.entries[0].title == "Fish & chips"


def test_title_with_cr_lf_is_kept_for_normalise_to_fold():
    feed = parse(rss("<item><title>Line one\r\nline two\rthree</title></item>").encode())
    assert "one" in feed.entries[0].title and "three" in feed.entries[0].title


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Sat, 01 Jan 0000 00:00:00 GMT", None),
        ("0000-01-01T00:00:00Z", None),
        ("Fri, 31 Dec 9999 23:59:59 GMT", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("not a date", None),
    ],
)
def test_extreme_dates_never_crash(date, expected):
    feed = parse(rss(f"<item><title>x</title><pubDate>{date}</pubDate></item>").encode())
    assert feed.entries[0].published == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not a feed: the body is empty"),
        (b"  \r\n ", "not a feed: the body is empty"),
        (b"<!DOCTYPE html><html><head><title>Hi</title></head><body>x</body></html>",
         "not a feed: looks like an HTML page"),
        (b"<html><body><p>moved</p></body></html>", "not a feed: looks like an HTML page"),
        (b'<?xml version="1.0"?><config><a>1</a></config>',
         "not a feed: XML without an RSS, RDF or Atom root element"),
        (b"\x1f\x8b\x08\x00garbage\x00\xff", "not a feed: the body is not XML or JSON"),
        (b"Hello, plain text", "not a feed: the body is not XML or JSON"),
    ],
)  # fmt: skip
def test_non_feeds_raise_parse_error_with_a_reason(body, reason):
    with pytest.raises(ParseError) as raised:
        parse(body)
    assert raised.value.reason.startswith(reason)
    assert raised.value.source_id == "test"


def test_a_feed_without_entries_is_a_feed_not_an_error():
    feed = parse(rss("").encode())
    assert feed.entries == [] and feed.title == "T"


def test_html_content_is_left_raw_for_normalise():
    item = (
        "<item><title>t</title><description>&lt;p&gt;Jan &lt;b&gt;Leike&lt;/b&gt;&lt;/p&gt;"
        "&lt;script&gt;x()&lt;/script&gt;</description></item>"
    )
    feed = parse(rss(item).encode())
    assert feed.entries[0].summary == "<p>Jan <b>Leike</b></p><script>x()</script>"


@pytest.mark.parametrize("content_type", ["application/json", "text/html", "text/plain", None])
def test_the_body_decides_the_format_not_the_content_type(content_type):
    feed = parse(rss("<item><title>x</title></item>").encode(), content_type)
    assert [entry.title for entry in feed.entries] == ["x"]


def test_bare_ampersands_and_html_entities_are_repaired_for_the_strict_parser():
    body = rss(
        "<item><title>AT&T &amp; Fish&nbsp;&hellip; &copy=2 &#8212; &bogus;</title></item>"
    ).encode()
    feed = parse(body)
    assert feed.entries[0].title == "AT&T & Fish\u00a0… &copy=2 — &bogus;"
    assert feed.warning == "ill-formed feed: bare '&' or undefined HTML entities, repaired"


def test_blank_lines_before_the_xml_declaration_are_no_fault():
    feed = parse(b"\n\n  " + rss("<item><title>x</title></item>").encode())
    assert [entry.title for entry in feed.entries] == ["x"] and feed.warning is None


def test_declared_entities_are_not_rewritten():
    body = rss(
        "<item><title>&copyright; &nbsp;</title></item>",
        declaration='<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY copyright "(C) Ex">\n]>',
    ).encode()
    assert parse(body).entries[0].title.startswith("(C) Ex")


def test_authors_are_names_without_email_addresses():
    items = (
        "<item><title>a</title><author>jan@example.org (Jan Leike)</author></item>"
        "<item><title>b</title><dc:creator>Jan Leike</dc:creator><dc:creator>Ada</dc:creator></item>"
        "<item><title>c</title><author>jan@example.org</author></item>"
    )
    body = rss(items).replace(
        '<rss version="2.0">', '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    )
    feed = parse(body.encode())
    assert [entry.author for entry in feed.entries] == [
        "Jan Leike",
        "Jan Leike, Ada",
        "jan@example.org",
    ]


def test_item_scoped_xml_base_applies_to_its_item_only():
    items = (
        '<item xml:base="https://other.example/first/"><title>a</title><link>one</link></item>'
        "<item><title>b</title><link>two</link></item>"
    )
    links = [entry.link for entry in parse(rss(items).encode()).entries]
    assert links == ["https://other.example/first/one", "https://example.org/two"]


def test_relative_links_and_permalink_guids_are_left_for_normalise_to_resolve():
    items = (
        "<item><title>a</title><link>/posts/a</link></item>"
        "<item><title>b</title><guid>/posts/b</guid></item>"
        '<item><title>c</title><guid isPermaLink="false">/posts/c</guid></item>'
    )
    feed = parse(rss(items).encode())
    assert [entry.link for entry in feed.entries] == ["/posts/a", "/posts/b", None]


def test_broken_links_are_dropped_not_raised():
    body = rss("<item><title>t</title><link>http://[broken/a</link></item>")
    feed = parse(body.replace("https://example.org/", "http://[broken/").encode())
    assert feed.link is None and feed.entries[0].link is None
