"""What goes into a digest, on one seeded period of the bundled config's story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from watcher.config import Config
from watcher.digest.build import DigestContent, build_digest, text_direction
from watcher.store import Store

PERIOD_END = datetime(2024, 5, 29, 4, 0, tzinfo=UTC)
PERIOD_START = PERIOD_END - timedelta(days=1)


def _build(store: Store, config: Config, **changes: Any) -> DigestContent:
    digest = config.digest("daily").model_copy(update=changes)
    with store.session() as session:
        return build_digest(session, config, digest, PERIOD_START, PERIOD_END)


def test_the_follow_ups_board_shows_what_arrived_is_overdue_and_is_awaited(
    seeded: Store, bundled_config: Config
) -> None:
    board = _build(seeded, bundled_config).sections[0].followups

    assert [(f.id, f.status) for f in board] == [
        ("leike-next", "fulfilled"),
        ("altman-longer-post", "overdue"),
        ("sutskever-next", "awaiting"),
        ("openai-safety-response", "awaiting"),
    ]
    arrived = board[0]
    assert arrived.by == ["Jan Leike"] and arrived.url == "https://x.com/janleike/status/1795503"
    assert [f.waiting_days for f in board[1:]] == [12, 14, 12]
    assert board[1].due == "2024-05-21"


def test_a_fulfilment_found_in_an_earlier_period_leaves_the_board(
    seeded: Store, bundled_config: Config
) -> None:
    digest = bundled_config.digest("daily")
    with seeded.session() as session:
        later = build_digest(
            session, bundled_config, digest, PERIOD_END, PERIOD_END + timedelta(days=1)
        )
    assert "leike-next" not in [f.id for f in later.sections[0].followups]
    assert later.new_entries == 0 and not later.sections[0].entries


def test_entries_are_folded_and_ranked_answers_then_own_words_then_coverage(
    seeded: Store, bundled_config: Config
) -> None:
    content = _build(seeded, bundled_config)
    entries = content.sections[0].entries
    summary = [(e.source, e.outlets, [o.source for o in e.also_in]) for e in entries]

    assert summary == [
        ("x.com/janleike", 1, []),  # answers a follow-up
        ("openai.com", 2, ["theguardian.com"]),  # by a watched organisation, seen in two feeds
        ("techcrunch.com", 3, ["wired.com", "theverge.com"]),  # three outlets, one entry
        ("arstechnica.com", 2, ["technologyreview.com"]),
        ("aljazeera.net", 2, ["bbci.co.uk"]),  # the Arabic copies fold too
        ("wired.com", 1, []),
        ("theguardian.com", 1, []),
    ]
    assert entries[0].answers == "Where Leike goes next" and entries[0].by == "Jan Leike"
    assert (entries[4].lang, entries[4].dir) == ("ar", "rtl")
    assert content.item_count == 9 and content.new_entries == 7


def test_snippets_are_sanitised_text_with_the_names_marked(
    seeded: Store, bundled_config: Config
) -> None:
    entries = {e.source: e for e in _build(seeded, bundled_config).sections[0].entries}
    hostile = next(e for e in entries.values() if "back seat" in e.title_html)

    assert "<mark>Leike</mark>" in hostile.snippet_html
    for bad in ("<script", "onmouseover", "javascript:", "<iframe", "<form", "<img", "style="):
        assert bad not in hostile.snippet_html and bad not in hostile.title_html
    assert hostile.title_html == "Leike: &#34;safety culture has taken a back seat&#34;"
    assert "<mark>Jan Leike</mark>" in entries["techcrunch.com"].snippet_html


def test_mention_counts_failing_sources_and_the_limit_on_entries(
    seeded: Store, bundled_config: Config
) -> None:
    content = _build(seeded, bundled_config, max_items=2)

    assert [(c["name"], c["count"]) for c in content.counts[:3]] == [
        ("Jan Leike", 7),
        ("OpenAI", 7),
        ("Superalignment", 6),
    ]
    assert content.counts[0]["percent"] == 100
    assert [(s["id"], s["error"]) for s in content.failing_sources] == [
        ("dw-arabic", "HTTP 503 Service Unavailable")
    ]
    section = content.sections[0]
    assert len(section.entries) == 2 and len(section.more) == 5
    assert section.more[0].url and section.more[0].title


def test_items_outside_the_period_are_left_for_their_own_digest(
    seeded: Store, bundled_config: Config
) -> None:
    digest = bundled_config.digest("daily")
    with seeded.session() as session:
        before = build_digest(
            session, bundled_config, digest, PERIOD_START - timedelta(days=1), PERIOD_START
        )
    assert before.item_count == 0 and before.new_entries == 0
    assert not before.empty  # the failing source is still worth telling


def test_text_direction_comes_from_the_language_else_the_letters() -> None:
    assert text_direction("ar", "") == ("ar", "rtl")
    assert text_direction("en-GB", "يان") == ("en", "ltr")
    assert text_direction(None, "يان لايكه ينضم إلى Anthropic") == ("ar", "rtl")
    assert text_direction(None, "Leike joins أنثروبيك") == ("", "ltr")
