"""Promises in authored posts: what counts, where it is, and the due date its horizon gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from watcher.match.promises import Promise, find_promises

FRIDAY = datetime(2024, 5, 17, 19, 0, tzinfo=UTC)


def only(text: str, published: datetime = FRIDAY) -> Promise:
    (promise,) = find_promises(text, published)
    return promise


def test_altmans_promise() -> None:
    text = (
        "i'm super appreciative of @janleike's contributions to openai's alignment research and "
        "safety culture, and very sad to see him leave. he's right we have a lot more to do; we "
        "are committed to doing it. i'll have a longer post in the next couple of days."
    )
    promise = only(text)
    assert promise.phrase == "i'll have a longer post in the next couple of days."
    assert text[promise.start : promise.end] == promise.phrase
    assert promise.cue == "i'll have a longer post"
    assert promise.horizon == "in the next couple of days"
    assert promise.due == date(2024, 5, 20)


@pytest.mark.parametrize(
    ("text", "horizon", "days"),
    [
        ("Will post a thread on this later today.", "later today", 1),
        ("Full details tomorrow.", "tomorrow", 1),
        ("A post-mortem will follow within 48 hours.", "within 48 hours", 2),
        ("More details to follow in the next few days.", "in the next few days", 5),
        ("I'm going to say more about this later this week.", "later this week", 2),
        ("I'll share what I'm working on next week.", "next week", 7),
        ("We will share more in the coming weeks.", "in the coming weeks", 21),
        ("We'll publish it in a blog post next month.", "next month", 30),
        ("We plan to publish the results by the end of the month.", "by the end of the month", 14),
        ("A longer writeup is coming shortly.", "shortly", 7),
        ("More soon.", "soon", 14),
        ("Stay tuned.", None, 14),
        ("We're going to publish the full report on Tuesday.", "Tuesday", 4),
        ("We'll stream on Friday.", "Friday", 7),  # the next Friday, not today
        ("We will announce the new board members by June 1.", "June 1", 15),
        ("سأنشر تدوينة أطول خلال اليومين المقبلين.", "خلال اليومين المقبلين", 3),
        ("سننشر المزيد من التفاصيل قريبًا.", "قريبًا", 14),
        ("سأكتب عن هذا بالتفصيل غدًا.", "غدًا", 1),
        ("ترقبوا إعلانًا مهمًا الأسبوع المقبل.", "الأسبوع المقبل", 7),
        ("سنعلن عن الأسماء خلال الأيام المقبلة.", "خلال الأيام المقبلة", 5),
        ("سنشارك تقريرنا الكامل يوم الإثنين.", "الإثنين", 3),
        ("سننشر الورقة كاملة في 3 حزيران.", "3 حزيران", 17),
        ("سيُنشر التقرير الكامل في غضون أيام.", "في غضون أيام", 5),
        ("وسنوافيكم بالتفاصيل لاحقًا.", "لاحقًا", 14),
    ],
)
def test_horizons_give_due_dates(text: str, horizon: str | None, days: int) -> None:
    promise = only(text)
    assert (promise.horizon, promise.due) == (horizon, FRIDAY.date() + timedelta(days=days))


@pytest.mark.parametrize(
    "text",
    [
        "Jan said he would share more about his reasons later.",
        "Will OpenAI share more about its safety work soon?",
        "If there's interest, I'll write something longer.",
        'As Ilya put it: "we will share more soon".',
        "RT @janleike: I'll share more in the coming days",
        "We won't be sharing more details at this time.",
        "We will not publish the report.",
        "I posted a longer thread yesterday.",
        "Coming soon to stores near you.",
        "We will continue to invest in safety research.",
        "قال إنه سينشر تدوينة أطول لاحقا.",
        "سينشر يان لايكي تفاصيل أكثر قريبا.",  # "he will publish": no damma, no passive
        "هل ستنشرون التفاصيل قريبا؟",
        "«سننشر المزيد قريبا» هكذا قالت الشركة.",
        "لن ننشر أي تفاصيل إضافية.",
        "قريبا في الأسواق.",
        "إذا سمح الوقت سأكتب شيئا أطول.",
    ],
)
def test_not_promises(text: str) -> None:
    assert find_promises(text, FRIDAY) == []


def test_a_due_date_counts_from_the_utc_day_of_publication() -> None:
    riyadh_sunday_morning = datetime(2024, 5, 19, 1, 0, tzinfo=timezone(timedelta(hours=3)))
    assert only("More tomorrow.", riyadh_sunday_morning).due == date(2024, 5, 19)


def test_this_week_on_a_sunday_is_the_next_day() -> None:
    sunday = datetime(2024, 5, 19, 12, tzinfo=UTC)
    assert only("I'll write more this week.", sunday).due == date(2024, 5, 20)


def test_a_date_already_past_this_year_is_next_years() -> None:
    assert only("We will publish it on January 5.").due == date(2025, 1, 5)


def test_several_promises_in_order() -> None:
    promises = find_promises("Big announcement tomorrow. Stay tuned.", FRIDAY)
    assert [p.cue for p in promises] == ["announcement tomorrow", "Stay tuned"]


def test_language_limits_the_patterns() -> None:
    assert find_promises("سننشر المزيد قريبا", FRIDAY, language="en") == []
    assert find_promises("More soon.", FRIDAY, language="ar") == []
