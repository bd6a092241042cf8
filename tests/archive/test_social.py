"""Bluesky, Mastodon and Nitter feeds: identity, canonical link, author, and the person behind it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.config import Entity
from watcher.model import Entry, ParsedFeed
from watcher.parse import parse_feed
from watcher.parse.social import account_index, adapt_social, normalise_account, social_kind

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "social"
PEOPLE = [
    Entity(id="leike", name="Jan Leike", accounts={"x": "janleike", "bluesky": "janleike.bsky.social"}),
    Entity(id="altman", name="Sam Altman", accounts={"twitter": "@SamA"}),
    Entity(id="brockman", name="Greg Brockman", accounts={"x": "x.com/gdb", "mastodon": "https://mastodon.social/@gdb"}),
]  # fmt: skip


def parse(name: str, url: str, entities: list[Entity] | None = None) -> ParsedFeed:
    parsed = parse_feed((FIXTURES / name).read_bytes(), source_id="s", url=url)
    return adapt_social(parsed, url, entities) if entities else parsed


def test_bluesky_posts_are_keyed_by_their_at_uri() -> None:
    parsed = parse("bluesky-janleike.rss", "https://bsky.app/profile/janleike.bsky.social/rss")
    first, second = parsed.entries
    assert first.extra["key"] == (
        "at://did:plc:4lcdgusd5a7i2pe6rujrsmcc/app.bsky.feed.post/3lvnhqv2s7k2u"
    )
    assert first.title is None
    assert first.published == datetime(2025, 8, 5, 1, 40, tzinfo=UTC)
    assert first.author == "@janleike.bsky.social"
    assert second.author == "@janleike.bsky.social"  # its link names only the DID


def test_bluesky_authors_map_to_people_by_handle_or_did() -> None:
    parsed = parse(
        "bluesky-janleike.rss", "https://bsky.app/profile/janleike.bsky.social/rss", PEOPLE
    )
    assert [e.extra.get("by") for e in parsed.entries] == ["leike", "leike"]
    by_did = [
        Entity(id="jan", name="Jan", accounts={"bluesky": "did:plc:4lcdgusd5a7i2pe6rujrsmcc"})
    ]
    again = parse("bluesky-janleike.rss", "https://bsky.app/profile/x/rss", by_did)
    assert {e.extra.get("by") for e in again.entries} == {"jan"}


def test_mastodon_posts_are_keyed_by_status_url_with_a_full_account() -> None:
    parsed = parse("mastodon-gdb.rss", "https://mastodon.social/@gdb.rss", PEOPLE)
    first = parsed.entries[0]
    assert first.extra["key"] == "https://mastodon.social/@gdb/112462170112413275"
    assert first.author == "@gdb@mastodon.social"
    assert first.extra["by"] == "brockman"
    assert "grateful to Jan" in (first.summary or "")


def test_nitter_posts_become_the_x_post_whatever_the_mirror() -> None:
    parsed = parse("nitter-sama.rss", "https://nitter.net/sama/rss", PEOPLE)
    repost, reply = parsed.entries
    assert repost.extra["key"] == "x:1791869138132218351"
    assert repost.link == "https://x.com/gdb/status/1791869138132218351"
    assert repost.author == "@gdb"  # the original author, not the account that reposted it
    assert repost.extra["by"] == "brockman"
    assert repost.extra["reposted_by"] == "@sama"
    assert reply.extra["key"] == "x:1791543264090472660"
    assert reply.extra["by"] == "altman"
    assert reply.title is None
    assert reply.published == datetime(2024, 5, 17, 18, 56, 14, 80000, tzinfo=UTC)


def test_a_self_hosted_nitter_is_recognised_from_its_content() -> None:
    parsed = parse(
        "nitter-janleike-selfhosted.rss", "http://192.168.1.20:8080/feeds/janleike.xml", PEOPLE
    )
    reply, first = parsed.entries
    assert reply.extra["key"] == "x:1791540958431506563"
    assert reply.extra["reply"] is True
    assert first.extra["key"] == "x:1791498174659715494"
    assert first.link == "https://x.com/janleike/status/1791498174659715494"
    assert {e.extra["by"] for e in parsed.entries} == {"leike"}


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://bsky.app/profile/janleike.bsky.social/rss", "bluesky"),
        ("https://mastodon.social/@gdb.rss", "mastodon"),
        ("https://xcancel.com/sama/rss", "nitter"),
        ("https://nitter.poast.org/sama/with_replies/rss", "nitter"),
        ("https://example.com/feed.xml", None),
    ],
)
def test_feeds_are_recognised_from_their_url(url: str, kind: str | None) -> None:
    assert social_kind(url, []) == kind


def test_an_ordinary_feed_is_left_alone() -> None:
    entry = Entry(guid="https://example.com/a", link="https://example.com/a", title="A")
    parsed = adapt_social(ParsedFeed([entry]), "https://example.com/feed.xml", PEOPLE)
    assert parsed.entries[0].extra == {} and parsed.entries[0].title == "A"


@pytest.mark.parametrize(
    ("network", "value", "normal"),
    [
        ("x", "@SamA", "sama"),
        ("x", "https://twitter.com/gdb/", "gdb"),
        ("bluesky", "https://bsky.app/profile/Jan.bsky.social", "jan.bsky.social"),
        ("mastodon", "@gdb@mastodon.social", "gdb@mastodon.social"),
        ("mastodon", "https://mastodon.social/@gdb", "gdb@mastodon.social"),
    ],
)
def test_accounts_are_normalised(network: str, value: str, normal: str) -> None:
    assert normalise_account(network, value) == normal  # type: ignore[arg-type]


def test_account_index_reads_x_and_twitter_keys() -> None:
    assert account_index(PEOPLE, "x") == {"janleike": "leike", "sama": "altman", "gdb": "brockman"}


def test_a_guid_that_is_no_url_does_not_sink_the_feed() -> None:
    entry = Entry(guid="http://[x", title=None, summary="hello", author="@sama")
    parsed = adapt_social(ParsedFeed([entry]), "https://nitter.net/sama/rss", PEOPLE)
    assert len(parsed.entries) == 1
