"""A story's query in each engine's syntax: table-driven, one row per rule, then the limits."""

from __future__ import annotations

import pytest

from watcher.config import Entity
from watcher.config.query import parse_query
from watcher.fetch.search_query import (
    SYNTAXES,
    TranslationError,
    script_of,
    translate,
    without_contained,
)

ENTITIES = {
    e.id: e
    for e in (
        Entity(
            id="leike",
            name="Jan Leike",
            aliases=["Jan Leike", "Leike", "يان لايكه", "يان لايكي", "لايكي"],
            weak_aliases=["Jan"],
        ),
        Entity(id="altman", name="Sam Altman", aliases=["Sam Altman", "Altman", "ألتمان"]),
        Entity(id="openai", name="OpenAI", aliases=["OpenAI", "Open AI", "أوبن إيه آي"]),
        Entity(id="sora", name="Sora", aliases=["Sora"]),
        Entity(id="ai", name="AI", aliases=["AI", "artificial intelligence"]),
    )
}


def _queries(text: str, engine: str, language: str | None = None, suffix: str = "") -> list[str]:
    query = parse_query(text, set(ENTITIES))
    return translate(query, ENTITIES, engine, language=language, suffix=suffix).queries


TABLE = [
    # (story query, language, {engine: expected queries}); "*" is every engine
    pytest.param(
        "leike",
        None,
        {"*": ['(Leike OR "يان لايكه" OR لايكي)']},
        id="entity-every-alias-shortest-forms",
    ),
    pytest.param("leike", "en", {"*": ["Leike"]}, id="entity-latin-aliases-for-en"),
    pytest.param(
        "leike", "ar", {"*": ['("يان لايكه" OR لايكي)']}, id="entity-arabic-aliases-for-ar"
    ),
    pytest.param(
        "leike", "ru", {"*": ['(Leike OR "يان لايكه" OR لايكي)']}, id="no-alias-in-the-script-all"
    ),
    pytest.param(
        '"safety culture" OR resigned',
        None,
        {"*": ['("safety culture" OR resigned)']},
        id="phrases-quoted-words-bare",
    ),
    pytest.param(
        "openai AND NOT sora",
        "en",
        {"*": ['(OpenAI OR "Open AI") -Sora']},
        id="not-is-the-engines-exclusion",
    ),
    pytest.param(
        'leike AND NOT (sora OR "Sora 2")',
        "en",
        {"*": ["Leike -Sora"]},
        id="not-over-an-or-excludes-each",
    ),
    pytest.param(
        "leike AND NOT (sora AND openai)",
        "en",
        {"*": ["Leike"]},
        id="not-over-an-and-is-dropped-widening",
    ),
    pytest.param(
        "altman NEAR/5 resigned",
        "en",
        {"gdelt": ['near6:"Altman resigned"'], "google_news": ["Altman resigned"]},
        id="near-on-gdelt-and-elsewhere",
    ),
    pytest.param(
        "openai NEAR/3 resigned",
        "en",
        {"*": ['(OpenAI OR "Open AI") resigned']},
        id="near-over-several-aliases-is-and",
    ),
    pytest.param(
        'leike OR (altman AND ("safety culture" OR resigned))',
        "en",
        {"*": ["Leike", 'Altman ("safety culture" OR resigned)']},
        id="an-and-inside-an-or-is-a-request-of-its-own",
    ),
    pytest.param(
        "(leike OR altman) (resigned OR quit)",
        "en",
        {"*": ["(Leike OR Altman) (resigned OR quit)"]},
        id="and-of-or-groups-is-one-request",
    ),
    pytest.param("resign* AND leike", "en", {"*": ["resign Leike"]}, id="prefix-sends-its-stem"),
    pytest.param(
        "leike AND ai",
        "en",
        {"gdelt": ["Leike"], "bing_news": ['Leike (AI OR "artificial intelligence")']},
        id="gdelt-drops-a-group-with-a-short-keyword",
    ),
    pytest.param(
        "ai", "en", {"gdelt": ['"artificial intelligence"']}, id="gdelt-drops-a-short-keyword-alone"
    ),
    pytest.param(
        '"Altman\'s post" OR super-alignment',
        None,
        {"*": ['("Altman\'s post" OR "super-alignment")']},
        id="hyphens-and-apostrophes-quoted",
    ),
]


@pytest.mark.parametrize(("text", "language", "expected"), TABLE)
def test_translation(text: str, language: str | None, expected: dict[str, list[str]]) -> None:
    for engine in SYNTAXES:
        wanted = expected.get(engine, expected.get("*"))
        if wanted is not None:
            assert _queries(text, engine, language) == wanted, engine


def test_a_refused_keyword_is_noted() -> None:
    query = parse_query("ai", set(ENTITIES))
    translation = translate(query, ENTITIES, "gdelt", language="en")
    assert translation.notes == ["GDELT refuses short keywords; not asked: AI"]


def test_nothing_askable_is_an_error() -> None:
    with pytest.raises(TranslationError, match="nothing in this story's query"):
        _queries("ok OR no", "gdelt")


def test_gdelt_language_filter_counts_in_the_length() -> None:
    assert _queries("leike", "gdelt", "ar", suffix="sourcelang:arabic") == [
        '("يان لايكه" OR لايكي) sourcelang:arabic'
    ]


# --- limits and splitting ------------------------------------------------------------------


def _many(count: int, language: str = "en") -> dict[str, Entity]:
    return {
        f"p{i}": Entity(id=f"p{i}", name=f"Person {i}", aliases=[f"Surname{i:03d}x"])
        for i in range(count)
    }


def test_a_long_or_group_is_split_to_fit_gdelt() -> None:
    entities = _many(40)
    query = parse_query(" OR ".join(entities), set(entities))
    queries = translate(query, entities, "gdelt").queries
    assert len(queries) > 1
    assert all(len(q) <= 250 and q.startswith("(") and q.endswith(")") for q in queries)
    asked = {term for q in queries for term in q.strip("()").split(" OR ")}
    assert asked == {e.aliases[0] for e in entities.values()}  # nothing lost, nothing twice
    assert sum(q.count(" OR ") + 1 for q in queries) == 40


def test_splitting_keeps_the_other_groups_in_every_part() -> None:
    entities = _many(40) | {"altman": ENTITIES["altman"]}
    group = " OR ".join(e for e in entities if e != "altman")
    query = parse_query(f"altman AND ({group}) AND NOT sora", set(entities) | {"sora"})
    queries = translate(
        query, entities | {"sora": ENTITIES["sora"]}, "gdelt", language="en"
    ).queries
    assert len(queries) > 1
    assert all(q.startswith("Altman (") and q.endswith(") -Sora") for q in queries)


def test_google_news_is_split_at_32_words() -> None:
    entities = _many(20)
    query = parse_query(" OR ".join(entities), set(entities))
    queries = translate(query, entities, "google_news").queries
    assert [len(q.split()) for q in queries] == [19, 19]  # 10 terms + 9 ORs each


def test_bing_is_split_on_the_encoded_length() -> None:
    entities = {
        f"p{i}": Entity(id=f"p{i}", name="x", aliases=[f"شخص رقم {i:03d}"]) for i in range(40)
    }
    query = parse_query(" OR ".join(entities), set(entities))
    queries = translate(query, entities, "bing_news").queries
    assert len(queries) >= 2
    assert all(SYNTAXES["bing_news"].fits(q) for q in queries)


def test_too_many_requests_is_an_error_with_advice() -> None:
    entities = _many(6)
    ids = list(entities)
    # (a OR (b c)) AND (d OR (e f)) AND ... explodes into 2^3 requests: fine; 2^5 is not.
    text = " AND ".join(f"({ids[0]} OR ({ids[1]} {ids[2]}))" for _ in range(5))
    query = parse_query(text, set(entities))
    with pytest.raises(TranslationError, match="give the source its own 'query'"):
        translate(query, entities, "google_news")


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "script"),
    [("Leike", "LATIN"), ("يان لايكي", "ARABIC"), ("Лейке", "CYRILLIC"), ("2024", None)],
)
def test_script_of(text: str, script: str | None) -> None:
    assert script_of(text) == script


def test_without_contained_keeps_the_shortest_forms_once() -> None:
    assert without_contained(["Jan Leike", "Leike", "LEIKE", "Leike's team", "Sam"]) == (
        "Leike",
        "Sam",
    )
