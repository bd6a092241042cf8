"""Source state: reconcile the config into rows, record each poll's outcome, schedule the next.

Backoff lives here, with the data (see ``next_delay``): a failing source is retried on an
exponential schedule capped at ``fetch.max_backoff`` (24 h by default), never frozen, and a
server's Retry-After is honoured within that cap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Column, ColumnElement, Update, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from watcher.config import Config, Source
from watcher.model import CaptureLog, FetchResult
from watcher.redact import error_text, redact
from watcher.store.archive import capture_log
from watcher.store.tables import ItemRow, SourceRow
from watcher.text import clean_text, shorten

__all__ = ["SourceRow"]

MAX_TITLE = 200  # a feed's title, kept to name the outlet: a hostile feed sends megabytes
SOURCES = SourceRow.__table__
JITTER = 0.1  # ±10 % so sources with the same interval drift apart instead of polling in bursts


@dataclass(frozen=True, slots=True)
class SourceState:
    """What a poll needs to know from the last one: validators, body hash, archive progress."""

    etag: str | None
    last_modified: str | None
    body_hash: str | None
    cursor: str | None
    captures: CaptureLog | None = None


def sync_sources(session: Session, config: Config, now: datetime) -> None:
    """Make the rows match the config: add new sources, update changed ones, mark removed ones.

    A source whose URL changed forgets its validators (they belong to the old URL) but keeps its
    items; a removed source keeps its row and history and is simply no longer polled. The URL is
    kept redacted: a private feed's credentials stay in the config.
    """
    rows = {row.id: row for row in session.scalars(select(SourceRow))}
    for source in config.sources:
        row = rows.get(source.id)
        if row is None:
            session.add(_new_row(source, now))
            continue
        url = redact(source.url)
        if row.url != url or row.kind != source.kind:
            row.etag = row.last_modified = row.body_hash = row.cursor = row.title = None
            row.next_poll_at = now
        row.kind, row.url, row.owner = source.kind, url, source.owner
        row.removed_at = None if source.enabled else (row.removed_at or now)
    configured = {source.id for source in config.sources}
    for row in rows.values():
        if row.id not in configured and row.removed_at is None:
            row.removed_at = now


def _new_row(source: Source, now: datetime) -> SourceRow:
    return SourceRow(
        id=source.id,
        kind=source.kind,
        url=redact(source.url),
        owner=source.owner,
        next_poll_at=now,
        consecutive_failures=0,
        items_total=0,
        removed_at=None if source.enabled else now,
    )


def states(session: Session, source_ids: list[str]) -> dict[str, SourceState]:
    """Each source's state; archives also bring the captures already done since their cursor."""
    query = select(  # the columns it needs, not whole ORM rows: half the CPU at 2,000 sources
        SourceRow.id,
        SourceRow.kind,
        SourceRow.etag,
        SourceRow.last_modified,
        SourceRow.body_hash,
        SourceRow.cursor,
    ).where(SourceRow.id.in_(source_ids))
    rows = session.execute(query).all()
    return {
        row.id: SourceState(
            row.etag,
            row.last_modified,
            row.body_hash,
            row.cursor,
            capture_log(session, row.id, since=row.cursor) if row.kind == "archive" else None,
        )
        for row in rows
    }


def rows(session: Session, source_ids: list[str]) -> list[SourceRow]:
    """These sources' rows in one query; while held, lookups by id cost nothing."""
    if not source_ids:
        return []
    return list(session.scalars(select(SourceRow).where(SourceRow.id.in_(source_ids))))


def active_source_ids(session: Session) -> list[str]:
    """Every source still in the config and enabled, in a stable order."""
    query = select(SourceRow.id).where(SourceRow.removed_at.is_(None)).order_by(SourceRow.id)
    return list(session.scalars(query))


def all_sources(session: Session) -> list[SourceRow]:
    return list(
        session.scalars(select(SourceRow).order_by(SourceRow.removed_at.is_not(None), SourceRow.id))
    )


def undated_counts(session: Session) -> dict[str, int]:
    """Per source, its items dated when first seen: the feed gave no date, or none that could
    be read (``watcher sources``)."""
    query = (
        select(ItemRow.source_id, func.count())
        .where(ItemRow.published_estimated.is_(True))  # as ix_items_undated's condition
        .group_by(ItemRow.source_id)
    )
    return {str(source_id): int(count) for source_id, count in session.execute(query).all()}


def status(row: SourceRow) -> str:
    """``ok``, ``new`` (never polled), ``failing`` or ``removed``: what `watcher sources` shows."""
    if row.removed_at is not None:
        return "removed"
    if row.consecutive_failures:
        return f"failing ({row.consecutive_failures}x)"
    return "ok" if row.last_success_at else "new"


@dataclass(frozen=True, slots=True)
class Polled:
    """One source's successful poll, as ``record_successes`` records it: its fetch (validators),
    body hash, archive cursor and feed title when it brought them, its warning if any."""

    source_id: str
    interval: timedelta
    result: FetchResult | None = None
    body_hash: str | None = None
    cursor: str | None = None
    warning: str | None = None
    new_items: int = 0
    title: str | None = None


def record_success(session: Session, polled: Polled, *, now: datetime) -> None:
    record_successes(session, [polled], now=now)


def record_successes(session: Session, polls: list[Polled], *, now: datetime) -> None:
    """Record successful polls: the failure count cleared, the next poll scheduled, the
    validators replaced when there was a fetch; a title, body hash or cursor is kept when the
    poll brought none.

    One UPDATE sent once for every poll with a fetch and once for the rest (an executemany):
    a warm poll records thousands of unchanged sources, and the ORM's unit of work would cost
    several times more per row. It writes the table directly, so the rows the session holds
    are expired, to be read again when next used.
    """
    for fetched in (True, False):
        params = [_success_params(p, now) for p in polls if (p.result is not None) is fetched]
        if params:
            session.execute(_success_statement(fetched), params)
    for polled in polls:
        held = session.identity_map.get(identity_key(SourceRow, polled.source_id))
        if held is not None:
            session.expire(held)


def _success_params(polled: Polled, now: datetime) -> dict[str, object]:
    title = clean_text(polled.title) if polled.title else ""
    result = polled.result
    return {
        "p_id": polled.source_id,
        "p_title": shorten(title, MAX_TITLE) if title else None,
        "p_body_hash": polled.body_hash or None,
        "p_cursor": polled.cursor or None,
        "p_warning": error_text(polled.warning) if polled.warning else None,
        "p_now": now,
        "p_new_items": polled.new_items,
        "p_next_poll_at": now + _jittered(polled.interval),
        "p_etag": result.etag if result else None,
        "p_last_modified": result.last_modified if result else None,
    }


@cache  # built once: SQLAlchemy's functions cost ~1 ms each to construct
def _success_statement(fetched: bool) -> Update:
    columns = SOURCES.c

    def given(column: Column[Any]) -> BindParameter[Any]:
        return bindparam(f"p_{column.name}", type_=column.type)

    def kept(column: Column[Any]) -> ColumnElement[Any]:
        return func.coalesce(given(column), column)

    now = bindparam("p_now", type_=columns.last_polled_at.type)
    values: dict[str, object] = {
        "title": kept(columns.title),
        "body_hash": kept(columns.body_hash),
        "cursor": kept(columns.cursor),
        "warning": given(columns.warning),
        "last_polled_at": now,
        "last_success_at": now,
        "consecutive_failures": 0,
        "failing_since": None,
        "items_total": func.coalesce(columns.items_total, 0) + bindparam("p_new_items"),
        "next_poll_at": given(columns.next_poll_at),
        "claimed_by": None,
        "claimed_until": None,
    }
    if fetched:
        values |= {"etag": given(columns.etag), "last_modified": given(columns.last_modified)}
    return update(SOURCES).where(columns.id == bindparam("p_id")).values(values)


def record_failure(
    session: Session,
    source_id: str,
    *,
    now: datetime,
    interval: timedelta,
    max_backoff: timedelta,
    reason: str,
    retry_after: float | None = None,
) -> None:
    row = session.get_one(SourceRow, source_id)
    row.consecutive_failures = (row.consecutive_failures or 0) + 1
    row.failing_since = row.failing_since or now
    row.last_polled_at = row.last_error_at = now
    row.last_error = error_text(reason)
    delay = next_delay(row.consecutive_failures, interval, max_backoff, retry_after)
    row.next_poll_at = now + delay
    row.claimed_by = row.claimed_until = None


def next_delay(
    failures: int, interval: timedelta, max_backoff: timedelta, retry_after: float | None = None
) -> timedelta:
    """How long to wait after the ``failures``-th failure in a row.

    Doubling from a few minutes up to the source's interval and then beyond it, capped at
    ``max_backoff``; Retry-After wins when it asks for longer (still within the cap).
    """
    first = min(interval, timedelta(minutes=5))
    delay = min(max_backoff, first * 2 ** min(failures - 1, 20))
    if retry_after is not None:  # clamped before it becomes a timedelta: it is the server's wish
        wish = timedelta(seconds=min(max(retry_after, 0.0), max_backoff.total_seconds()))
        delay = max(delay, wish)
    return _jittered(delay)


def _jittered(delay: timedelta) -> timedelta:
    return delay * random.uniform(1 - JITTER, 1 + JITTER)
