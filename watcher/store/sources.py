"""Source state: reconcile the config into rows, record each poll's outcome, schedule the next.

Backoff lives here, with the data (see ``next_delay``): a failing source is retried on an
exponential schedule capped at ``fetch.max_backoff`` (24 h by default), never frozen, and a
server's Retry-After is honoured within that cap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watcher.config import Config, Source
from watcher.model import CaptureLog, FetchResult
from watcher.redact import error_text, redact
from watcher.store.archive import capture_log
from watcher.store.tables import ItemRow, SourceRow

__all__ = ["SourceRow"]

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
            row.etag = row.last_modified = row.body_hash = row.cursor = None
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
    rows = session.scalars(select(SourceRow).where(SourceRow.id.in_(source_ids)))
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


def record_success(
    session: Session,
    source_id: str,
    *,
    now: datetime,
    interval: timedelta,
    result: FetchResult | None = None,
    body_hash: str | None = None,
    cursor: str | None = None,
    warning: str | None = None,
    new_items: int = 0,
) -> None:
    row = session.get_one(SourceRow, source_id)
    if result is not None:
        row.etag = result.etag
        row.last_modified = result.last_modified
    row.body_hash = body_hash or row.body_hash
    row.cursor = cursor or row.cursor
    row.warning = error_text(warning) if warning else None
    row.last_polled_at = row.last_success_at = now
    row.consecutive_failures = 0
    row.failing_since = None
    row.items_total = (row.items_total or 0) + new_items
    row.next_poll_at = now + _jittered(interval)
    row.claimed_by = row.claimed_until = None


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
