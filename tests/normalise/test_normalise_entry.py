"""normalise_entry: identity, dates, text, language, and the content hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from watcher.model import Entry
from watcher.normalise import canonical_url, content_hash, detect_language, normalise_entry

SEEN = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
LANGUAGES = ["en", "ar"]


def norm(entry: Entry, *, source_id: str = "src", owner: str | None = None):
    return normalise_entry(
        entry,
        source_id=source_id,
        feed_url="https://example.org/feed.xml",
        seen_at=SEEN,
        owner=owner,
        languages=LANGUAGES,
    )


def test_same_article_from_two_feeds_has_one_key():
    a = norm(Entry(link="https://Example.org/a?utm_source=feedA", guid="1"), source_id="a")
    b = norm(Entry(link="https://example.org/a?utm_source=feedB#top", guid="x"), source_id="b")
    assert a.key == b.key == "https://example.org/a"
    assert a.url == "https://example.org/a"


@pytest.mark.parametrize(
    ("guid", "key_a", "key_b"),
    [
        ("12345", "guid:a:12345", "guid:b:12345"),
        ("tag:example.org,2024:1", "guid:tag:example.org,2024:1", "guid:tag:example.org,2024:1"),
        ("urn:uuid:1225c695", "guid:urn:uuid:1225c695", "guid:urn:uuid:1225c695"),
        ("HTTPS://example.org/p?utm_medium=x", "https://example.org/p", "https://example.org/p"),
    ],
)
def test_guid_identity_without_a_link(guid, key_a, key_b):
    entry = Entry(guid=guid, title="t")
    assert (norm(entry, source_id="a").key, norm(entry, source_id="b").key) == (key_a, key_b)


def test_relative_link_resolves_against_the_feed():
    assert norm(Entry(link="/posts/1")).url == "https://example.org/posts/1"


def test_extra_key_and_by_override_identity_and_owner():
    entry = Entry(
        link="https://nitter.example/sama/status/1790",
        title="post",
        extra={"key": "x:1790", "by": "sama", "archived": True},
    )
    item = norm(entry, owner="openai")
    assert (item.key, item.by) == ("x:1790", "sama")
    assert item.extra == {"archived": True}
    assert norm(Entry(link="https://ex.com/1"), owner="openai").by == "openai"


def test_junk_is_none_but_text_only_entries_get_a_text_key():
    assert norm(Entry()) is None
    assert norm(Entry(title="  ", summary="<p> </p>")) is None
    item = norm(Entry(summary="Only text"))
    assert item.key.startswith("text:src:") and item.url is None
    assert norm(Entry(summary="Only text")).key == item.key


def test_text_fields():
    entry = Entry(
        title="Jan <b>Leike</b>\r\n joins",
        summary="<p>Short</p>",
        content="<p>Long</p><p>body <script>x()</script>text</p>",
        author=" <i>Ada</i> ",
        link="https://ex.com/1",
    )
    item = norm(entry)
    assert (item.title, item.summary, item.text, item.author) == (
        "Jan Leike joins",
        "Short",
        "Long body text",
        "Ada",
    )
    assert item.summary_html == "<p>Short</p>"
    content_only = norm(Entry(content="<p>Only <b>content</b></p>", link="https://ex.com/2"))
    assert (content_only.summary, content_only.text) == ("Only content", "Only content")
    assert content_only.summary_html == "<p>Only <b>content</b></p>"


def test_dates_to_utc():
    riyadh = timezone(timedelta(hours=3))
    item = norm(
        Entry(link="https://ex.com/1", published=datetime(2026, 1, 9, 15, 0, tzinfo=riyadh))
    )
    assert item.published == datetime(2026, 1, 9, 12, 0, tzinfo=UTC)
    assert item.published_estimated is False
    updated_only = norm(Entry(link="https://ex.com/2", updated=datetime(2026, 1, 8, 1, 0)))
    assert updated_only.published == datetime(2026, 1, 8, 1, 0, tzinfo=UTC)


def test_missing_date_is_first_seen_and_flagged():
    item = norm(Entry(link="https://ex.com/1"))
    assert item.published == SEEN and item.published_estimated is True


def test_future_date_clamps_to_first_seen_and_is_kept_in_extra():
    far = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    item = norm(Entry(link="https://ex.com/1", published=far))
    assert item.published == SEEN and item.published_estimated is True
    assert item.extra["future_date"] == far.isoformat()
    soon = SEEN + timedelta(hours=20)
    assert norm(Entry(link="https://ex.com/2", published=soon)).published == soon


@pytest.mark.parametrize(
    ("title", "hint", "expected"),
    [
        ("OpenAI announces a new reasoning model for researchers", None, "en"),
        ("وزير الخارجية يلتقي نظيره الفرنسي في الرياض", None, "ar"),
        ("وزير الخارجية يلتقي نظيره الفرنسي في الرياض", "en", "ar"),
        ("2026 — 42", "ar", "ar"),
        ("", None, None),
    ],
)
def test_language(title, hint, expected):
    assert norm(Entry(guid="1", title=title, language=hint)).language == expected


def test_detect_language_handles_unknown_codes_and_empty_text():
    assert detect_language("The quick brown fox jumps", ["en", "zz"]) == "en"
    assert detect_language("The quick brown fox", ["zz"]) is None
    assert detect_language("   ", LANGUAGES) is None


def test_content_hash_changes_with_what_readers_see_only():
    item = norm(Entry(link="https://ex.com/1", title="T", summary="<p>body</p>"))
    same = norm(Entry(link="https://ex.com/1", title="T", summary="<div>body</div>"))
    edited = norm(Entry(link="https://ex.com/1", title="T (updated)", summary="<p>body</p>"))
    assert content_hash(item) == content_hash(same) != content_hash(edited)
    assert len(content_hash(item)) == 32


@pytest.mark.parametrize("year", [1, 1970])
def test_cms_default_dates_are_replaced_by_first_seen(year):
    default = datetime(year, 1, 1, tzinfo=UTC)
    item = norm(Entry(link="https://ex.com/1", published=default))
    assert item.published == SEEN and item.published_estimated is True
    assert item.extra["past_date"] == default.isoformat()
    old = datetime(1999, 12, 31, tzinfo=UTC)
    assert norm(Entry(link="https://ex.com/2", published=old)).published == old


def test_very_long_keys_are_bounded_and_stay_unique():
    base = "https://ex.com/p?" + "&".join(f"k{i}=v{i}" for i in range(400))
    first, second = norm(Entry(link=base + "&z=1")), norm(Entry(link=base + "&z=2"))
    assert len(first.key) <= 1000 and len(second.key) <= 1000
    assert first.key != second.key and first.key.startswith("https://ex.com/p?k0=v0")
    assert first.url == canonical_url(base + "&z=1")


def test_a_post_without_a_title_gets_its_first_words_as_headline():
    text = "I resigned. " + "The superalignment team has been sailing against the wind. " * 4
    item = norm(Entry(link="https://x.com/janleike/status/1", summary=text))
    assert item.title.startswith("I resigned. The superalignment team")
    assert len(item.title) <= 100 and item.title.endswith("…")
    assert item.extra["title_from_text"] is True
