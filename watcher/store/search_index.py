"""The search index: each item's words, kept beside the items to narrow a search.

The words come from ``watcher.match.item_search.index_words``; a query's ``SearchTerm`` tree from
``watcher.match.item_search.prefilter``; the matcher has the last word on every candidate.

- SQLite: an FTS5 table, rowid = item id, ``tokenize='ascii'`` (the words are normalised
  already, and every non-ASCII character is part of a word) and ``detail='none'`` (only which
  items hold a word: the smallest FTS5 index). Without FTS5 compiled in there is no table, and
  a search reads every item (still bounded per request by its caller).
- PostgreSQL: ``array_to_tsvector`` of the words as they are (no dictionary, no stemming) under
  a GIN index; queries are ``tsquery`` literals of the same words.

Indexing is incremental and runs outside any poll (the web view's indexer): items updated since
the last pass, less ``MARGIN`` for transactions that committed late, whose index row is missing
or older than the item. A search counts exactly those "stale" items as candidates whatever they
contain, so an item stored a second ago is found before the indexer has seen it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watcher.model import AllTerms, AnyTerms, EntityTerm, SearchTerm, WordTerm
from watcher.store.tables import ItemRow, MentionRow, StateRow, UtcDateTime
from watcher.store.views import Cursor, ItemFilter, narrowed, newest_first

TABLE = "item_search"
MARGIN = timedelta(minutes=30)  # longer than any poll transaction stays open
_STATE_KEY = "search.indexed_until"

# Not in tables.Base: the two back-ends keep different tables (made by migration 0002).
_SQLITE = Table(
    TABLE,
    MetaData(),
    Column("rowid", Integer, primary_key=True),
    Column("words", Text),
    Column("version", UtcDateTime()),
)
_POSTGRES = Table(
    TABLE,
    MetaData(),
    Column("item_id", BigInteger, primary_key=True),
    Column("version", UtcDateTime()),
    Column("words", TSVECTOR),
)


def in_models(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's ``include_name``: the search tables (and FTS5's shadow tables) are not models."""
    return not (type_ == "table" and (name or "").startswith(TABLE))


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _key(session: Session) -> Column[int]:
    return _POSTGRES.c.item_id if _postgres(session) else _SQLITE.c.rowid


def has_index(session: Session) -> bool:
    """False on an SQLite without FTS5, where migration 0002 could not make the table."""
    if _postgres(session):
        return True
    found = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name")
    return session.scalar(found, {"name": TABLE}) is not None


# --- keeping it up to date ------------------------------------------------------------------------


def indexed_until(session: Session) -> datetime | None:
    """When the last complete indexing pass started (None: it never completed one)."""
    row = session.get(StateRow, _STATE_KEY)
    return datetime.fromisoformat(row.value) if row is not None else None


def save_indexed_until(session: Session, moment: datetime) -> None:
    """Record a complete pass (an upsert: two indexers, in two processes say, may race)."""
    insert = postgres_insert if _postgres(session) else sqlite_insert
    values = {"key": _STATE_KEY, "value": moment.isoformat(), "updated_at": moment}
    statement = insert(StateRow).values(values)
    update = {"value": statement.excluded.value, "updated_at": statement.excluded.updated_at}
    session.execute(statement.on_conflict_do_update(index_elements=["key"], set_=update))


def pending_since(session: Session) -> datetime | None:
    """Items updated since then may be missing from the index (None: any item may be)."""
    until = indexed_until(session)
    return until - MARGIN if until is not None else None


def _unindexed(session: Session, query: Select, since: datetime | None) -> Select:
    """``query`` (over items) narrowed to items updated since ``since`` whose index row is
    missing or older than them."""
    table = _POSTGRES if _postgres(session) else _SQLITE
    query = query.outerjoin(table, _key(session) == ItemRow.id).where(
        or_(table.c.version.is_(None), table.c.version != ItemRow.updated_at)
    )
    return query.where(ItemRow.updated_at >= since) if since is not None else query


def stale_items(
    session: Session, since: datetime | None, after: tuple[datetime, int] | None, limit: int
) -> list[ItemRow]:
    """The next ``limit`` items to (re)index, in update order, after ``after``."""
    query = _unindexed(session, select(ItemRow), since)
    if after is not None:
        updated, item_id = after
        query = query.where(
            or_(
                ItemRow.updated_at > updated,
                and_(ItemRow.updated_at == updated, ItemRow.id > item_id),
            )
        )
    return list(session.scalars(query.order_by(ItemRow.updated_at, ItemRow.id).limit(limit)))


def write_index(session: Session, documents: list[tuple[int, datetime, str]]) -> None:
    """Store (item id, item's updated_at, its words) for each item, replacing older rows."""
    if not documents:
        return
    if _postgres(session):
        words = func.array_to_tsvector(bindparam("words", type_=ARRAY(Text)))
        statement = postgres_insert(_POSTGRES).values(
            item_id=bindparam("item_id"), version=bindparam("version"), words=words
        )
        statement = statement.on_conflict_do_update(
            index_elements=["item_id"],
            set_={"version": statement.excluded.version, "words": statement.excluded.words},
        )
        rows = [{"item_id": i, "version": v, "words": w.split()} for i, v, w in documents]
        session.execute(statement, rows)
        return
    ids = [item_id for item_id, _, _ in documents]
    session.execute(delete(_SQLITE).where(_SQLITE.c.rowid.in_(ids)))
    session.execute(
        _SQLITE.insert(),
        [{"rowid": i, "version": v, "words": w} for i, v, w in documents],
    )


def prune_index(session: Session) -> int:
    """Drop the rows of items that are gone (PostgreSQL's foreign key does it by itself)."""
    if _postgres(session):
        return 0
    gone = delete(_SQLITE).where(_SQLITE.c.rowid.not_in(select(ItemRow.id)))
    return session.execute(gone).rowcount  # type: ignore[attr-defined]


# --- searching ------------------------------------------------------------------------------------


def candidates(
    session: Session,
    terms: SearchTerm | None,
    filters: ItemFilter,
    *,
    before: Cursor | None,
    limit: int,
) -> list[ItemRow]:
    """A page of items that may match (newest first): what the index lets through, plus every
    item it has not seen yet. ``terms`` None, or no index: every item matching ``filters``."""
    query = narrowed(select(ItemRow), filters)
    if terms is not None and has_index(session):
        unseen = ItemRow.id.in_(_unindexed(session, select(ItemRow.id), pending_since(session)))
        query = query.where(or_(_condition(session, terms), unseen))
    return list(session.scalars(newest_first(query, before, limit)))


def _condition(session: Session, term: SearchTerm) -> ColumnElement[bool]:
    postgres = _postgres(session)
    words = _tsquery(term) if postgres else _fts_query(term)
    if words is not None:
        if postgres:
            holding = _POSTGRES.c.words.bool_op("@@")(cast(bindparam(None, words), TSQUERY))
            return ItemRow.id.in_(select(_POSTGRES.c.item_id).where(holding))
        holding = literal_column(TABLE).bool_op("MATCH")(bindparam(None, words))
        return ItemRow.id.in_(select(_SQLITE.c.rowid).where(holding))
    if isinstance(term, EntityTerm):
        return ItemRow.id.in_(
            select(MentionRow.item_id).where(MentionRow.entity_id == term.entity_id)
        )
    assert isinstance(term, AllTerms | AnyTerms)
    parts = [_condition(session, part) for part in term.parts]
    return and_(*parts) if isinstance(term, AllTerms) else or_(*parts)


def _fts_query(term: SearchTerm) -> str | None:
    """An FTS5 query for a tree of words only (None when it names an entity)."""
    if isinstance(term, WordTerm):
        forms = [_fts_string(form) + (" *" if term.prefix else "") for form in term.forms]
        return forms[0] if len(forms) == 1 else f"({' OR '.join(forms)})"
    return _joined(term, _fts_query, " AND ", " OR ")


def _tsquery(term: SearchTerm) -> str | None:
    """A tsquery literal for a tree of words only (None when it names an entity)."""
    if isinstance(term, WordTerm):
        forms = [_lexeme(form) + (":*" if term.prefix else "") for form in term.forms]
        return forms[0] if len(forms) == 1 else f"({' | '.join(forms)})"
    return _joined(term, _tsquery, " & ", " | ")


def _fts_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _joined(term: SearchTerm, translate, all_of: str, any_of: str) -> str | None:  # type: ignore[no-untyped-def]
    if isinstance(term, EntityTerm):
        return None
    assert isinstance(term, AllTerms | AnyTerms)
    parts = [translate(part) for part in term.parts]
    if None in parts:
        return None
    return "(" + (all_of if isinstance(term, AllTerms) else any_of).join(parts) + ")"
