"""Engine answers → entries: the publisher's URL, the outlet, a clean title, the engine's time."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from tests.search.engines import (
    bing_rss,
    gdelt_json,
    google_link_token,
    google_rss,
)
from watcher.errors import ParseError
from watcher.parse.search import (
    bing_publisher_url,
    google_publisher_url,
    parse_bing_news,
    parse_gdelt,
    parse_google_news,
    strip_outlet,
)

WHEN = datetime(2024, 5, 17, 15, 3, tzinfo=UTC)
URL = "http://engine.test/q"


def _article(**given: object) -> dict[str, object]:
    return {
        "url": "https://www.theverge.com/2024/5/17/leike?utm_source=gdelt",
        "title": "Jan Leike resigns , citing safety ( again ) - The Verge",
        "published": WHEN,
        "outlet": "The Verge",
        "domain": "theverge.com",
        "language": "English",
        "country": "United States",
        "summary": "Leike said safety took a backseat.",
    } | given


# --- GDELT ----------------------------------------------------------------------------------


def test_gdelt_articles_become_entries_at_the_publishers_url() -> None:
    (entry,) = parse_gdelt(gdelt_json([_article()]), source_id="s", url=URL)
    assert entry.link == "https://www.theverge.com/2024/5/17/leike?utm_source=gdelt"
    assert entry.title == "Jan Leike resigns, citing safety (again)"
    assert entry.published == WHEN
    assert entry.language == "en"
    assert entry.extra["outlet"] == "theverge.com"
    assert entry.extra["engine"] == "gdelt"


@pytest.mark.parametrize("body", [b"", b"  \n", b"{}", b'{"articles": null}', b"\xef\xbb\xbf{}"])
def test_gdelt_no_results(body: bytes) -> None:
    assert parse_gdelt(body, source_id="s", url=URL) == []


@pytest.mark.parametrize(
    "text",
    [
        "Queries containing OR'd terms must be surrounded by ().",
        "Your query was too short or too long.",
        "<html><body>Please limit requests to one every 5 seconds.</body></html>",
    ],
)
def test_gdelt_plain_text_answers_are_errors_quoting_gdelt(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_gdelt(text.encode(), source_id="gdelt-exits", url=URL)
    assert caught.value.reason.startswith("GDELT answered: ")
    assert caught.value.reason.removeprefix("GDELT answered: ").strip("<>") in text


def test_gdelt_json_with_stray_backslashes_and_control_characters_still_reads() -> None:
    body = b'{"articles": [{"url": "https://a.example/x", "title": "Leike\\x \tquits\x01"}]}'
    (entry,) = parse_gdelt(body, source_id="s", url=URL)
    assert entry.link == "https://a.example/x"
    assert "quits" in (entry.title or "")


def test_gdelt_broken_json_is_an_error() -> None:
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_gdelt(b'{"articles": [{"url": ', source_id="s", url=URL)


def test_gdelt_hostile_answers_are_bounded() -> None:
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_gdelt(b'{"articles": ' + b"[" * 200_000, source_id="s", url=URL)
    many = [_article(url=f"https://a.example/{i}") for i in range(3000)]
    assert len(parse_gdelt(gdelt_json(many), source_id="s", url=URL)) == 1000
    (long,) = parse_gdelt(gdelt_json([_article(title="x" * 100_000)]), source_id="s", url=URL)
    assert len(long.title or "") <= 2000


def test_gdelt_skips_what_is_not_an_article() -> None:
    body = json.dumps({"articles": [1, {"title": "no url"}, {"url": 5}, None]}).encode()
    assert parse_gdelt(body, source_id="s", url=URL) == []


def test_gdelt_unknown_language_and_bad_dates_are_left_out() -> None:
    body = json.dumps(
        {
            "articles": [
                {"url": "https://a.example/x", "seendate": "yesterday", "language": "Elvish"}
            ]
        }
    ).encode()
    (entry,) = parse_gdelt(body, source_id="s", url=URL)
    assert entry.published is None and entry.language is None


# --- Google News ----------------------------------------------------------------------------


def test_google_news_old_links_give_the_publishers_url() -> None:
    link = "https://news.google.com/rss/articles/" + google_link_token(
        "https://www.theverge.com/2024/5/17/leike"
    )
    assert google_publisher_url(link + "?oc=5") == "https://www.theverge.com/2024/5/17/leike"


@pytest.mark.parametrize(
    "link",
    [
        "https://news.google.com/rss/articles/CBMiVkFVX3lxTE9wYXF1ZQ?oc=5",  # a new, opaque ID
        "https://news.google.com/rss/articles/!!!not-base64",
        "https://news.google.com/topics/abc",
        "https://news.google.com/rss/articles/" + base64.urlsafe_b64encode(b"\x22\xff").decode(),
    ],
)
def test_google_news_links_without_a_url_give_none(link: str) -> None:
    assert google_publisher_url(link) is None


def test_google_news_items() -> None:
    body = google_rss(
        [
            _article(title="Jan Leike resigns - The Verge", outlet_url="https://www.theverge.com"),
            _article(
                url="https://aljazeera.net/x",
                title="يان لايكي يستقيل - الجزيرة نت",
                outlet="الجزيرة نت",
                outlet_url="https://www.aljazeera.net",
                opaque=True,
            ),
        ],
        base="https://news.google.com",
    )
    verge, arabic = parse_google_news(body, source_id="s", url=URL)
    assert verge.link == "https://www.theverge.com/2024/5/17/leike?utm_source=gdelt"
    assert verge.title == "Jan Leike resigns"
    assert verge.published == WHEN
    assert verge.extra["outlet"] == "The Verge"
    assert verge.extra["outlet_url"] == "https://www.theverge.com"
    assert arabic.title == "يان لايكي يستقيل"
    assert arabic.link is not None and arabic.link.startswith(
        "https://news.google.com/rss/articles/"
    )
    assert arabic.extra["search_link"] == arabic.link  # kept, to be followed if it matters


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<!DOCTYPE html><html><body>unusual traffic</body></html>", "HTML page, not RSS"),
        (b"<rss><channel><item>", "not RSS"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "not RSS"),
        (b"", "not RSS"),
    ],
)
def test_google_news_answers_that_are_not_rss(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_google_news(body, source_id="s", url=URL)


def test_rss_entities_are_not_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><title>&x;Leike</title><link>https://a.example/1</link>"
        b"</item></channel></rss>"
    )
    (entry,) = parse_google_news(body, source_id="s", url=URL)
    assert "root:" not in (entry.title or "")


# --- Bing News ------------------------------------------------------------------------------


def test_bing_links_give_the_publishers_url() -> None:
    link = (
        "http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=66a1&url=https%3a%2f%2f"
        "www.example.com%2fa%3fid%3d1%26utm_source%3dbing&c=123&mkt=en-us"
    )
    assert bing_publisher_url(link) == "https://www.example.com/a?id=1&utm_source=bing"
    assert bing_publisher_url("http://www.bing.com/news/apiclick.aspx?url=javascript:x") is None
    assert bing_publisher_url("https://www.example.com/a?url=https://b.example") is None


def test_bing_items() -> None:
    body = bing_rss([_article(title="Jan Leike resigns | The Verge")])
    (entry,) = parse_bing_news(body, source_id="s", url=URL)
    assert entry.link == "https://www.theverge.com/2024/5/17/leike?utm_source=gdelt"
    assert entry.title == "Jan Leike resigns"
    assert entry.summary == "Leike said safety took a backseat."
    assert entry.extra["outlet"] == "The Verge"
    assert entry.published == WHEN


# --- titles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "outlets", "expected"),
    [
        ("Leike resigns - The Verge", ["The Verge"], "Leike resigns"),
        ("Leike resigns – THE VERGE", ["The Verge"], "Leike resigns"),
        ("Leike resigns | CNN Business", ["edition", "cnn"], "Leike resigns"),
        ("يان لايكي يستقيل - الجزيرة نت", ["الجزيرة نت"], "يان لايكي يستقيل"),
        ("Leike resigns - and why it matters", ["The Verge"], "Leike resigns - and why it matters"),
        ("- The Verge", ["The Verge"], "- The Verge"),
        ("Safety - a short history", [], "Safety - a short history"),
    ],
)
def test_strip_outlet(title: str, outlets: list[str], expected: str) -> None:
    assert strip_outlet(title, *outlets) == expected
