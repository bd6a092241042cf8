"""Properties of story queries: the parser fails only with a located syntax error, and the
boolean operators obey their laws on real items matched by the real Matcher.

The laws are checked end to end, not on the query tree: random sub-queries A, B and C become
stories ("A AND B", "A OR B", "A AND NOT (B OR C)"…) in one config, random items go through
``Matcher.match``, and each compound story must be matched exactly when the laws say so given
which of A, B and C were matched. A mistake anywhere between the parser, the automaton and the
evaluator (a phrase missing from the automaton, an operator evaluated wrongly) breaks a law.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from watcher.config import Config, parse_config
from watcher.config.query import QuerySyntaxError, parse_query
from watcher.errors import ConfigError
from watcher.match import Matcher
from watcher.model import Item

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENTITIES = {
    "altman": ["Sam Altman", "Altman", "سام ألتمان"],
    "leike": ["Jan Leike", "Leike"],
    "openai": ["OpenAI", "أوبن إيه آي"],
}
WORDS = ["safety", "board", "resigns", "superalignment", "super-alignment", "مجلس", "استقالة"]
PHRASES = ['"safety team"', '"the board"', '"استقالة ألتمان"']
VOCABULARY = [
    *(alias for aliases in ENTITIES.values() for alias in aliases),
    *WORDS,
    "safety team",
    "the board",
    "team",
    "the",
    "and",
    "or",
    "not",
    "وألتمان",
    "Altman’s",
    "markets",
    "weather",
]

# --- random positive queries, as text ----------------------------------------------------------

ATOMS = st.sampled_from([*ENTITIES, *WORDS, *PHRASES])


def _near(pair: tuple[str, str, int]) -> str:
    left, right, distance = pair
    return f"{left} NEAR/{distance} {right}"


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Build bigger positive queries: AND, OR, implicit AND, AND NOT with a positive side."""
    return st.one_of(
        st.tuples(children, children).map(lambda p: f"({p[0]}) AND ({p[1]})"),
        st.tuples(children, children).map(lambda p: f"({p[0]}) OR ({p[1]})"),
        st.tuples(children, children).map(lambda p: f"({p[0]}) ({p[1]})"),
        st.tuples(children, children).map(lambda p: f"({p[0]}) AND NOT ({p[1]})"),
    )


QUERIES = st.recursive(
    st.one_of(ATOMS, st.tuples(ATOMS, ATOMS, st.integers(1, 4)).map(_near)),
    _extend,
    max_leaves=5,
)

ITEMS = st.lists(
    st.tuples(
        st.lists(st.sampled_from(VOCABULARY), max_size=5).map(" ".join),
        st.lists(st.sampled_from(VOCABULARY), max_size=12).map(" ".join),
    ),
    min_size=1,
    max_size=8,
)


def _laws(a: str, b: str, c: str) -> dict[str, str]:
    """Compound stories over A, B and C, by the law they exercise."""
    return {
        "a": a,
        "b": b,
        "c": c,
        "and": f"({a}) AND ({b})",
        "implicit": f"({a}) ({b})",
        "and_swapped": f"({b}) AND ({a})",
        "or": f"({a}) OR ({b})",
        "or_swapped": f"({b}) OR ({a})",
        "and_not": f"({a}) AND NOT ({b})",
        "double_not": f"({a}) AND NOT NOT ({b})",
        "de_morgan_or": f"({a}) AND NOT (({b}) OR ({c}))",
        "de_morgan_and": f"({a}) AND NOT ({b}) AND NOT ({c})",
        "distribute": f"({a}) AND (({b}) OR ({c}))",
        "distributed": f"(({a}) AND ({b})) OR (({a}) AND ({c}))",
        "absorb": f"({a}) OR (({a}) AND ({b}))",
    }


def _expected(got: dict[str, bool]) -> dict[str, bool]:
    a, b, c = got["a"], got["b"], got["c"]
    return {
        "a": a,
        "b": b,
        "c": c,
        "and": a and b,
        "implicit": a and b,
        "and_swapped": a and b,
        "or": a or b,
        "or_swapped": a or b,
        "and_not": a and not b,
        "double_not": a and b,
        "de_morgan_or": a and not (b or c),
        "de_morgan_and": a and not b and not c,
        "distribute": a and (b or c),
        "distributed": a and (b or c),
        "absorb": a,
    }


def _config(stories: dict[str, str]) -> Config:
    entities = [{"id": key, "name": names[0], "aliases": names} for key, names in ENTITIES.items()]
    return Config.model_validate(
        {
            "people": entities,
            "stories": [
                {"id": key, "title": key, "since": "2000-01-01", "match": query}
                for key, query in stories.items()
            ],
        }
    )


def _item(index: int, title: str, text: str) -> Item:
    return Item(
        key=f"https://news.example/{index}",
        url=f"https://news.example/{index}",
        title=title,
        text=text,
        source_id="wire",
        published=datetime(2024, 5, 18, tzinfo=UTC),
    )


@SETTINGS
@given(QUERIES, QUERIES, QUERIES, ITEMS)
@example(
    "altman",
    '"the board"',
    "leike NEAR/2 safety",
    [("Sam Altman and the board", "Jan Leike on safety"), ("وألتمان", "")],
)
def test_boolean_laws_hold_on_matched_items(
    a: str, b: str, c: str, items: list[tuple[str, str]]
) -> None:
    matcher = Matcher(_config(_laws(a, b, c)))
    for index, (title, text) in enumerate(items):
        matched = set(matcher.match(_item(index, title, text)).stories)
        got = {story: story in matched for story in _laws(a, b, c)}
        assert got == _expected(got), (title, text)


# --- the parser never fails any other way --------------------------------------------------------

TOKENS = st.sampled_from(
    [
        "AND", "OR", "NOT", "NEAR", "NEAR/", "NEAR/0", "NEAR/3", "NEAR/99999999999999999999",
        "(", ")", '"', '""', '" "', "altman", "leike", "openai", "safety", "ألتمان", "و",
        "-", "…", "é", "\u200d", "\u0640", "*", "AND(", ")OR", "not", "near/2", "\n", "\t",
    ]
)  # fmt: skip
RANDOM_QUERIES = st.one_of(
    st.lists(TOKENS, max_size=12).map(" ".join),
    st.lists(TOKENS, max_size=12).map("".join),
    st.text(max_size=40),
)


@settings(max_examples=600, deadline=None)
@given(RANDOM_QUERIES)
@example("NOT x")
@example("(a OR b")
@example('"unterminated')
@example("a NEAR/0 b")
def test_the_parser_raises_only_a_located_syntax_error(text: str) -> None:
    try:
        query = parse_query(text, set(ENTITIES))
    except QuerySyntaxError as error:
        assert str(error)
        assert 1 <= error.column <= len(text) + 1, (text, error.column)
        return
    assert query.text == text


@settings(max_examples=200, deadline=None)
@given(RANDOM_QUERIES)
def test_a_bad_query_in_the_config_is_a_config_error_with_its_line(text: str) -> None:
    document = yaml.safe_dump(
        {
            "people": [{"id": "altman", "name": "Sam Altman"}],
            "stories": [{"id": "s", "title": "S", "since": "2024-05-14", "match": text}],
        },
        allow_unicode=True,
    )
    line = next(n for n, row in enumerate(document.splitlines(), 1) if "match:" in row)
    try:
        parse_config(document, Path("watch.yaml"))
    except ConfigError as error:
        assert any(p.startswith(f"watch.yaml:{line}: ") for p in error.problems), error.problems
