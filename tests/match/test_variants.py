"""Variant spellings (issue 15): which spellings each family produces, and how hits are judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.match.conftest import make_item
from watcher.config import parse_config
from watcher.match import Matcher
from watcher.match.explain import explain
from watcher.match.variants import (
    MAX_ENGLISH,
    MAX_PER_WORD,
    arabic_variants,
    english_variants,
    variant_targets,
)
from watcher.text import normalise_words

CONFIG = """
people:
  - id: altman
    name: Sam Altman
    aliases: [Sam Altman, Altman, سام ألتمان, ألتمان]
    weak_aliases: [Sam]
    exclude: [Jack Altman, جاك ألتمان]
  - id: leike
    name: Jan Leike
    aliases: [Jan Leike, Leike, يان لايكي, لايكي]
  - id: sutskever
    name: Ilya Sutskever
    aliases: [Ilya Sutskever, Sutskever, سوتسكيفر]
  - id: murati
    name: Mira Murati
    aliases: [Murati, موراتي]
    variants: false
  - id: summers
    name: Larry Summers
    aliases: [Summers]
  - id: lee
    name: Lee
    aliases: [لي, Lee]
organizations:
  - id: openai
    name: OpenAI
    aliases: [OpenAI, أوبن إيه آي]
  - id: google
    name: Google
    aliases: [Google, غوغل]
topics:
  - id: safety
    name: Safety
    aliases: [السلامة]
stories:
  - id: exits
    title: Exits
    since: 2024-01-01
    match: 'openai AND (altman OR leike OR sutskever OR google)'
"""


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(parse_config(CONFIG, Path("variants.yaml")))


def one(word: str) -> str:
    (normalised,) = normalise_words(word)
    return normalised


@pytest.mark.parametrize(
    ("alias", "spelling"),
    [
        ("سوتسكيفر", "سوتسكفر"),  # a long vowel dropped
        ("سوتسكيفر", "سوتسكيفير"),  # a long vowel added between two consonants
        ("ألتمان", "ألتمن"),
        ("إنفيديا", "نفيديا"),  # the initial alef dropped
        ("لايكي", "لايكه"),  # the final vowel changed
        ("لايكي", "لايكة"),  # (teh marbuta is heh once normalised)
        ("لايكي", "لايك"),  # the final vowel dropped
        ("لايكي", "ليكه"),  # a long vowel dropped and the final vowel changed
        ("سوتسكيفر", "سوتسكيڤر"),  # ف/ڤ
        ("سوتسكيفر", "سوتسكڤر"),  # ف/ڤ and a vowel dropped
        ("غوغل", "جوجل"),  # a foreign G, every occurrence
        ("غوغل", "قوقل"),
        ("غوغل", "گوگل"),
        ("كوفالتشوك", "كوفالتشوق"),  # ك/ق one occurrence at a time
        ("باتشوكي", "باشوكي"),  # تش/ش
        ("باتشوكي", "باچوكي"),
        ("كوفالتشوك", "كوڤالشوك"),  # two letter families
        ("بروكمان", "بروككمان"),  # a consonant doubled
    ],
)
def test_arabic_families(alias: str, spelling: str) -> None:
    assert one(spelling) in arabic_variants(one(alias))


@pytest.mark.parametrize(
    ("surname", "spelling"),
    [
        ("sutskever", "sutskevar"),  # a vowel changed
        ("sutskever", "sutzkever"),  # s/z
        ("sutskever", "suskever"),  # a letter dropped
        ("leike", "leikie"),  # a vowel added: a 5-letter surname, a 6-letter variant
        ("altman", "altmann"),  # a letter doubled
        ("kovalchuk", "kovalchuck"),  # k written ck
        ("kovalchuk", "kowalchuk"),  # v/w
        ("brockman", "brcokman"),  # two letters swapped
    ],
)
def test_english_edits(surname: str, spelling: str) -> None:
    assert spelling in english_variants(surname)


def test_short_names_get_no_variants() -> None:
    assert arabic_variants("لين") == ()  # fewer than 4 letters
    assert english_variants("musk") == ()  # fewer than 5
    assert all(len(spelling) >= 6 for spelling in english_variants("leike"))
    assert "leik" not in english_variants("leike")


def test_long_names_are_bounded() -> None:
    assert len(arabic_variants(one("كوفالتشوكوفيتشوفسكي"))) == MAX_PER_WORD
    assert len(english_variants("kovalchukovichovsky")) == MAX_ENGLISH


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("سوتسكفر يطلق شركة جديدة", {"sutskever"}),
        ("وسوتسكيڤر غادر", {"sutskever"}),  # with a clitic
        ("سوتسكفرية", set()),  # only whole tokens
        ("ألتمن يعترف بأخطاء", {"altman"}),  # with its hamza, not the word التمن
        ("طبخت التمن على الغداء", set()),  # التمن "the rice": a word, no clue
        ("التمن يعود إلى أوبن إيه آي", {"altman", "openai"}),  # a clue from the story
        ("سام التمن يتحدث", {"altman"}),  # the first name with it
        ("جاك التمن يستثمر", set()),  # a variant of an exclude phrase excludes too
        ("اعمل لايك للمنشور", set()),  # "like": short, and a word
        ("لايك يغادر أوبن إيه آي", {"leike", "openai"}),
        ("يان لايك يغادر", {"leike"}),
        ("جوجل تطلق نموذجا", {"google"}),  # a listed name's own respelling
        ("مورتي تغادر", set()),  # variants: false
        ("Sutskevar launches a company", {"sutskever"}),
        ("Dr Altmann treats patients", set()),  # a name of others: needs a clue
        ("Sam Altmann answers", {"altman"}),
        ("OpenAI's Altmann answers", {"altman", "openai"}),
        ("Jack Altmann invests", set()),
        ("The summer break", set()),  # "summer" from Summers: a common word, never
        ("Summers and Sumers", {"summers"}),
    ],
)
def test_hits_are_judged(matcher: Matcher, text: str, expected: set[str]) -> None:
    assert set(matcher.match(make_item(text)).entities) == expected


def test_a_variant_never_takes_another_entitys_spelling() -> None:
    config = parse_config(
        CONFIG.replace("aliases: [لي, Lee]", "aliases: [لي, Lee, لايك]"), Path("x.yaml")
    )
    spellings = {t.words for t in variant_targets(config.entities) if t.entity_id == "leike"}
    assert ("لايك",) not in spellings
    assert set(Matcher(config).match(make_item("لايك")).entities) == {"lee"}


def test_topics_and_weak_aliases_get_no_variants(matcher: Matcher) -> None:
    config = parse_config(CONFIG, Path("x.yaml"))
    targets = variant_targets(config.entities)
    assert not [t for t in targets if t.entity_id in ("safety", "murati")]
    assert not [t for t in targets if t.alias == "Sam"]


def test_a_variant_in_the_author_field_does_not_make_an_author(matcher: Matcher) -> None:
    item = make_item("A message", author="Ilya Sutskevar")
    assert matcher.match(item).by is None


def test_explain_says_variant_of_alias(matcher: Matcher) -> None:
    notes = {h.note for h in explain(matcher, make_item("ألتمن يعترف بأخطاء")).hits}
    assert notes == {"variant of 'ألتمان'"}
    (hit,) = explain(matcher, make_item("اعمل لايك للمنشور")).hits
    assert hit.status == "discarded"
    assert hit.note.startswith("variant of 'لايكي' (fewer than 5 letters), and no strong alias")
    (hit,) = explain(matcher, make_item("Dr Altmann treats patients")).hits
    assert hit.note.startswith("variant of 'Altman' (also a word or a name)")
