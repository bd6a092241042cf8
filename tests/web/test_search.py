"""/items?q=: the config's query language over stored items, as the matcher evaluates it."""

from __future__ import annotations

import pytest

from tests.web.conftest import Site
from watcher.config.query import parse_query
from watcher.jobs.rematch import stored_item
from watcher.match import Matcher
from watcher.match.item_search import SearchMatcher
from watcher.store.items import find_item
from watcher.store.views import Cursor, ItemFilter
from watcher.web import search as search_module

QUERIES = {
    "ألتمان": ["وألتمان يرد على استقالة لايكه"],  # a word, with a clitic "و" in the item
    "resign*": ["Jan Leike resigns from OpenAI, citing safety culture"],
    '"safety culture"': ["Jan Leike resigns from OpenAI, citing safety culture"],
    "leike NEAR/3 anthropic": ["يان لايكه ينضم إلى أنثروبيك"],
    "sutskever AND NOT superalignment": ["Ilya Sutskever leaves OpenAI after a decade"],
    "altman": [  # an entity id: mentioned or the author
        "A longer post about safety and the superalignment team",
        "وألتمان يرد على استقالة لايكه",
    ],
    '"super-alignment" OR superalignments': [],
    "Sutskever's": [  # a word (not the entity id): possessive dropped, any case
        "Ilya Sutskever leaves OpenAI after a decade",
        "OpenAI dissolves its superalignment team",
    ],
}


def _titles(site: Site, **params: str) -> list[str]:
    answer = site.get("/api/items", params=params)
    assert answer.status_code == 200, answer.text
    return [item["title"] for item in answer.json()["items"]]


@pytest.mark.parametrize(("query", "expected"), QUERIES.items(), ids=list(QUERIES))
def test_a_search_finds_what_the_matcher_accepts(
    site: Site, query: str, expected: list[str]
) -> None:
    assert sorted(_titles(site, q=query, limit="200")) == sorted(expected)
    assert sorted(_titles(site, q=query, limit="200")) == sorted(_every_match(site, query))


def _every_match(site: Site, query: str) -> list[str]:
    """The same query, asked of the matcher about every stored item: no index, no prefilter."""
    config = site.config
    judge = SearchMatcher(Matcher(config), parse_query(query, {e.id for e in config.entities}))
    with site.store.session() as session:
        rows = [find_item(session, str(item_id)) for item_id in range(1, 50)]
        return [r.title for r in rows if r is not None and judge.matches(stored_item(r, config))]


def test_a_search_takes_the_same_filters(site: Site) -> None:
    assert _titles(site, q="leike", language="ar", source="arabic-news", story="exits") == [
        "يان لايكه ينضم إلى أنثروبيك",
        "وألتمان يرد على استقالة لايكه",
        "يان لايكه يستقيل من أوبن إيه آي بسبب ثقافة السلامة",
    ]
    assert _titles(site, q="leike", entity="sutskever") == [
        "OpenAI dissolves its superalignment team"
    ]


def test_the_search_page_lists_the_matches(site: Site) -> None:
    page = site.get("/items", params={"q": "resign*"}).text
    assert "1 item matches" in page and "Jan Leike resigns from OpenAI" in page
    assert 'value="resign*"' in page


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("leike AND (altman", 11, "this '(' is never closed"),
        ('leike "safety', 7, "this quote is never closed"),
        ("NOT leike", 1, "a query cannot match only by what is absent"),
        ("leike NEAR altman", 11, "needs a distance in words"),
    ],
)
def test_a_malformed_query_is_a_400_with_its_column(
    site: Site, query: str, column: int, message: str
) -> None:
    api = site.get("/api/items", params={"q": query})
    assert api.status_code == 400
    assert api.json()["column"] == column and message in api.json()["error"]
    page = site.get("/items", params={"q": query})
    assert page.status_code == 400
    assert f"(column {column})" in page.text and message in page.text.replace("&#39;", "'")
    assert "\n" + " " * (column - 1) + "^</pre>" in page.text


def test_a_search_reads_a_bounded_number_of_candidates_and_goes_on_from_there(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "BUDGET", 3)
    monkeypatch.setattr(search_module, "CHUNK", 2)
    config, matcher = site.config, Matcher(site.config)
    found: list[str] = []
    before: Cursor | None = None
    with site.store.session() as session:
        for _ in range(20):
            page = search_module.search(
                session, config, matcher, "openai", ItemFilter(), before=before, limit=50
            )
            assert page.examined <= 3
            found += [row.title for row in page.rows]
            if page.resume is None:
                break
            before = page.resume
    assert sorted(found) == sorted(_every_match(site, "openai"))
