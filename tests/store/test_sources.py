"""Sources follow the config without losing history; failures back off, capped, never frozen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.config import parse_config
from watcher.store import Store
from watcher.store import sources as source_store
from watcher.store.tables import SourceRow

NOW = datetime(2024, 5, 18, 12, tzinfo=UTC)


def _config(*sources: str):
    lines = "\n".join(f"  - {s}" for s in sources)
    return parse_config(f"sources:\n{lines}\n", Path("watch.yaml"))


def test_sync_adds_changes_and_marks_removed_without_deleting(store: Store) -> None:
    with store.session() as session:
        source_store.sync_sources(
            session,
            _config('{id: a, feed: "https://a.example/f"}', '{id: b, feed: "https://b.example/f"}'),
            NOW,
        )
        session.get_one(SourceRow, "a").etag = '"v1"'
    with store.session() as session:
        source_store.sync_sources(session, _config('{id: a, feed: "https://a.example/new"}'), NOW)
    with store.session() as session:
        a, b = session.get_one(SourceRow, "a"), session.get_one(SourceRow, "b")
        assert (a.url, a.etag) == ("https://a.example/new", None)
        assert b.removed_at == NOW
        assert source_store.active_source_ids(session) == ["a"]


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [
        (1, 4.5, 5.5),
        (2, 9, 11),
        (4, 36, 44),
        (10, 24 * 60 * 0.9, 24 * 60 * 1.1),
        (400, 24 * 60 * 0.9, 24 * 60 * 1.1),
    ],
)
def test_backoff_doubles_from_minutes_and_is_capped(failures: int, low: float, high: float) -> None:
    delay = source_store.next_delay(failures, timedelta(hours=1), timedelta(hours=24))
    assert low <= delay.total_seconds() / 60 <= high


def test_retry_after_is_honoured_within_the_cap() -> None:
    delay = source_store.next_delay(1, timedelta(hours=1), timedelta(hours=24), retry_after=3600)
    assert delay >= timedelta(minutes=54)
    capped = source_store.next_delay(1, timedelta(hours=1), timedelta(hours=24), retry_after=10**9)
    assert capped <= timedelta(hours=24 * 1.1)


def test_a_success_after_failures_clears_the_failure_state(store: Store) -> None:
    with store.session() as session:
        source_store.sync_sources(session, _config('{id: a, feed: "https://a.example/f"}'), NOW)
        for _ in range(3):
            source_store.record_failure(
                session,
                "a",
                now=NOW,
                interval=timedelta(hours=1),
                max_backoff=timedelta(hours=24),
                reason="HTTP 503",
            )
        row = session.get_one(SourceRow, "a")
        assert (row.consecutive_failures, row.failing_since, source_store.status(row)) == (
            3,
            NOW,
            "failing (3x)",
        )
        source_store.record_success(session, "a", now=NOW, interval=timedelta(hours=1), new_items=4)
        assert (row.consecutive_failures, row.failing_since, row.items_total) == (0, None, 4)
        assert source_store.status(row) == "ok"
        assert row.last_error == "HTTP 503"
