"""Finding entities in items: the hard cases of the matching issue, each its own row."""

from __future__ import annotations

import pytest

from tests.match.conftest import make_item
from watcher.match import Matcher
from watcher.model import Item, Mention


def kept(
    matcher: Matcher, item: Item, kinds: tuple[str, ...] = ("alias", "weak", "handle")
) -> set[str]:
    return {m.entity_id for m in matcher.match(item).mentions if m.kind in kinds}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Latin names: whole words, possessives, case, hyphens, HTML
        ("Sam Altman said", {"altman"}),
        ("ALTMAN’S board", {"altman"}),
        ("Altman's board", {"altman"}),
        ("Saltman said", set()),  # not a piece of another word
        ("Altmann said", set()),
        ("Jan <b>Leike</b> left", {"leike"}),
        ("Jan&nbsp;Leike left", {"leike"}),
        ("the super alignment team", {"superalignment"}),
        ("the super-alignment team", {"superalignment"}),
        ("the superalignment team", {"superalignment"}),
        ("OpenAI’s board", {"openai"}),
        ("Open AI board", {"openai"}),
        ("OpenAIs board", set()),
        # Arabic: clitic prefixes, and nothing else
        ("قال ألتمان", {"altman"}),
        ("وألتمان قال", {"altman"}),
        ("لألتمان رأي", {"altman"}),
        ("فألتمان", {"altman"}),
        ("بألتمان", {"altman"}),
        ("كألتمان", {"altman"}),
        ("والتمان", {"altman"}),  # written without the hamza
        ("بـOpenAI", {"openai"}),  # a Latin name after a clitic and tatweel
        ("لـOpenAI", {"openai"}),
        ("وOpenAI", {"openai"}),
        ("سألتمان", set()),  # "س" is no clitic before a name
        ("مألتمان", set()),
        ("ألتمانية", set()),  # a longer word
        ("أَلْتْمَان", {"altman"}),  # tashkeel
        ("ألتمـــان", {"altman"}),  # tatweel
        ("قناة الجزيرة", {"jazeera"}),
        ("للجزيرة", {"jazeera"}),  # ل + ال written لل
        ("وللجزيرة", {"jazeera"}),
        ("بالجزيرة", {"jazeera"}),
        ("لجزيرة", set()),  # no article, no lam prefix: another word
        ("شبه الجزيرة العربية", set()),  # the exclude phrase
        ("يان لايكه", {"leike"}),
        ("ولايكه", {"leike"}),
        ("إليك الخبر", set()),
        # scripts mixed
        ("قال Sam Altman إن", {"altman"}),
        ("Altman (ألتمان) and أوبن إيه آي", {"altman", "openai"}),
        ("أوبن أي آي", {"openai"}),
        ("وأوبن إيه آي", {"openai"}),
    ],
)
def test_aliases(matcher: Matcher, text: str, expected: set[str]) -> None:
    assert kept(matcher, make_item("", text)) == expected


def test_a_negative_alias_rule_for_a_name_that_looks_like_a_clitic(make_config) -> None:  # type: ignore[no-untyped-def]
    matcher = Matcher(make_config("people:\n  - {id: lik, name: Lik, aliases: [ليك]}\n"))
    assert kept(matcher, make_item("", "إليك الخبر")) == set()  # "إ" + "ليك": no clitic
    assert kept(matcher, make_item("", "وليك")) == {"lik"}
    assert kept(matcher, make_item("", "اليك")) == set()  # "ا" alone is no clitic


def test_each_mention_keeps_alias_field_and_span(matcher: Matcher) -> None:
    item = make_item("Sam Altman’s return", "Board: وألتمـان قال", summary="nothing")
    mentions = matcher.match(item).mentions
    assert Mention("altman", "Sam Altman", "title", 0, 10, "alias") in mentions
    (arabic,) = [m for m in mentions if m.field == "content"]
    assert item.text[arabic.start : arabic.end] == "ألتمـان"
    assert arabic.alias == "ألتمان"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thanks @janleike for", {"leike"}),
        ("see x.com/janleike", {"leike"}),
        ("https://twitter.com/JanLeike/status/1", {"leike"}),
        ("https://x.com/@janleike", {"leike"}),
        ("follow @janleike.bsky.social", {"leike"}),
        ("bsky.app/profile/janleike.bsky.social", {"leike"}),
        ("janleike.bsky.social wrote", {"leike"}),
        ("@janleike@mastodon.social", {"leike"}),
        ("https://mastodon.social/@janleike", {"leike"}),
        ("mail jan@janleike.com", set()),  # an e-mail address is no handle
        ("box.com/janleike", set()),
        ("@janleikeX", set()),
        ("@sama", {"altman"}),
    ],
)
def test_handles_and_profile_links(matcher: Matcher, text: str, expected: set[str]) -> None:
    assert kept(matcher, make_item("", text), ("handle",)) == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Sam spoke", "nothing else", set()),  # weak alone
        ("Sam spoke", "Altman later said", {"altman"}),  # backed by its own strong alias
        ("Ilya spoke", "Leike said", {"sutskever", "leike"}),  # a partner in the same story
        ("Ilya spoke", "OpenAI said", {"openai"}),  # openai shares no story with sutskever
        ("Mira spoke", "OpenAI said", {"openai"}),  # murati shares no story with openai
        ("Mira spoke", "Murati said", {"murati"}),
        ("سام تحدث", "ألتمان قال", {"altman"}),
        ("سام تحدث", "لا شيء", set()),
    ],
)
def test_weak_aliases_need_a_strong_signal(
    matcher: Matcher, title: str, text: str, expected: set[str]
) -> None:
    assert kept(matcher, make_item(title, text)) == expected


def test_weak_alias_backed_by_authorship(matcher: Matcher) -> None:
    item = make_item("Sam here", "hello", author="Sam Altman")
    matches = matcher.match(item)
    assert matches.by == "altman"
    assert {m.kind for m in matches.mentions} == {"author", "weak"}


def test_exclude_suppresses_only_the_hits_it_overlaps(matcher: Matcher) -> None:
    assert kept(matcher, make_item("", "Jack Altman invested")) == set()
    assert kept(matcher, make_item("", "جاك ألتمان استثمر")) == set()
    item = make_item("Jack Altman and his brother Sam Altman", "")
    (mention,) = matcher.match(item).mentions
    assert (mention.alias, mention.start) == ("Sam Altman", 28)


def test_overlapping_aliases_of_one_entity_count_once(matcher: Matcher) -> None:
    mentions = matcher.match(make_item("Sam Altman", "")).mentions
    assert [(m.alias, m.kind) for m in mentions] == [("Sam Altman", "alias")]


def test_fields_are_title_summary_content_and_author(matcher: Matcher) -> None:
    item = make_item(
        "Leike", "Murati", summary="Sutskever <i>said</i>", author="Jane Doe", url=None
    )
    fields = {(m.entity_id, m.field) for m in matcher.match(item).mentions}
    assert fields == {
        ("leike", "title"),
        ("sutskever", "summary"),
        ("murati", "content"),
        ("doe", "author"),
    }


def test_a_summary_repeating_the_text_is_searched_once(matcher: Matcher) -> None:
    item = make_item("", "Leike resigned today.", summary="Leike resigned…")
    assert [m.field for m in matcher.match(item).mentions] == ["content"]


def test_a_title_made_from_the_text_is_not_searched_twice(matcher) -> None:
    item = make_item("Jan Leike: I resigned", "Jan Leike: I resigned")
    item.extra = {"title_from_text": True}
    assert [m.field for m in matcher.match(item).mentions] == ["content"]
