"""Whatever the bytes, parse_feed returns a ParsedFeed or raises ParseError, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watcher.errors import ParseError
from watcher.normalise import normalise_entry

from .conftest import FEED_URL, parse, rss

VALID = rss(
    "<item><title>Jan <b>Leike</b></title><link>/a?utm_source=x</link>"
    "<guid>1</guid><pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate>"
    "<description>&lt;p&gt;body&lt;/p&gt;</description></item>"
).encode()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_and_normalise(body: bytes) -> None:
    try:
        feed = parse(body)
    except ParseError as error:
        assert error.reason.startswith("not a feed:")
        return
    for entry in feed.entries:
        normalise_entry(
            entry,
            source_id="fuzz",
            feed_url=FEED_URL,
            seen_at=datetime(2026, 1, 1, tzinfo=UTC),
            owner=None,
            languages=["en", "ar"],
        )


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(body):
    _parse_and_normalise(body)


@FUZZ
@given(st.integers(0, len(VALID)), st.integers(0, 40), st.binary(max_size=20))
def test_mutated_feed(position, cut, insert):
    _parse_and_normalise(VALID[:position] + insert + VALID[position + cut :])


@FUZZ
@given(st.text(max_size=80), st.sampled_from(["title", "link", "guid", "pubDate", "author"]))
def test_any_text_in_any_field(text, field):
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    _parse_and_normalise(rss(f"<item><{field}>{escaped}</{field}></item>").encode())
