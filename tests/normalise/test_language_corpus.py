"""Language by letters and declared language, against lingua alone, on the shared corpus.

Every entry of every corpus feed is normalised under several language configurations, and the
language it gets is compared with what watcher gave before (issue 14): lingua over all the
configured languages, the declared language only when lingua found none. Where the configured
languages differ in script, the letters decide and must agree at least 99% of the time; where
they share one, the declared language decides first, so agreement there is a figure, not a gate.
``pytest -s`` prints the figures.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from watcher.errors import ParseError
from watcher.language import LANGUAGE_SAMPLE
from watcher.model import Entry
from watcher.normalise import normalise_entry
from watcher.parse import parse_feed

FEED_URL = "https://example.org/feed"
SEEN = datetime(2026, 1, 1, tzinfo=UTC)
DIFFERENT_SCRIPTS = {"en+ar": ("en", "ar"), "en+ar+ru+el+zh": ("en", "ar", "ru", "el", "zh")}
SHARED_SCRIPT = {"en+fr+de+es": ("en", "fr", "de", "es"), "en+fr+ar+ru": ("en", "fr", "ar", "ru")}
TARGET = 0.99


@pytest.fixture(scope="module")
def corpus_entries(corpus_dir: Path) -> list[Entry]:
    with (corpus_dir / "manifest.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    entries = []
    for row in rows:
        try:
            feed = parse_feed((corpus_dir / row["path"]).read_bytes(), source_id="c", url=FEED_URL)
        except ParseError:
            continue
        entries += feed.entries
    return entries


@cache
def _lingua_detector(codes: tuple[str, ...]):  # type: ignore[no-untyped-def]
    known = [getattr(IsoCode639_1, c.upper()) for c in codes if hasattr(IsoCode639_1, c.upper())]
    return LanguageDetectorBuilder.from_languages(
        *(Language.from_iso_code_639_1(code) for code in known)
    ).build()


def lingua_alone(
    title: str, text: str, languages: tuple[str, ...], declared: str | None
) -> str | None:
    """Watcher's language before issue 14: lingua first, the declared language as a fallback."""
    found = _lingua_detector(languages).detect_language_of(f"{title} {text}"[:LANGUAGE_SAMPLE])
    return (found.iso_code_639_1.name.lower() if found else None) or declared


def agreement(entries: Sequence[Entry], languages: tuple[str, ...]) -> tuple[int, int]:
    """(items where both ways agree, items)."""
    same = total = 0
    for entry in entries:
        item = normalise_entry(
            entry, source_id="c", feed_url=FEED_URL, seen_at=SEEN, owner=None, languages=languages
        )
        if item is None:
            continue
        total += 1
        same += item.language == lingua_alone(item.title, item.text, languages, entry.language)
    return same, total


@pytest.mark.slow
def test_language_agrees_with_lingua_alone_on_the_corpus(corpus_entries: list[Entry]) -> None:
    figures = {
        name: agreement(corpus_entries, languages)
        for name, languages in {**DIFFERENT_SCRIPTS, **SHARED_SCRIPT}.items()
    }
    for name, (same, total) in figures.items():
        print(
            f"\nlanguages {name}: {same}/{total} items agree with lingua alone ({same / total:.2%})"
        )
    differ = [figures[name] for name in DIFFERENT_SCRIPTS]
    same, total = map(sum, zip(*differ, strict=True))
    overall = list(map(sum, zip(*figures.values(), strict=True)))
    print(f"configured languages differ in script: {same / total:.2%} of {total}")
    print(f"overall: {overall[0] / overall[1]:.2%} of {overall[1]}")
    assert all(s / t >= TARGET for s, t in differ), figures
