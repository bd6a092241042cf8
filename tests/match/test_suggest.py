"""Alias suggestions from stored texts (issue 15): variants, near spellings and full names."""

from __future__ import annotations

from watcher.config import Entity
from watcher.match.suggest import Suggestion, suggest_aliases

SUTSKEVER = Entity(id="sutskever", name="Ilya Sutskever", aliases=["Sutskever", "سوتسكيفر"])
TEXTS = [
    "سوتسكفر يطلق شركة جديدة",
    "وسوتسكفر كان من المؤسسين",
    "قال سوتسكفر إن السلامة أولوية",
    "كبير العلماء إيليا سوتسكيفر يغادر",
    "إيليا سوتسكيفر: لن أعود",
    "Ilya Sutskevar leaves OpenAI",
    "سوتسكافر في مقابلة",  # ي written ا: an edit the families do not make
    "Ilya Sutskever joins SSI",
    "The weather was fine",
    "في السلامة والأمان",
]


def by_spelling(suggestions: list[Suggestion]) -> dict[str, Suggestion]:
    return {suggestion.spelling: suggestion for suggestion in suggestions}


def test_variants_names_and_counts() -> None:
    found = by_spelling(suggest_aliases(SUTSKEVER, TEXTS))
    assert found["سوتسكفر"].count == 3  # "وسوتسكفر" counts, its clitic aside
    assert found["سوتسكفر"].kind == "variant"
    assert found["سوتسكفر"].note == "variant of 'سوتسكيفر'"
    assert found["سوتسكفر"].example == "«سوتسكفر» يطلق شركة جديدة"
    assert found["Sutskevar"].note == "variant of 'Sutskever'"
    assert found["إيليا سوتسكيفر"].kind == "name"
    assert found["إيليا سوتسكيفر"].count == 2
    assert found["Ilya Sutskever"].note == "before 'Sutskever'"
    assert "Ilya Sutskevar" not in found  # a name is only suggested next to an alias as written


def test_one_letter_away_beyond_the_families() -> None:
    found = by_spelling(suggest_aliases(SUTSKEVER, TEXTS))
    assert found["سوتسكافر"].note == "one letter from 'سوتسكيفر'"


def test_most_seen_first_and_limited() -> None:
    suggestions = suggest_aliases(SUTSKEVER, TEXTS, limit=2)
    assert [s.spelling for s in suggestions] == ["سوتسكفر", "إيليا سوتسكيفر"]


def test_configured_spellings_and_common_words_are_not_suggested() -> None:
    entity = Entity(
        id="sutskever",
        name="Ilya Sutskever",
        aliases=["Sutskever", "سوتسكيفر", "سوتسكفر", "إيليا سوتسكيفر"],
        weak_aliases=["Ilya"],
    )
    found = by_spelling(suggest_aliases(entity, TEXTS))
    assert "سوتسكفر" not in found
    assert "إيليا سوتسكيفر" not in found
    assert "Ilya Sutskever" not in found  # Ilya is a weak alias already
    leike = Entity(id="leike", name="Jan Leike", aliases=["لايكي"])
    assert suggest_aliases(leike, ["اعمل لايك وشير", "لايكه يغادر", "في كل مكان"]) == [
        Suggestion("لايك", "variant", "variant of 'لايكي'", 1, "اعمل «لايك» وشير", True),
        Suggestion("لايكه", "variant", "variant of 'لايكي'", 1, "«لايكه» يغادر", False),
    ]
    summers = Entity(id="summers", name="Larry Summers", aliases=["Summers"])
    assert suggest_aliases(summers, ["The summer break", "Summer is here"]) == []
