"""Follow-ups anchored to their promise (``after: URL``), through the poll's ``ingest``.

Altman's tweet of 17 May ("i'll have a longer post in the next couple of days") mentions Leike
and safety and is by Altman: without ``after`` it would fulfil its own follow-up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.match.conftest import altman_post, make_item, store_item
from watcher.config import Config
from watcher.jobs.poll import ingest
from watcher.match import Matcher
from watcher.match.anchors import Anchor
from watcher.match.explain import explain
from watcher.match.fingerprint import fingerprint
from watcher.match.followups import start_of
from watcher.model import Item
from watcher.store import Store
from watcher.store.matches import fulfilments
from watcher.store.promises import promise_items
from watcher.store.sources import sync_sources
from watcher.store.tables import FollowupMatchRow, ItemRow

STATUS = "1791543264090472660"
PROMISE_URL = f"https://x.com/sama/status/{STATUS}"
PROMISED_AT = datetime(2024, 5, 17, 18, 56, 14, 80000, tzinfo=UTC)  # from the status id
PROMISE_TEXT = (
    "i'm super appreciative of @janleike's contributions to openai's alignment research and "
    "safety culture, and very sad to see him leave. he's right we have a lot more to do; we are "
    "committed to doing it. i'll have a longer post in the next couple of days."
)
BLOG_PROMISE = "https://blog.example/2024/05/more-soon"

CONFIG = f"""
timezone: Asia/Riyadh
people:
  - id: altman
    name: Sam Altman
    accounts: {{x: sama}}
  - id: leike
    name: Jan Leike
    accounts: {{x: janleike}}
stories:
  - id: exits
    title: Leike leaves
    since: 2024-05-14
    match: leike OR safety
    followups:
      - id: longer-post
        title: Altman's promised longer post
        by: [altman]
        match: leike OR safety
        since: 2024-05-17
        after: "{PROMISE_URL}"
      - id: blog-answer
        title: Altman's blog answer
        by: [altman]
        since: 2024-05-17
        after: "{BLOG_PROMISE}"
sources:
  - {{id: sama-x, archive: x.com/sama}}
  - {{id: blog, feed: "https://blog.example/feed.xml", owner: altman}}
  - {{id: wire, feed: "https://wire.example/feed.xml"}}
"""
LONGER = ("exits", "longer-post")
BLOG = ("exits", "blog-answer")


@pytest.fixture
def config(make_config: Callable[[str], Config]) -> Config:
    return make_config(CONFIG)


PROMISE = altman_post(STATUS, PROMISE_TEXT, PROMISED_AT)
LATER = datetime(2024, 5, 17, 22, tzinfo=UTC)  # the same day, after the promise
EARLIER = datetime(2024, 5, 17, 12, tzinfo=UTC)  # after since (midnight in Riyadh), before it


def save(store: Store, config: Config, *items: Item) -> None:
    """Store each item as a poll does, one ingest each."""
    matcher = Matcher(config)
    with store.session() as session:
        for item in items:
            store_item(session, config, item, matcher)


def candidates(store: Store, followup: tuple[str, str] = LONGER) -> set[str]:
    """The keys of the items that are candidates for ``followup``."""
    query = (
        select(ItemRow.key)
        .join(FollowupMatchRow, FollowupMatchRow.item_id == ItemRow.id)
        .where(FollowupMatchRow.story_id == followup[0])
        .where(FollowupMatchRow.followup_id == followup[1])
    )
    with store.session() as session:
        return set(session.scalars(query))


def fulfilled_by(store: Store, followup: tuple[str, str] = LONGER) -> str | None:
    with store.session() as session:
        found = fulfilments(session).get(followup)
    return found.item_url if found else None


def anchor_reason(
    store: Store, config: Config, item: Item, followup_id: str = "longer-post"
) -> str:
    """The anchor line of ``explain``'s verdict on ``item`` for the follow-up."""
    matcher = Matcher(config)
    with store.session() as session:
        promises = promise_items(session, matcher.promise_keys)
    shown = explain(matcher, item, promises)
    return next(v.reasons for v in shown.followups if v.followup_id == followup_id)[-1]


CASES = [
    ("the promise itself", PROMISE, False, "✗ the promise itself"),
    (
        "the promise under another form of its URL, from a feed",
        dataclasses.replace(
            make_item(
                "",
                PROMISE_TEXT,
                source="blog",
                url=f"https://mobile.twitter.com/sama/status/{STATUS}?s=20",
                published=PROMISED_AT,
            ),
            key=f"https://twitter.com/sama/status/{STATUS}",
        ),
        False,
        "✗ the promise itself",
    ),
    (
        "a repost its archive flags, cut short",
        altman_post(
            "1791600000000000001",
            "RT @sama: i'm super appreciative of @janleike's contributions to openai's "
            "alignment research and safety culture, and very sad to se…",
            LATER,
            repost=True,
        ),
        False,
        "✗ a repost of the promise",
    ),
    (
        "a copy of its words (a cross-post)",
        altman_post("1791600000000000002", PROMISE_TEXT, LATER),
        False,
        "✗ a repost of the promise",
    ),
    (
        "a quote by its URL",
        altman_post("1791600000000000003", f"safety matters, as i said: {PROMISE_URL}", LATER),
        False,
        "✗ quotes the promise (its URL)",
    ),
    (
        "a quote by its status id",
        altman_post(
            "1791600000000000004",
            "on safety, more below",
            LATER,
            summary_html=f'<blockquote class="twitter-tweet" data-id="{STATUS}">…</blockquote>',
        ),
        False,
        f"✗ quotes the promise (its status id {STATUS})",
    ),
    (
        "an earlier post of the same day",
        altman_post("1791500000000000005", "thank you jan for your work on safety", EARLIER),
        False,
        "✗ published before the promise (2024-05-17 18:56 UTC)",
    ),
    (
        "a later post of the same day",
        altman_post("1791600000000000006", "a longer post on safety at openai", LATER),
        True,
        "✓ after the promise of 2024-05-17 18:56 UTC",
    ),
]


@pytest.mark.parametrize(
    ("item", "expected", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_anchoring_rules_with_the_promise_stored(
    store: Store, config: Config, item: Item, expected: bool, reason: str
) -> None:
    save(store, config, PROMISE)
    save(store, config, item)
    assert (item.key in candidates(store)) is expected
    assert anchor_reason(store, config, item) == reason
    assert fulfilled_by(store) == (item.url if expected else None)


def test_before_the_promise_is_stored_only_since_applies_then_its_arrival_moves_the_fulfilment(
    store: Store, config: Config
) -> None:
    early = altman_post("1791500000000000005", "thank you jan for your work on safety", EARLIER)
    later = altman_post("1791600000000000006", "a longer post on safety at openai", LATER)
    save(store, config, early)
    assert candidates(store) == {early.key}
    assert anchor_reason(store, config, early) == (
        f"✓ the promise ({PROMISE_URL}) is not stored yet: only since"
    )
    save(store, config, later)
    assert fulfilled_by(store) == early.url  # the earliest candidate, as far as anyone knows
    save(store, config, PROMISE)
    assert candidates(store) == {later.key}  # the early post is dropped, the promise is none
    assert fulfilled_by(store) == later.url


def test_a_promise_arriving_with_an_earlier_post_in_one_batch(store: Store, config: Config) -> None:
    early = altman_post("1791500000000000005", "thank you jan for your work on safety", EARLIER)
    with store.session() as session:
        sync_sources(session, config, LATER)
        ingest(session, Matcher(config), [early, PROMISE], now=LATER)
    assert candidates(store) == set()
    assert fulfilled_by(store) is None


def test_a_promise_whose_date_moves_earlier_admits_what_follows_it(
    store: Store, config: Config
) -> None:
    """A copy seen without a date is stored at its first-seen time; the archive's copy, with
    the real time, moves it earlier, and a post between the two times becomes an answer."""
    undated = dataclasses.replace(
        PROMISE, published=datetime(2024, 5, 18, 6, tzinfo=UTC), published_estimated=True
    )
    between = altman_post("1791600000000000006", "a longer post on safety at openai", LATER)
    save(store, config, undated, between)
    assert candidates(store) == set()
    save(store, config, PROMISE)
    assert candidates(store) == {between.key}


def test_an_anchor_on_an_article(store: Store, config: Config) -> None:
    """A promise that is not an X post: itself under tracking parameters, a quote of its URL,
    and a later post."""

    def article(url: str, text: str, published: datetime) -> Item:
        return make_item("Notes", text, source="blog", url=url, published=published)

    promise = article(BLOG_PROMISE, "more on this soon", PROMISED_AT)
    itself = article(f"{BLOG_PROMISE}?utm_source=rss", "more on this soon", PROMISED_AT)
    quote = article(
        "https://blog.example/2024/05/links", "see Blog.example/2024/05/more-soon/ again", LATER
    )
    answer = article("https://blog.example/2024/05/the-answer", "here it is", LATER)
    save(store, config, promise, quote, answer)
    assert candidates(store, BLOG) == {answer.key}
    assert anchor_reason(store, config, itself, "blog-answer") == "✗ the promise itself"
    assert anchor_reason(store, config, quote, "blog-answer") == "✗ quotes the promise (its URL)"
    assert fulfilled_by(store, BLOG) == answer.url


@pytest.mark.parametrize(
    ("url", "keys", "status_id"),
    [
        (PROMISE_URL, (f"x:{STATUS}", PROMISE_URL), STATUS),
        (
            f"https://twitter.com/Sama/status/{STATUS}?s=20",
            (
                f"x:{STATUS}",
                f"https://twitter.com/Sama/status/{STATUS}?s=20",
            ),
            STATUS,
        ),
        (
            "https://Blog.example/a?utm_source=x&b=1",
            ("https://blog.example/a?b=1", "https://Blog.example/a?utm_source=x&b=1"),
            None,
        ),
    ],
)
def test_anchor_identity(url: str, keys: tuple[str, ...], status_id: str | None) -> None:
    anchor = Anchor.parse(url)
    assert (anchor.keys, anchor.status_id) == (keys, status_id)


def test_since_is_a_day_or_a_moment() -> None:
    riyadh = ZoneInfo("Asia/Riyadh")
    assert start_of(datetime(2024, 5, 17).date(), riyadh) == datetime(2024, 5, 16, 21, tzinfo=UTC)
    assert start_of(datetime(2024, 5, 17, 19, tzinfo=UTC), riyadh) == datetime(
        2024, 5, 17, 19, tzinfo=UTC
    )
    # without an offset, a moment is in the config's time zone
    assert start_of(datetime(2024, 5, 17, 22), riyadh) == datetime(2024, 5, 17, 19, tzinfo=UTC)


def test_a_since_moment_divides_one_day(make_config: Callable[[str], Config]) -> None:
    config = make_config(
        CONFIG.replace(
            "since: 2024-05-17\n        after", "since: 2024-05-17T20:00:00\n        after"
        )
    )
    matcher = Matcher(config)
    followup = next(f for f in matcher.stories[0].followups if f.id == "longer-post")
    assert followup.since == datetime(2024, 5, 17, 17, tzinfo=UTC)  # 20:00 in Riyadh
    at_five, at_six = (datetime(2024, 5, 17, hour, tzinfo=UTC) for hour in (16, 18))
    texts = "a longer post on safety"
    assert LONGER not in matcher.match(altman_post("1791600000000000007", texts, at_five)).followups
    assert LONGER in matcher.match(altman_post("1791600000000000008", texts, at_six)).followups


def test_the_matching_fingerprint_covers_after_and_since(
    make_config: Callable[[str], Config],
) -> None:
    before = fingerprint(make_config(CONFIG))["stories"]["exits"]
    for old, new in [
        (PROMISE_URL, PROMISE_URL.replace(STATUS, "1")),
        ("since: 2024-05-17\n        after", "since: 2024-05-17T20:00:00Z\n        after"),
    ]:
        assert fingerprint(make_config(CONFIG.replace(old, new)))["stories"]["exits"] != before


def test_adding_after_to_a_stored_story_rematches_it(
    store: Store, make_config: Callable[[str], Config]
) -> None:
    from watcher.jobs.rematch import rematch_if_config_changed

    unanchored = make_config(CONFIG.replace(f'        after: "{PROMISE_URL}"\n', ""))
    later = altman_post("1791869138132218351", "a longer post on safety at openai", LATER)
    save(store, unanchored, PROMISE, later)
    rematch_if_config_changed(store, unanchored, now=LATER)
    assert fulfilled_by(store) == PROMISE_URL  # the promise fulfils itself
    anchored = make_config(CONFIG)
    assert rematch_if_config_changed(store, anchored, now=LATER) == 2
    assert fulfilled_by(store) == later.url


def test_the_stored_promises(store: Store, config: Config) -> None:
    save(
        store, config, PROMISE, altman_post("1791600000000000006", "a longer post on safety", LATER)
    )
    with store.session() as session:
        found = promise_items(session, Matcher(config).promise_keys)
    assert list(found) == [PROMISE.key]
    assert found[PROMISE.key].published == PROMISED_AT
    assert found[PROMISE.key].url == PROMISE_URL
