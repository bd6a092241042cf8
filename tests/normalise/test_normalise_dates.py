"""Dates in normalise: a time written without a zone is read in the source's zone; a date that
cannot be used is kept as written, flagged, and logged once per source."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from watcher import normalise
from watcher.model import Entry, Item
from watcher.normalise import date_problem, normalise_entry, to_utc

SEEN = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CAIRO, BEIRUT = ZoneInfo("Africa/Cairo"), ZoneInfo("Asia/Beirut")


@pytest.fixture(autouse=True)
def _fresh_log_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: no source's date logged yet."""
    monkeypatch.setattr(normalise, "_reported", set())


def norm(entry: Entry, *, zone: tzinfo = UTC, source_id: str = "src") -> Item:
    item = normalise_entry(
        entry,
        source_id=source_id,
        feed_url="https://ex.com/feed",
        seen_at=SEEN,
        owner=None,
        languages=["en", "ar"],
        zone=zone,
    )
    assert item is not None
    return item


def test_a_time_without_a_zone_is_read_in_the_zone_given():
    entry = Entry(link="https://ex.com/1", published=datetime(2024, 5, 15, 2, 30))
    assert norm(entry, zone=CAIRO).published == datetime(2024, 5, 14, 23, 30, tzinfo=UTC)
    assert norm(entry, zone=BEIRUT).published == datetime(2024, 5, 14, 23, 30, tzinfo=UTC)
    winter = Entry(link="https://ex.com/2", published=datetime(2024, 1, 15, 2, 30))
    assert norm(winter, zone=CAIRO).published == datetime(2024, 1, 15, 0, 30, tzinfo=UTC)
    assert norm(winter).published == datetime(2024, 1, 15, 2, 30, tzinfo=UTC)  # the default


def test_a_time_with_a_zone_ignores_the_zone_given():
    plus_three = timezone(timedelta(hours=3))
    entry = Entry(
        link="https://ex.com/1", published=datetime(2024, 1, 15, 2, 30, tzinfo=plus_three)
    )
    assert norm(entry, zone=CAIRO).published == datetime(2024, 1, 14, 23, 30, tzinfo=UTC)


def test_times_the_clocks_skip_or_repeat_take_the_offset_before_the_change():
    # Cairo went from 00:00 to 01:00 on 26 April 2024 and from 24:00 back to 23:00 on 31 October.
    skipped = to_utc(datetime(2024, 4, 26, 0, 30), CAIRO)
    assert skipped == datetime(2024, 4, 25, 22, 30, tzinfo=UTC)  # read at +2
    repeated = to_utc(datetime(2024, 10, 31, 23, 30), CAIRO)
    assert repeated == datetime(2024, 10, 31, 20, 30, tzinfo=UTC)  # read at +3, the first time


def test_an_unreadable_date_is_kept_flagged_and_logged_once_per_source(caplog):
    caplog.set_level(logging.WARNING, logger="watcher.normalise")
    first = norm(Entry(link="https://ex.com/1", date_text="منذ 3 ساعات"))
    again = norm(Entry(link="https://ex.com/2", date_text="منذ 5 ساعات"))
    other = norm(Entry(link="https://ex.com/3", date_text="أمس"), source_id="other")
    assert (first.published, first.published_estimated) == (SEEN, True)
    assert first.extra == {"unreadable_date": "منذ 3 ساعات"}
    assert again.extra == {"unreadable_date": "منذ 5 ساعات"}
    assert [record.getMessage() for record in caplog.records] == [
        "source src: the feed's date 'منذ 3 ساعات' cannot be read; its items are dated when "
        "first seen",
        "source other: the feed's date 'أمس' cannot be read; its items are dated when first seen",
    ]
    assert caplog.records[0].source == "src"
    assert other.published_estimated


def test_no_date_at_all_is_first_seen_without_a_log_line(caplog):
    item = norm(Entry(link="https://ex.com/1"))
    assert (item.published, item.published_estimated, item.extra) == (SEEN, True, {})
    assert caplog.records == []
    assert date_problem(item.extra) is None


@pytest.mark.parametrize(
    ("published", "flag", "problem"),
    [
        (datetime(1994, 12, 31, 23, 59, tzinfo=UTC), "past_date", "is before 1995"),
        (datetime(1970, 1, 1, tzinfo=UTC), "past_date", "is before 1995"),
        (SEEN + timedelta(days=1, minutes=1), "future_date", "is more than a day in the future"),
    ],
)
def test_dates_before_1995_or_a_day_ahead_are_unreadable(published, flag, problem):
    item = norm(Entry(link="https://ex.com/1", published=published, date_text="the text"))
    assert (item.published, item.published_estimated) == (SEEN, True)
    assert item.extra == {"unreadable_date": "the text", flag: published.isoformat()}
    assert date_problem(item.extra) == f"the feed's date 'the text' {problem}"


def test_the_first_day_of_1995_and_a_day_ahead_are_still_dates():
    for published in (datetime(1995, 1, 1, tzinfo=UTC), SEEN + timedelta(hours=23)):
        item = norm(Entry(link="https://ex.com/1", published=published))
        assert (item.published, item.published_estimated, item.extra) == (published, False, {})


def test_a_local_time_past_the_limit_only_in_the_zone_given_is_judged_there():
    # 1 January 1995 00:30 in Beirut is 31 December 1994 22:30 UTC: before 1995.
    entry = Entry(link="https://ex.com/1", published=datetime(1995, 1, 1, 0, 30))
    assert norm(entry, zone=BEIRUT).published_estimated
    assert not norm(entry, zone=UTC).published_estimated


def test_items_stored_before_the_text_was_kept_still_explain_themselves():
    assert date_problem({"future_date": "9999-12-31T23:59:00+00:00"}) == (
        "the feed's date '9999-12-31T23:59:00+00:00' is more than a day in the future"
    )
