"""The Atom feeds, as a feed reader reads them: parsed with feedparser."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import feedparser

from tests.web.conftest import Site


def _parse(site: Site, path: str) -> feedparser.FeedParserDict:
    answer = site.get(path)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(answer.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_a_story_feed_has_the_story_items_newest_first(site: Site) -> None:
    feed = _parse(site, "/stories/exits.atom")

    assert feed.feed.title == "watcher: Sutskever and Leike leave OpenAI"
    assert feed.feed.id.startswith("urn:uuid:")
    assert feed.feed.link == site.url + "/stories/exits"
    titles = [entry.title for entry in feed.entries]
    assert len(titles) == 8 and "Markets close higher" not in titles
    published = [entry.published_parsed for entry in feed.entries]
    assert published == sorted(published, reverse=True)
    first = next(e for e in feed.entries if e.title.startswith("Jan Leike resigns"))
    assert first.link == "https://news.example.org/2024/05/17/leike-resigns"
    assert first.published == "2024-05-17T15:00:00Z"
    assert {tag.term for tag in first.tags} == {"Jan Leike", "OpenAI"}
    assert first.summary.startswith("Leike said safety culture")
    assert len({entry.id for entry in feed.entries}) == 8


def test_feed_ids_stay_the_same_from_one_fetch_to_the_next(site: Site) -> None:
    first = [e.id for e in _parse(site, "/stories/exits.atom").entries]
    again = [e.id for e in _parse(site, "/stories/exits.atom").entries]
    assert first == again


def test_the_followups_feed_has_an_entry_per_fulfilled_followup(site: Site) -> None:
    feed = _parse(site, "/followups.atom")

    assert [entry.title for entry in feed.entries] == ["Altman's promised longer post"]
    entry = feed.entries[0]
    assert entry.link == "https://blog.example.org/longer-post"
    assert entry.author == "Sam Altman"
    assert entry.summary == "Sam Altman: A longer post about safety and the superalignment team"
    assert entry.published == "2024-05-18T20:00:00Z"
    recorded = datetime.fromtimestamp(calendar.timegm(entry.updated_parsed), UTC)
    assert recorded > datetime(2025, 1, 1, tzinfo=UTC)  # when watcher found it: the poll


def test_an_unknown_story_has_no_feed(site: Site) -> None:
    answer = site.get("/stories/nope.atom")
    assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/plain")


def test_the_pages_announce_their_feed(site: Site) -> None:
    page = site.get("/stories/exits").text
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert 'href="/stories/exits.atom"' in page
