"""Evaluating only the queries whose phrases or entities an item holds gives the same verdicts
as evaluating every query (``QuerySet``), and the matcher built on it matches as before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.match.conftest import CONFIG, make_item
from watcher.config import load_config
from watcher.config.query import And, EntityRef, Near, Node, Not, Or, Phrase, Query
from watcher.match import Matcher
from watcher.match.anchors import NO_PROMISES
from watcher.match.query import Evidence, Position, QuerySet, satisfies

WORDS = ("board", "safety", "resign")
ENTITIES = ("altman", "leike", "openai")
FIELDS = ("title", "content")


def _phrase(word: str) -> Phrase:
    return Phrase((word,), word, 1)


leaves = st.one_of(
    st.sampled_from(WORDS).map(_phrase), st.sampled_from(ENTITIES).map(lambda e: EntityRef(e, 1))
)
# NEAR joins words, entities, OR groups of them and other NEARs (as the parser allows).
near_operands = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda ops: Or(tuple(ops))),
        st.tuples(inner, inner, st.integers(0, 3)).map(lambda t: Near(t[0], t[1], t[2], 1)),
    ),
    max_leaves=4,
)
# Any tree, also ones the parser refuses (a bare NOT matches an item that holds nothing).
nodes: st.SearchStrategy[Node] = st.recursive(
    st.one_of(leaves, near_operands),
    lambda inner: st.one_of(
        inner.map(lambda op: Not(op, 1)),
        st.lists(inner, min_size=2, max_size=3).map(lambda ops: And(tuple(ops))),
        st.lists(inner, min_size=2, max_size=3).map(lambda ops: Or(tuple(ops))),
    ),
    max_leaves=8,
)
positions = st.lists(
    st.tuples(st.sampled_from(FIELDS), st.integers(0, 8), st.integers(1, 3)).map(
        lambda t: (t[0], t[1], t[1] + t[2])
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def evidences(draw: st.DrawFn) -> Evidence:
    evidence = Evidence()
    for word in draw(st.sets(st.sampled_from(WORDS))):
        evidence.phrases[word] = draw(positions)
    mentioned = draw(st.sets(st.sampled_from(ENTITIES)))
    for entity_id in mentioned:
        found: list[Position] = draw(positions)
        evidence.entities[entity_id] = found
    authors = draw(st.sets(st.sampled_from(ENTITIES)))  # present without a position
    evidence.present = mentioned | authors
    return evidence


@settings(max_examples=300)
@given(roots=st.lists(nodes, min_size=1, max_size=6), evidence=evidences())
def test_only_the_queries_an_item_touches_are_evaluated_with_the_same_verdicts(
    roots: list[Node], evidence: Evidence
) -> None:
    queries = {index: Query(str(index), root) for index, root in enumerate(roots)}
    expected = {key for key, query in queries.items() if satisfies(evidence, query)}
    assert QuerySet(queries).satisfied(evidence) == expected


def test_a_query_matching_by_absence_alone_holds_for_an_item_that_holds_nothing() -> None:
    queries = {"absent": Query("NOT board", Not(_phrase("board"), 1))}
    assert QuerySet(queries).satisfied(Evidence()) == {"absent"}


# The shared config's stories and follow-ups, on texts built from their words and names.
texts = st.lists(
    st.sampled_from(
        ["OpenAI", "board", "stepped down", "Altman", "Leike", "safety", "resigned", "the", "مجلس"]
    ),
    max_size=8,
).map(" ".join)


@pytest.fixture(scope="module")
def shared_matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    path: Path = tmp_path_factory.mktemp("config") / "watch.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return Matcher(load_config(path))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=texts,
    text=texts,
    author=st.sampled_from([None, "Sam Altman", "Jan Leike", "A Reporter"]),
    source=st.sampled_from(["wire", "openai-blog", "leike-x"]),
    day=st.integers(1, 31),
)
def test_the_matcher_finds_the_stories_and_followups_evaluating_every_query_finds(
    shared_matcher: Matcher, title: str, text: str, author: str | None, source: str, day: int
) -> None:
    matcher = shared_matcher
    item = make_item(
        title, text, author=author, source=source, published=datetime(2024, 5, day, tzinfo=UTC)
    )
    analysis = matcher.analyse(item)
    evidence, published = analysis.evidence, item.published
    stories = [
        s.id for s in matcher.stories if published >= s.since and satisfies(evidence, s.query)
    ]
    followups = [
        (s.id, f.id)
        for s in matcher.stories
        for f in s.followups
        if f.candidate(
            analysis.authors,
            published,
            f.query is None or satisfies(evidence, f.query),
            item,
            NO_PROMISES,
        )
    ]
    matches = matcher.match(item)
    assert (matches.stories, matches.followups) == (stories, followups)
