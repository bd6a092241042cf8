"""Sources follow the config without losing history; failures back off, capped, never frozen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from watcher.config import parse_config
from watcher.model import FetchResult
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
        source_store.record_success(
            session, source_store.Polled("a", timedelta(hours=1), new_items=4), now=NOW
        )
        assert (row.consecutive_failures, row.failing_since, row.items_total) == (0, None, 4)
        assert source_store.status(row) == "ok"
        assert row.last_error == "HTTP 503"


def test_successes_recorded_together_replace_what_they_bring_and_keep_the_rest(
    store: Store,
) -> None:
    feeds = [f'{{id: {sid}, feed: "https://{sid}.example/f"}}' for sid in "abc"]
    with store.session() as session:
        source_store.sync_sources(session, _config(*feeds), NOW)
        for row in session.scalars(select(SourceRow)):
            row.title, row.body_hash, row.cursor, row.etag = "Old", "h0", "c0", '"v0"'
            row.consecutive_failures, row.items_total, row.claimed_by = 2, 5, "worker-1"
    not_modified = FetchResult(
        "https://a.example/f", "https://a.example/f", 304, False, etag='"v1"'
    )
    with store.session() as session:
        held = session.get_one(SourceRow, "a")
        source_store.record_successes(
            session,
            [
                source_store.Polled("a", timedelta(hours=1), result=not_modified),
                source_store.Polled(
                    "b", timedelta(hours=2), body_hash="h1", title=" New\x00 ", new_items=3
                ),
                source_store.Polled("c", timedelta(hours=1), cursor="c1", warning="stopped early"),
            ],
            now=NOW,
        )
        assert held.etag == '"v1"'  # the row the session held is read again
    with store.session() as session:
        rows = {row.id: row for row in session.scalars(select(SourceRow))}
    a, b, c = rows["a"], rows["b"], rows["c"]
    assert (a.etag, a.title, a.body_hash, a.cursor, a.items_total) == ('"v1"', "Old", "h0", "c0", 5)
    assert (b.etag, b.title, b.body_hash, b.items_total) == ('"v0"', "New", "h1", 8)  # no fetch
    assert (c.cursor, c.warning) == ("c1", "stopped early")
    for row in rows.values():
        assert (row.consecutive_failures, row.claimed_by, row.last_success_at) == (0, None, NOW)
    assert timedelta(hours=1.8) <= b.next_poll_at - NOW <= timedelta(hours=2.2)
