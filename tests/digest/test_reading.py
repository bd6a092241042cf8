"""A digest a person reads at a glance: outlets by name, a lead line, counts that read
naturally, each item's meta line in its own direction, weak aliases marked where they counted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from watcher.config import Config
from watcher.digest.build import build_digest
from watcher.digest.render import render_digest
from watcher.jobs.poll import ingest
from watcher.match import Matcher
from watcher.model import Item
from watcher.store import Store
from watcher.store.tables import SourceRow

PERIOD_END = datetime(2024, 5, 29, 4, 0, tzinfo=UTC)
PERIOD_START = PERIOD_END - timedelta(days=1)


def _render(store: Store, config: Config, digest_id: str = "daily") -> tuple[str, str]:
    digest = config.digest(digest_id)
    with store.session() as session:
        content = build_digest(session, config, digest, PERIOD_START, PERIOD_END)
    rendered = render_digest(content, config, digest)
    return rendered.text, rendered.html


def test_outlets_without_a_name_are_called_by_their_feed_title(
    seeded: Store, bundled_config: Config
) -> None:
    with seeded.session() as session:
        session.execute(update(SourceRow).where(SourceRow.id == "wired-ai").values(title="WIRED"))
        session.execute(
            update(SourceRow).where(SourceRow.id == "bbc-arabic").values(title="BBC News عربي")
        )
    text, _ = _render(seeded, bundled_config)

    also = re.findall(r"Also in: (.*)", text)
    assert "WIRED, theverge.com" in also  # WIRED has a title; The Verge's feed gave none
    assert "BBC News عربي" in also and "bbci.co.uk" not in also
    assert "wired.com" not in " ".join(also)


def test_the_lead_line_says_what_arrived_and_what_leads(
    seeded: Store, bundled_config: Config
) -> None:
    text, html = _render(seeded, bundled_config)

    assert "Arrived: Where Leike goes next. Leading the 7 new items:" in text
    lead = text.split("Leading the 7 new items: ", 1)[1].splitlines()[0]
    assert lead == "I'm excited to join Anthropic to continue the superalignment mission!"
    assert '<p class="lead"' in html and "Arrived: Where Leike goes next." in html


def test_counts_read_naturally(seeded: Store, bundled_config: Config) -> None:
    text, html = _render(seeded, bundled_config)

    assert "7 new items; 4 also carried by other outlets · 1 follow-up fulfilled" in text
    assert "from 9 articles" not in text and "from 9 articles" not in html


def test_the_arabic_lead_and_counts_are_arabic(seeded: Store, bundled_config: Config) -> None:
    text, _ = _render(seeded, bundled_config, "daily-ar")

    assert "وصل: Where Leike goes next." in text
    assert "في صدارة 7 أخبار جديدة:" in text
    assert "7 أخبار جديدة؛ 4 منها نشرتها وسائل إعلام أخرى أيضًا" in text


def test_an_item_keeps_its_own_direction_and_its_lines_about_it_the_digests(
    seeded: Store, bundled_config: Config
) -> None:
    """In the Arabic digest an English headline is left to right; the lines watcher writes
    about it (outlet and date, "also in") are Arabic, right to left. And the other way round."""
    for digest, own, other in (("daily-ar", "rtl", "ltr"), ("daily", "ltr", "rtl")):
        _, html = _render(seeded, bundled_config, digest)
        page, *entries = html.split('<div class="entry" dir="')
        assert f'dir="{own}"' in page  # the page itself
        foreign = [entry for entry in entries if entry.startswith(other)]
        assert foreign and len(foreign) < len(entries)
        for entry in foreign:
            assert re.findall(r'class="meta"[^>]*dir="(\w+)"', entry) == [own]
            assert re.findall(r'class="also"[^>]*dir="(\w+)"', entry) in ([], [own])
        assert any('class="also"' in entry for entry in foreign)


def test_a_weak_alias_is_marked_only_where_it_counted(store: Store, make_config: object) -> None:
    config = make_config(  # type: ignore[operator]
        """
        timezone: UTC
        people:
          - {id: altman, name: Sam Altman, aliases: ["Sam Altman", "Altman"],
             weak_aliases: ["Sam"], exclude: ["Sam Bankman-Fried"]}
        stories:
          - {id: s, title: S, since: 2024-01-01, match: altman}
        sources:
          - {id: news, feed: "https://news.example/feed"}
        channels: [{id: hook, webhook: "https://hooks.example/x"}]
        digests: [{id: daily, at: "07:00", send_to: [hook]}]
        """
    )
    summary = (
        "Sam Altman met reporters on Tuesday. Sam Bankman-Fried was not there. "
        "Later, Sam said the longer post was coming."
    )
    item = Item(
        key="https://news.example/1", url="https://news.example/1", title="A press day",
        text="", source_id="news", published=PERIOD_END - timedelta(hours=2), summary=summary,
    )  # fmt: skip
    with store.session() as session:
        session.add(SourceRow(id="news", kind="feed", url="https://news.example/feed"))
        session.flush()
        ingest(session, Matcher(config), [item], now=PERIOD_END - timedelta(hours=1))
        content = build_digest(session, config, config.digest("daily"), PERIOD_START, PERIOD_END)

    snippet = content.sections[0].entries[0].snippet_html
    assert snippet.count("<mark>") == 2
    assert "<mark>Sam Altman</mark> met" in snippet
    assert "Sam Bankman-Fried" in snippet and "<mark>Sam</mark> Bankman" not in snippet
    assert "Later, <mark>Sam</mark> said" in snippet
