"""Extracting one post from raw Wayback captures of several eras of X markup."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcher.parse.archive import (
    FIRST_SNOWFLAKE,
    extract_post,
    post_entry,
    snowflake_time,
    status_ref,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "archive"


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    ("url", "handle", "status_id"),
    [
        ("https://x.com/janleike/status/1791498174659715494", "janleike", "1791498174659715494"),
        ("http://twitter.com/sama/status/1791543264090472660?s=20", "sama", "1791543264090472660"),
        ("https://mobile.twitter.com/Sama/status/1791543264090472660/photo/1", "Sama", None),
        ("https://www.x.com/gdb/statuses/1791869138132218351", "gdb", "1791869138132218351"),
        ("twitter.com/#!/sama/status/12345", "sama", "12345"),
        ("http://twitter.com:80/sama/status/12345", "sama", "12345"),
    ],
)
def test_status_urls_of_every_form_reduce_to_one_identity(
    url: str, handle: str, status_id: str | None
) -> None:
    ref = status_ref(url)
    assert ref is not None
    assert ref.handle == handle
    assert ref.status_id == (status_id or "1791543264090472660")
    assert ref.key == f"x:{ref.status_id}"


@pytest.mark.parametrize("url", ["https://x.com/sama", "https://x.com/sama/status/", "x.com/i/web"])
def test_urls_without_a_status_are_not_posts(url: str) -> None:
    assert status_ref(url) is None


def test_snowflake_gives_the_post_time_not_the_capture_time() -> None:
    assert snowflake_time("1791498174659715494") == datetime(
        2024, 5, 17, 15, 57, 3, 922000, tzinfo=UTC
    )
    assert snowflake_time(20) is None  # 2006: ids were plain counters


CASES = [
    (
        "x2024-janleike-1791498174659715494.html",
        "https://x.com/janleike/status/1791498174659715494",
        {
            "handle": "janleike",
            "name": "Jan Leike",
            "text": "Yesterday was my last day as head of alignment, superalignment lead, "
            "and executive @OpenAI.",
            "truncated": False,
        },
    ),
    (
        "x2024-sama-1791543264090472660.html",
        "https://twitter.com/sama/status/1791543264090472660",
        {
            "handle": "sama",
            "text": "i'm super appreciative of @janleike's contributions to openai's alignment "
            "research and safety culture, and very sad to see him leave. he's right we have a "
            "lot more to do; we are committed to doing it. i'll have a longer post in the next "
            "couple of days.\n\n🧡 https://t.co/t2yexKtQEk",
            "truncated": False,
        },
    ),
    (
        "x2024-gdb-1791869138132218351-truncated.html",
        "https://x.com/gdb/status/1791869138132218351",
        {"handle": "gdb", "name": "Greg Brockman", "truncated": True},
    ),
    (
        "legacy2016-sama-780524627036459009.html",
        "http://twitter.com/sama/status/780524627036459009",
        {
            "handle": "sama",
            "name": "Sam Altman",
            "text": "@pmarca agreed — the best founders we see are missionaries, not mercenaries "
            "https://t.co/Yb3kM2xQ1p 🚀",
            "reply": True,
            "repost": False,
            "language": "en",
        },
    ),
    (
        "legacy2013-sama-400000000000000000.html",
        "http://twitter.com/sama/status/400000000000000000",
        {
            "handle": "sama",
            "text": "Startup advice, briefly: build something users love & talk to them every "
            "week. Notes from the talk: http://blog.samaltman.com/startup-advice-briefly "
            "#startups ✌️",
            "reply": False,
            "truncated": False,
        },
    ),
    (
        "twitter2022-sama-1525939286045630464.html",
        "https://twitter.com/sama/status/1525939286045630464",
        {"handle": "sama", "name": "Sam Altman", "text": "AGI is gonna be wild"},
    ),
    (
        "mobile2019-sama-1089562148117966848.html",
        "https://mobile.twitter.com/sama/status/1089562148117966848",
        {
            "text": "Reminder: the most important thing in a startup is making something people "
            "want. Everything else is downstream of that. 💯"
        },
    ),
    (
        "api-v11-sama-1130000000000000000.json",
        "https://twitter.com/sama/status/1130000000000000000",
        {
            "text": "@paulg yes & it compounds: the returns to being a little bit better at "
            "hiring are enormous",
            "reply": True,
            "repost": False,
            "name": "Sam Altman",
        },
    ),
    (
        "api-v2-janleike-1791540958431506563.json",
        "https://x.com/janleike/status/1791540958431506563",
        {
            "handle": "janleike",
            "text": "To all OpenAI employees, I want to say:\n\nLearn to feel the AGI.\n\n"
            "Act with the gravitas appropriate for what you're building.",
            "reply": True,
        },
    ),
]


@pytest.mark.parametrize(("fixture", "url", "expected"), CASES, ids=[c[0] for c in CASES])
def test_extracts_the_post_from_each_era(fixture: str, url: str, expected: dict) -> None:
    post = extract_post(read(fixture), url=url, content_type=None)
    assert post is not None
    assert post.status_id == status_ref(url).status_id  # type: ignore[union-attr]
    for name, value in expected.items():
        assert getattr(post, name) == value, name


def test_a_truncated_text_keeps_its_ellipsis_and_is_marked() -> None:
    post = extract_post(
        read("x2024-gdb-1791869138132218351-truncated.html"),
        url="https://x.com/gdb/status/1791869138132218351",
    )
    assert post is not None
    assert post.text.startswith("We’re really grateful to Jan for everything he's done")
    assert post.text.endswith("our overall…")
    full = extract_post(
        read("x2024-gdb-1791869138132218351-full.html"),
        url="https://x.com/gdb/status/1791869138132218351",
    )
    assert full is not None and not full.truncated
    assert "scaling up deep learning & analyzed" in full.text
    assert full.text.endswith("— Sam and Greg")


def test_the_permalink_tweet_is_taken_not_the_replies_below_it() -> None:
    post = extract_post(
        read("legacy2016-sama-780524627036459009.html"),
        url="https://twitter.com/sama/status/780527799905738752",  # a reply's id, sama's page
    )
    assert post is None  # the page's canonical URL is another post


@pytest.mark.parametrize("fixture", ["x2024-sama-profile.html", "x2024-js-shell.html"])
def test_profiles_and_javascript_shells_yield_nothing(fixture: str) -> None:
    assert extract_post(read(fixture), url="https://x.com/sama/status/1795000000000000000") is None


def test_a_post_under_another_handle_keeps_its_real_author() -> None:
    post = extract_post(
        read("x2024-gdb-1791869138132218351-full.html"),
        url="https://x.com/sama/status/1791869138132218351",
    )
    assert post is not None and post.handle == "gdb"


@pytest.mark.parametrize("body", [b"", b"   ", b"{not json", b"[1, 2]", b"<html></html>"])
def test_empty_and_broken_bodies_yield_nothing(body: bytes) -> None:
    assert extract_post(body, url="https://x.com/sama/status/1795000000000000000") is None


def test_post_entry_carries_identity_time_author_and_flags() -> None:
    post = extract_post(
        read("x2024-sama-1791543264090472660.html"),
        url="https://mobile.twitter.com/sama/status/1791543264090472660?s=20",
    )
    assert post is not None
    entry = post_entry(post, by="altman", capture_url="https://web.archive.org/web/2024/x")
    assert entry.extra["key"] == "x:1791543264090472660"
    assert entry.extra["by"] == "altman"
    assert entry.extra["truncated"] is False
    assert entry.link == "https://x.com/sama/status/1791543264090472660"
    assert entry.author == "@sama"
    assert entry.published == datetime(2024, 5, 17, 18, 56, 14, 80000, tzinfo=UTC)
    assert "🧡" in (entry.content or "")


@given(
    handle=st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True),
    status_id=st.integers(min_value=1, max_value=2**63 - 1),
    scheme=st.sampled_from(["", "http://", "https://"]),
    host=st.sampled_from(["x.com", "twitter.com", "mobile.twitter.com", "www.x.com"]),
    tail=st.sampled_from(["", "/", "?s=20", "/photo/1", "/video/1?lang=en", "#m"]),
)
def test_every_url_form_of_a_post_has_one_key(
    handle: str, status_id: int, scheme: str, host: str, tail: str
) -> None:
    ref = status_ref(f"{scheme}{host}/{handle}/status/{status_id}{tail}")
    assert ref is not None and ref.key == f"x:{status_id}"


@given(st.integers(min_value=FIRST_SNOWFLAKE, max_value=2**63 - 1))
def test_snowflake_times_grow_with_the_id(status_id: int) -> None:
    earlier, later = snowflake_time(status_id), snowflake_time(status_id + (1 << 22))
    assert earlier is not None and later is not None and later > earlier
