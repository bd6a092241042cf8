"""Capture bookkeeping and backfill marks, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from watcher.config import Config
from watcher.model import Capture, CaptureOutcome
from watcher.store import Store, open_store
from watcher.store.archive import (
    BackfillMark,
    advance_cursor,
    backfill_mark,
    capture_log,
    mark_captures,
    save_backfill_mark,
    source_cursor,
)
from watcher.store.sources import sync_sources

NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def archive_store(request: pytest.FixtureRequest, tmp_path: Path, make_config) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'archive.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    config: Config = make_config("sources:\n  - {id: x-sama, archive: x.com/sama}\n")
    store = open_store(url)
    with store.session() as session:
        sync_sources(session, config, NOW)
    yield store
    store.close()


def outcome(timestamp: str, status_id: str, result: str) -> CaptureOutcome:
    return CaptureOutcome(Capture(timestamp, f"https://x.com/sama/status/{status_id}"), result)  # type: ignore[arg-type]


def test_captures_are_recorded_once_and_read_back(archive_store: Store) -> None:
    first = [outcome("20240517000000", "1", "truncated"), outcome("20240518000000", "2", "item")]
    with archive_store.session() as session:
        mark_captures(session, "x-sama", first, now=NOW)
    with archive_store.session() as session:
        mark_captures(session, "x-sama", [*first, outcome("20240519000000", "1", "item")], now=NOW)
    with archive_store.session() as session:
        log = capture_log(session, "x-sama")
        recent = capture_log(session, "x-sama", since="20240518000000")
    assert len(log.done) == 3
    assert log.complete == {"1", "2"}
    assert {ts for ts, _ in recent.done} == {"20240518000000", "20240519000000"}


def test_backfill_marks_and_the_cursor_only_move_forward(archive_store: Store) -> None:
    with archive_store.session() as session:
        assert backfill_mark(session, "x-sama") is None
        save_backfill_mark(session, "x-sama", BackfillMark(date(2013, 1, 1), "2016"), now=NOW)
        advance_cursor(session, "x-sama", "20240601000000")
        advance_cursor(session, "x-sama", "20240101000000")
    with archive_store.session() as session:
        save_backfill_mark(
            session, "x-sama", BackfillMark(date(2013, 1, 1), "2024", finished=True), now=NOW
        )
        assert backfill_mark(session, "x-sama") == BackfillMark(date(2013, 1, 1), "2024", True)
        assert source_cursor(session, "x-sama") == "20240601000000"
