"""Story queries: the grammar, its errors (with columns), and evaluation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watcher.config import Config
from watcher.config.query import (
    And,
    EntityRef,
    Near,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    parse_query,
)
from watcher.errors import ConfigError
from watcher.match.query import Evidence, satisfies

IDS = {"altman", "openai", "leike", "sam-altman"}


def test_operators_and_precedence() -> None:
    root = parse_query('altman AND (resign OR "stepped down") NOT sora', IDS).root
    assert isinstance(root, And)
    entity, either, negated = root.operands
    assert entity == EntityRef("altman", 1)
    assert isinstance(either, Or)
    assert [p.words for p in either.operands] == [("resign",), ("stepped", "down")]  # type: ignore[union-attr]
    assert isinstance(negated, Not)
    assert negated.operand == Phrase(("sora",), "sora", 43)


def test_adjacent_terms_are_anded_and_or_binds_loosest() -> None:
    root = parse_query("a b OR c", IDS).root
    assert isinstance(root, Or)
    assert isinstance(root.operands[0], And)


def test_entity_ids_are_bare_tokens_equal_to_an_id() -> None:
    query = parse_query('sam-altman OR "altman" OR Altman', IDS)
    assert query.entity_ids() == {"sam-altman"}
    assert [p.words for p in query.phrases()] == [("altman",), ("altman",)]


def test_words_go_through_the_normaliser() -> None:
    root = parse_query("Super-Alignment OR استقالةُ", IDS).root
    assert isinstance(root, Or)
    assert [p.words for p in root.operands] == [("super", "alignment"), ("استقاله",)]  # type: ignore[union-attr]


def test_near_and_prefix() -> None:
    root = parse_query("altman NEAR/5 resign*", IDS).root
    assert isinstance(root, Near)
    assert root.distance == 5
    assert root.right == Phrase(("resign",), "resign*", 15, prefix=True)


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("", 1, "empty"),
        ("altman AND", 11, "ends after 'AND'"),
        ("(altman OR openai", 1, "never closed"),
        ("altman OR openai)", 17, "no '('"),
        ('altman "board', 8, "quote is never closed"),
        ("NOT altman", 1, "only by what is absent"),
        ("altman OR NOT openai", 11, "only by what is absent"),
        ("altman NEAR openai", 12, "distance"),
        ("altman NEAR/0 openai", 12, "distance"),
        ("(altman AND openai) NEAR/3 board", 21, "AND and NOT cannot be inside"),
        ("altman AND OR openai", 12, "'OR' cannot come here"),
        ("altman AND !!!", 12, "no letters or digits"),
        ('altman ""', 8, "no letters or digits"),
    ],
)
def test_syntax_errors_point_at_the_column(query: str, column: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query, IDS)
    assert error.value.column == column
    assert message in str(error.value)


def test_a_bad_story_query_is_a_config_error_with_file_line_and_column(
    make_config: Callable[[str], Config],
) -> None:
    with pytest.raises(ConfigError) as error:
        make_config(
            """
            people:
              - {id: altman, name: Sam Altman}
            stories:
              - id: board
                title: Board
                since: 2024-05-01
                match: 'altman AND (board OR fired'
            """
        )
    (problem,) = error.value.problems
    assert problem.endswith(":8: stories[0].match: this '(' is never closed: add a ')' (column 12)")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("altman AND resign", True),
        ("altman AND NOT resign", False),
        ("leike OR resign", True),
        ("leike OR board", False),
        ("altman NEAR/3 resign", True),  # 3 words between them
        ("altman NEAR/2 resign", False),
        ("resign NEAR/3 altman", True),  # either order
        ("(openai OR altman) NEAR/3 resign", True),
        ("altman NEAR/3 (resign OR board)", True),
        ("openai NEAR/50 resign", False),  # another field
    ],
)
def test_evaluation(query: str, expected: bool) -> None:
    entities = {"altman": [("content", 5, 7)], "openai": [("title", 0, 1)]}
    evidence = Evidence({"resign": [("content", 10, 11)]}, entities, set(entities))
    assert satisfies(evidence, parse_query(query, IDS)) is expected
