"""Rendering: templates, overrides, escaping, the size cap, and the Arabic catalog."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from watcher.config import Config
from watcher.digest.build import DigestContent, Entry, Section, build_digest
from watcher.digest.i18n import catalog_path, translations
from watcher.digest.render import MAX_HTML_BYTES, render_digest, sanitised, templates_path
from watcher.store import Store

PERIOD_END = datetime(2024, 5, 29, 4, 0, tzinfo=UTC)


def _content(entries: int, snippet: str = "word " * 60) -> DigestContent:
    rows = [
        Entry(
            item_id=n, title_html=f"Story number {n}", url=f"https://news.example/{n}",
            source="news.example", published=PERIOD_END.isoformat(), snippet_html=snippet,
            lang="en", dir="ltr",
        )
        for n in range(entries)
    ]  # fmt: skip
    return DigestContent(
        digest_id="daily", title="", language="en", timezone="UTC",
        period_start=(PERIOD_END - timedelta(days=1)).isoformat(),
        period_end=PERIOD_END.isoformat(), sections=[Section("s", "<b>Story</b> & co", entries=rows)],
        counts=[], failing_sources=[], failed_deliveries=[], item_count=entries,
    )  # fmt: skip


def test_a_huge_digest_stays_under_the_gmail_clip_with_a_more_line(
    bundled_config: Config,
) -> None:
    content = _content(400)
    rendered = render_digest(content, bundled_config, bundled_config.digest("daily"))

    assert len(rendered.html.encode()) <= MAX_HTML_BYTES
    section = content.sections[0]
    assert 0 < len(section.entries) < 400
    assert len(section.entries) + len(section.more) + section.hidden == 400
    shown_more = len(section.more)
    assert re.search(rf"{shown_more} more:", rendered.html)
    assert "400 new items" in rendered.subject
    if section.hidden:
        assert f"and {section.hidden} others" in rendered.html


def test_config_text_is_escaped_and_feed_html_passes_the_sanitiser_again(
    bundled_config: Config,
) -> None:
    content = _content(
        1, snippet='<mark>ok</mark><img src=x onerror="alert(1)"><script>x()</script>'
    )
    html = render_digest(content, bundled_config, bundled_config.digest("daily")).html

    assert "&lt;b&gt;Story&lt;/b&gt; &amp; co" in html
    assert "<mark" in html and "onerror" not in html and "<script" not in html
    assert str(sanitised('<a href="javascript:x">a</a><mark onclick="y">m</mark>')) == (
        "a<mark>m</mark>"
    )


def test_a_templates_dir_overrides_one_file_and_keeps_the_rest(
    bundled_config: Config, tmp_path: Path
) -> None:
    (tmp_path / "subject.txt.j2").write_text("[watch] {{ digest.new_entries }} new\n")
    config = bundled_config.model_copy(update={"templates_dir": str(tmp_path)})
    rendered = render_digest(_content(3), config, config.digest("daily"))

    assert rendered.subject == "[watch] 3 new"
    assert "Story number 2" in rendered.html and "Story number 2" in rendered.text


def test_the_bundled_templates_are_found() -> None:
    assert (templates_path() / "digest.html.j2").is_file()
    assert (templates_path() / "partials" / "entry.html.j2").is_file()


def test_every_template_string_has_an_arabic_translation_with_the_same_placeholders() -> None:
    from babel.messages.pofile import read_po

    with catalog_path("ar").open("rb") as source:
        catalog = read_po(source, locale="ar")
    method = [("**.j2", "jinja2")]
    options = {"**.j2": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}}
    found = {
        message for _, _, message, _, _ in extract_from_dir(str(templates_path()), method, options)
    }
    assert found
    for message in found:
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        assert entry is not None and entry.string, f"no Arabic for {msgid!r}"
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert len(forms) == (6 if isinstance(message, tuple) else 1)
        wanted = set(re.findall(r"%\((\w+)\)s", msgid)) - {"num"}
        for form in forms:
            assert form and wanted <= set(re.findall(r"%\((\w+)\)s", form)), (msgid, form)


@pytest.mark.parametrize(
    ("count", "text"),
    [(1, "خبر جديد واحد"), (2, "خبران جديدان"), (5, "5 أخبار جديدة"), (11, "11 خبرًا جديدًا"), (100, "100 خبر جديد")],
)  # fmt: skip
def test_arabic_plurals_follow_the_six_cldr_forms(count: int, text: str) -> None:
    catalog = translations("ar")
    assert catalog.ngettext("%(num)s new item", "%(num)s new items", count) % {"num": count} == text


def test_the_arabic_digest_uses_its_own_words(seeded: Store, bundled_config: Config) -> None:
    digest = bundled_config.digest("daily-ar")
    with seeded.session() as session:
        content = build_digest(
            session, bundled_config, digest, PERIOD_END - timedelta(days=1), PERIOD_END
        )
    rendered = render_digest(content, bundled_config, digest)

    assert rendered.subject.startswith("موجز أخبارك · الأربعاء، 29 مايو 2024")
    for words in ("المتابعات", "وصل", "متأخر", "منتظر", "ورد أيضًا في:", "الإشارات في هذه الفترة"):
        assert words in rendered.html
    assert "مصدر واحد متعطل منذ" in rendered.text


@pytest.mark.parametrize(
    ("digest_id", "words"),
    [
        ("daily", "first seen: the feed gave no date"),
        ("daily-ar", "أول ظهور: لم يذكر المصدر تاريخًا"),
    ],
)
def test_an_item_the_feed_gave_no_date_says_so(
    bundled_config: Config, digest_id: str, words: str
) -> None:
    content = _content(2)
    content.sections[0].entries[1].date_from = "seen"
    rendered = render_digest(content, bundled_config, bundled_config.digest(digest_id))

    assert rendered.text.count(words) == 1
    assert rendered.html.count(words) == 1
