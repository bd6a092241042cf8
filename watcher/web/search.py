"""One search request: the query parsed as the config parses story queries, the index asked
for candidates, the matcher asked about each, until the page is full or the budget is spent.

The budget bounds what one request may cost however common the query's words are: at most
``BUDGET`` candidates are read and matched. When it runs out the page says so and its "older"
link goes on from the last item examined, so nothing is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from watcher.config import Config
from watcher.config.query import parse_query
from watcher.jobs.rematch import stored_item
from watcher.match import Matcher
from watcher.match.item_search import SearchMatcher, prefilter
from watcher.store.search_index import candidates
from watcher.store.tables import ItemRow
from watcher.store.views import Cursor, ItemFilter

BUDGET = 2000  # candidates one request may match
CHUNK = 200  # candidates read at a time
MAX_QUERY = 500  # characters


@dataclass(frozen=True, slots=True)
class Found:
    rows: list[ItemRow]
    examined: int
    resume: Cursor | None  # where the next page starts; None: no candidate is left


def search(
    session: Session,
    config: Config,
    matcher: Matcher,
    text: str,
    filters: ItemFilter,
    *,
    before: Cursor | None,
    limit: int,
) -> Found:
    """Items matching the query ``text`` (newest first); raises ``QuerySyntaxError``."""
    query = parse_query(text, {entity.id for entity in config.entities})
    terms = prefilter(query)
    judge = SearchMatcher(matcher, query)
    found: list[ItemRow] = []
    examined, cursor = 0, before
    while examined < BUDGET:
        chunk = min(CHUNK, BUDGET - examined)
        rows = candidates(session, terms, filters, before=cursor, limit=chunk)
        for row in rows:
            examined += 1
            cursor = Cursor(row.published_at, row.id)
            if judge.matches(stored_item(row, config)):
                found.append(row)
                if len(found) == limit:
                    return Found(found, examined, cursor)
        if len(rows) < chunk:
            return Found(found, examined, None)
    return Found(found, examined, cursor)
