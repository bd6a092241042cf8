"""Authorship and follow-ups: who wrote an item, which follow-ups it serves, their status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.match.conftest import make_item, store_item
from watcher.config import Config
from watcher.match import Matcher
from watcher.match.followups import FollowupStatus, followup_statuses
from watcher.store import Store
from watcher.store.items import row_to_item
from watcher.store.matches import fulfilments, record_matches
from watcher.store.tables import FulfilmentRow

ANSWER = ("board", "altman-answers")
EXPLAINS = ("board", "leike-explains")


def day(month: int, date: int, hour: int = 12) -> datetime:
    return datetime(2024, month, date, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("item_args", "by"),
    [
        ({"source": "openai-blog"}, "openai"),  # the feed's owner
        ({"source": "leike-x", "author": "@janleike"}, "leike"),  # the archived account
        ({"source": "leike-x", "by": "leike"}, "leike"),  # as the pipeline declares it
        ({"source": "leike-x", "author": "@someone_else"}, None),  # a reply in that archive
        ({"author": "Sam Altman"}, "altman"),  # the entry's author field
        ({"author": "By Jan Leike and Jane Doe"}, "leike"),
        ({"author": "@sama"}, "altman"),
        ({"author": "Jack Altman"}, None),  # excluded
        ({"author": "Sam"}, None),  # a weak alias never names an author
        ({"url": "https://x.com/sama/status/1790"}, "altman"),  # their own post
        ({"author": "A. Reporter"}, None),
    ],
)
def test_authors(matcher: Matcher, item_args: dict[str, str], by: str | None) -> None:
    assert matcher.match(make_item("Board news", "OpenAI board", **item_args)).by == by


def test_an_archived_post_saying_only_i_resigned_is_a_leike_item(matcher: Matcher) -> None:
    item = make_item("", "I resigned", source="leike-x", by="leike")
    matches = matcher.match(item)
    assert matches.entities == ["leike"]
    assert matches.stories == ["safety"]  # "(leike OR sutskever) AND (... OR resign*)"
    assert EXPLAINS in matches.followups


@pytest.mark.parametrize(
    ("item_args", "expected"),
    [
        # Altman writes about the board: the follow-up's author, match and since all hold
        ({"author": "Sam Altman", "text": "The board and I"}, [ANSWER]),
        ({"author": "سام ألتمان", "text": "مجلس الإدارة"}, [ANSWER]),
        ({"url": "https://x.com/sama/status/1", "text": "about the board"}, [ANSWER]),
        # a journalist's article quoting Altman on the board is by the journalist
        ({"author": "Jane Reporter", "text": "Sam Altman said the board was wrong"}, []),
        # by Altman, but not about the board: the follow-up's match fails
        ({"author": "Sam Altman", "text": "Our new model"}, []),
        # by Altman about the board, but before the story began
        ({"author": "Sam Altman", "text": "the board", "published": day(4, 30)}, []),
        # Leike's follow-up has no match (anything by him counts) and its own since
        (
            {"source": "leike-x", "by": "leike", "text": "hello", "published": day(5, 16)},
            [EXPLAINS],
        ),
        ({"source": "leike-x", "by": "leike", "text": "hello", "published": day(5, 14)}, []),
    ],
)
def test_followup_candidates(
    matcher: Matcher, item_args: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    args = {"published": day(5, 20), **item_args}
    text = str(args.pop("text"))
    assert matcher.match(make_item("Post", text, **args)).followups == expected  # type: ignore[arg-type]


def statuses(store: Store, config: Config, now: datetime) -> dict[str, FollowupStatus]:
    with store.session() as session:
        return {s.id: s for s in followup_statuses(config, fulfilments(session), now)}


def test_statuses_awaiting_then_overdue(store: Store, config: Config) -> None:
    assert statuses(store, config, day(6, 30, 23))["altman-answers"].status == "awaiting"
    assert statuses(store, config, day(7, 1, 0))["altman-answers"].status == "overdue"
    assert statuses(store, config, day(12, 1))["leike-explains"].status == "awaiting"  # no due


def test_the_earliest_item_fulfils_and_a_backfilled_earlier_one_takes_over(
    store: Store, config: Config, matcher: Matcher
) -> None:
    def add(url: str, published: datetime, author: str = "Sam Altman") -> int:
        with store.session() as session:
            item = make_item("Post", "the board", author=author, url=url, published=published)
            return store_item(session, config, item, matcher).id

    add("https://blog.example/quote", day(5, 18), author="Jane Reporter")  # quotes him: no
    second = add("https://blog.example/second", day(5, 25))
    status = statuses(store, config, day(7, 2))["altman-answers"]
    assert (status.status, status.item_id, status.fulfilled_at) == ("fulfilled", second, day(5, 25))
    assert status.as_json() == {
        "story": "board",
        "id": "altman-answers",
        "title": "Altman answers about the board",
        "status": "fulfilled",
        "item_url": "https://blog.example/second",
        "fulfilled_at": "2024-05-25T12:00:00Z",
        "due": "2024-06-30",
        "promise_url": None,
    }
    add("https://blog.example/third", day(5, 28))  # later: changes nothing
    assert statuses(store, config, day(7, 2))["altman-answers"].item_id == second
    first = add("https://blog.example/first", day(5, 21))  # found later by a backfill
    status = statuses(store, config, day(7, 2))["altman-answers"]
    assert (status.item_id, status.fulfilled_at) == (first, day(5, 21))
    with store.session() as session:
        assert session.query(FulfilmentRow).count() == 1  # stored once, moved


def test_a_fulfilment_follows_its_item_when_its_date_moves_earlier(
    store: Store, config: Config, matcher: Matcher
) -> None:
    item = make_item("Post", "the board", author="Sam Altman", published=day(5, 25))
    with store.session() as session:
        row = store_item(session, config, item, matcher)
    with store.session() as session:
        row = session.merge(row)
        row.published_at = day(5, 22)  # a copy with the real, earlier date was merged in
        record_matches(session, row, matcher.match(row_to_item(row)), now=day(5, 25))
    assert statuses(store, config, day(5, 30))["altman-answers"].fulfilled_at == day(5, 22)
