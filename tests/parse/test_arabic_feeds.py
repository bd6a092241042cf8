"""Feeds shaped and encoded as Arabic outlets serve them, fetched from 127.0.0.1 and parsed.

The fixtures (tests/fixtures/feeds/arabic/): windows-1256 declared only in the XML prolog, UTF-8
declared but windows-1256 sent, ISO-8859-6 named only in the HTTP Content-Type, RSS 1.0 (RDF)
with ``dc:date``, Atom with ``+03:00`` offsets. Each entry's title must come through intact and
its date read to the outlet's instant in the source's zone. Wherever the lxml fast path accepts
a fixture, it must read it exactly as feedparser does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytest_httpserver import HTTPServer

from watcher.config import FetchSettings
from watcher.fetch import Fetcher
from watcher.model import ParsedFeed
from watcher.normalise import to_utc
from watcher.parse import parse_feed
from watcher.parse.fast import NotForFastPathError, parse_fast
from watcher.parse.feed import parse_prepared, prepare_xml

ARABIC = Path(__file__).resolve().parent.parent / "fixtures" / "feeds" / "arabic"
CAIRO, BEIRUT = ZoneInfo("Africa/Cairo"), ZoneInfo("Asia/Beirut")


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchSettings(), allow_private_networks=True) as client:
        yield client


def _served(httpserver: HTTPServer, fetcher: Fetcher, name: str, content_type: str) -> ParsedFeed:
    """The fixture served with ``content_type``, fetched and parsed as a poll does."""
    body = (ARABIC / name).read_bytes()
    httpserver.expect_request(f"/{name}").respond_with_data(body, content_type=content_type)
    result = fetcher.get(httpserver.url_for(f"/{name}"), source_id="ar")
    assert result.body == body
    return parse_feed(
        result.body, source_id="ar", url=result.final_url, content_type=result.content_type
    )


def _dates(feed: ParsedFeed, zone: ZoneInfo) -> list[datetime | None]:
    return [
        to_utc(date, zone) if (date := entry.published or entry.updated) else None
        for entry in feed.entries
    ]


def test_windows_1256_declared_only_in_the_prolog(httpserver: HTTPServer, fetcher: Fetcher):
    feed = _served(httpserver, fetcher, "egypt_windows1256.xml", "application/rss+xml")
    assert feed.warning is None
    assert feed.entries[0].title == "يان لايكه يغادر أوبن إيه آي بعد خلاف حول السلامة"
    assert _dates(feed, CAIRO) == [
        datetime(2024, 5, 14, 23, 30, tzinfo=UTC),  # 02:30 ص, Cairo in DST (+3)
        datetime(2024, 5, 16, 9, 0, tzinfo=UTC),  # 12:00 م is noon
        datetime(2024, 5, 17, 18, 45, tzinfo=UTC),
    ]


def test_utf8_declared_but_windows_1256_sent(httpserver: HTTPServer, fetcher: Fetcher):
    name = "levant_utf8_declared_windows1256_sent.xml"
    feed = _served(httpserver, fetcher, name, "application/rss+xml; charset=utf-8")
    assert feed.warning == "declared utf-8 but decoded as cp1256"
    assert feed.entries[1].title == "مجلس الوزراء يناقش الموازنة العامة"
    assert _dates(feed, BEIRUT) == [
        datetime(2024, 5, 15, 6, 15, tzinfo=UTC),
        datetime(2024, 5, 16, 15, 40, tzinfo=UTC),
        None,  # "منذ ساعتين" (two hours ago) is no date
        None,  # nor is "قبل 5 دقائق" (five minutes ago)
        None,  # no pubDate at all
    ]
    assert [entry.date_text for entry in feed.entries[2:]] == ["منذ ساعتين", "قبل 5 دقائق", None]


def test_iso_8859_6_named_only_in_the_http_header(httpserver: HTTPServer, fetcher: Fetcher):
    feed = _served(httpserver, fetcher, "iso8859_6.xml", "text/xml; charset=ISO-8859-6")
    assert b"encoding" not in (ARABIC / "iso8859_6.xml").read_bytes()[:60]
    assert [entry.title for entry in feed.entries] == [
        "وزير الخارجية يلتقي نظيره الفرنسي",
        "افتتاح معرض للفنون التشكيلية",
    ]
    assert _dates(feed, CAIRO) == [
        datetime(2024, 5, 15, 11, 30, tzinfo=UTC),
        datetime(2024, 5, 16, 17, 5, tzinfo=UTC),  # 08:05 م
    ]


def test_rss_1_0_rdf_with_dc_date(httpserver: HTTPServer, fetcher: Fetcher):
    feed = _served(httpserver, fetcher, "rdf.xml", "application/rdf+xml")
    assert feed.entries[0].title == "قمة اقتصادية عربية في الرياض"
    assert _dates(feed, BEIRUT) == [
        datetime(2024, 1, 16, 7, 0, tzinfo=UTC),  # +03:00 written: the zone does not matter
        datetime(2024, 1, 16, 8, 0, tzinfo=UTC),  # no zone: Beirut in winter (+2)
        datetime(2024, 1, 16, 19, 30, tzinfo=UTC),  # كانون الثاني, 21:30 Beirut
    ]


def test_atom_with_plus_three_offsets(httpserver: HTTPServer, fetcher: Fetcher):
    feed = _served(httpserver, fetcher, "atom.xml", "application/atom+xml")
    first, second = feed.entries
    assert first.title == "يان لايكه: ثقافة السلامة تراجعت"
    assert first.published == datetime(2024, 5, 15, 6, 15, tzinfo=UTC)
    assert first.updated == datetime(2024, 5, 15, 7, 0, tzinfo=UTC)
    assert second.published is None
    assert second.updated == datetime(2024, 5, 16, 20, 30, tzinfo=UTC)
    assert second.date_text == "2024-05-16T23:30:00+03:00"


@pytest.mark.parametrize("path", sorted(ARABIC.glob("*.xml")), ids=lambda path: path.name)
def test_the_fast_path_reads_them_as_feedparser_does(path: Path):
    prepared = prepare_xml(path.read_bytes())
    try:
        fast = parse_fast(prepared, url="https://example.org/feed")
    except NotForFastPathError:
        assert prepared.notes, path.name  # only the mis-encoded one is refused
        return
    assert fast == parse_prepared(prepared, url="https://example.org/feed")
