"""The search index only narrows: every item the matcher accepts is among its candidates, on
SQLite (FTS5) and PostgreSQL (tsvector), whatever the spelling, clitics or case."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from watcher.config import Config, load_config
from watcher.config.query import parse_query
from watcher.jobs.rematch import rematch, stored_item
from watcher.match import Matcher
from watcher.match import item_search as match_search
from watcher.match.item_search import SearchMatcher, prefilter
from watcher.store import Store, open_store
from watcher.store.search_index import candidates, prune_index
from watcher.store.tables import ItemRow, SourceRow
from watcher.store.views import ItemFilter
from watcher.web.indexer import SearchIndexer

CONFIG = """\
people:
  - {id: altman, name: Sam Altman, aliases: ["Sam Altman", "Altman", "ألتمان"]}
  - {id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike", "لايكه"]}
stories:
  - {id: s, title: S, since: 2024-01-01, match: 'altman OR leike OR "safety culture"'}
sources:
  - {id: src, feed: "https://example.org/feed"}
"""
WORDS = [
    "Safety", "safety", "culture", "resigned", "Resignation", "super-alignment", "superalignment",
    "Altman's", "O'Brien", "board", "longer", "post", "Leike", "ALTMAN", "Ａｌｔｍａｎ",
    "ألتمان", "وألتمان", "بألتمان", "أَلتمان", "ألتمـان", "لايكه", "للجزيرة", "الجزيرة", "جزيرة",
    "استقالة", "استقال", "والسلامة", "السلامة", "سلامة", "2024", "safety-culture",
]  # fmt: skip
QUERY_WORDS = [
    "safety", "resign*", "التمان", "ألتمان", "الجزيرة", "جزيرة", "استقال*", '"safety culture"',
    "super-alignment", "o'brien", "altman", "leike", "السلامة", "سلامة", "board", "2024",
    "Altman's", "superalign*",
]  # fmt: skip
NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Config]]:
    url = (
        f"sqlite:///{tmp_path / 'search.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    store = open_store(url)
    config_path = tmp_path / "watch.yaml"
    config_path.write_text(CONFIG, encoding="utf-8")
    config = load_config(config_path)
    with store.session() as session:
        session.add(SourceRow(id="src", kind="feed", url="https://example.org/feed"))
    yield store, config
    store.close()


def _add(store: Store, title: str, body: str, at: datetime = NOW) -> int:
    with store.session() as session:
        row = ItemRow(
            key=f"k-{random.random()}",
            url=None,
            title=title,
            text=body,
            summary_html=f"<p>{body[:40]}</p>",
            source_id="src",
            published_at=at,
            first_seen_at=at,
            updated_at=at,
        )
        session.add(row)
        session.flush()
        return row.id


def _corpus(store: Store, config: Config, count: int) -> None:
    rng = random.Random(7)
    for index in range(count):
        title = " ".join(rng.choices(WORDS, k=rng.randint(1, 5)))
        body = ", ".join(rng.choices(WORDS, k=rng.randint(0, 12)))
        _add(store, title, body, NOW - timedelta(minutes=index))
    rematch(store, config, now=NOW)  # mentions and matches, as a poll would have recorded them


def _queries(count: int) -> list[str]:
    rng = random.Random(11)
    queries = list(QUERY_WORDS)
    while len(queries) < count:
        a, b = rng.sample(QUERY_WORDS, 2)
        operator = rng.choice(["AND", "OR", "NEAR/2", "AND NOT"])
        queries.append(f"{a} {operator} {b}")
    return queries


def _check(store: Store, config: Config, queries: list[str]) -> int:
    """Candidates ⊇ matches for every query; returns how many matches there were in all."""
    matcher, found = Matcher(config), 0
    ids = {entity.id for entity in config.entities}
    with store.session() as session:
        rows = list(session.query(ItemRow))
        for query_text in queries:
            query = parse_query(query_text, ids)
            judge = SearchMatcher(matcher, query)
            matching = {r.id for r in rows if judge.matches(stored_item(r, config))}
            allowed = candidates(session, prefilter(query), ItemFilter(), before=None, limit=10**6)
            missing = matching - {row.id for row in allowed}
            assert not missing, (query_text, [r.title for r in rows if r.id in missing])
            found += len(matching)
    return found


def test_every_match_is_a_candidate_once_indexed(backend: tuple[Store, Config]) -> None:
    store, config = backend
    _corpus(store, config, 150)
    indexer = SearchIndexer(store, clock=lambda: NOW)
    assert indexer.index() == 150
    assert indexer.index() == 0  # nothing changed since

    assert _check(store, config, _queries(120)) > 500


def test_the_index_narrows(backend: tuple[Store, Config]) -> None:
    store, _config = backend
    for index in range(40):
        _add(store, f"filler number {index}", "nothing to see")
    wanted = _add(store, "Board meeting", "the board met")
    SearchIndexer(store, clock=lambda: NOW).index()
    query = parse_query("board", set())
    with store.session() as session:
        found = candidates(session, prefilter(query), ItemFilter(), before=None, limit=100)
    assert [row.id for row in found] == [wanted]


def test_items_the_indexer_has_not_seen_are_candidates(backend: tuple[Store, Config]) -> None:
    store, config = backend
    _corpus(store, config, 20)
    SearchIndexer(store, clock=lambda: NOW).index()
    late = _add(store, "A late arrival about the board", "", NOW + timedelta(minutes=5))
    with store.session() as session:
        row = session.get_one(ItemRow, late - 1)
        row.text, row.updated_at = "an edit that adds zeppelin", NOW + timedelta(minutes=6)

    query = parse_query("board OR zeppelin", set())
    with store.session() as session:
        found = {
            r.id
            for r in candidates(session, prefilter(query), ItemFilter(), before=None, limit=10**6)
        }
    assert {late, late - 1} <= found


def test_an_item_too_big_to_index_is_always_a_candidate(
    backend: tuple[Store, Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _config = backend
    monkeypatch.setattr(match_search, "MAX_WORDS", 3)
    big = _add(store, "one two three four five", "zeppelin")
    small = _add(store, "six", "")
    SearchIndexer(store, clock=lambda: NOW).index()
    query = parse_query("zeppelin", set())
    with store.session() as session:
        found = {
            r.id for r in candidates(session, prefilter(query), ItemFilter(), before=None, limit=10)
        }
    assert found == {big} and small not in found


def test_deleted_items_leave_the_index(backend: tuple[Store, Config]) -> None:
    store, _config = backend
    gone = _add(store, "zeppelin", "")
    SearchIndexer(store, clock=lambda: NOW).index()
    with store.session() as session:
        session.execute(text("DELETE FROM items WHERE id = :id"), {"id": gone})
    with store.session() as session:
        removed = prune_index(session)
        rows = session.execute(text("SELECT count(*) FROM item_search")).scalar()
    assert rows == 0 and removed in (0, 1)  # PostgreSQL's foreign key removed it already


def test_without_fts5_a_search_reads_every_item(store: Store) -> None:
    with store.session() as session:
        session.add(SourceRow(id="src", kind="feed", url="https://example.org/feed"))
    ids = [_add(store, f"item {n}", "") for n in range(3)]
    with store.session() as session:
        session.execute(text("DROP TABLE item_search"))
    query = parse_query("nothing", set())
    with store.session() as session:
        found = candidates(session, prefilter(query), ItemFilter(), before=None, limit=10)
    assert sorted(row.id for row in found) == ids


def test_what_a_query_needs_from_the_index() -> None:
    from watcher.model import AllTerms, AnyTerms, EntityTerm, WordTerm

    oversize = WordTerm((match_search.OVERSIZE,))
    assert prefilter(parse_query("NOT altman AND board", {"altman"})) == AnyTerms(
        (WordTerm(("board",)), oversize)
    )
    assert prefilter(parse_query("altman", {"altman"})) == EntityTerm("altman")
    assert prefilter(parse_query('"الجزيرة نت" resign*', set())) == AnyTerms(
        (
            AllTerms(
                (
                    AllTerms((WordTerm(("الجزيره", "لجزيره")), WordTerm(("نت",)))),
                    WordTerm(("resign",), prefix=True),
                )
            ),
            oversize,
        )
    )
