"""Issue 13, problem 8: every JSON output writes datetimes one way, ISO-8601 in UTC with ``Z``
(``watcher.clock.iso_utc``), and keeps every key it had."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli.world import watcher
from watcher.config import load_config
from watcher.store import open_store
from watcher.store.digests import insert_run
from watcher.store.tables import DeliveryRow, DigestRunRow

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
LOOKS_LIKE_A_MOMENT = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def _moments(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _moments(v)]
    if isinstance(value, list):
        return [m for v in value for m in _moments(v)]
    return [value] if isinstance(value, str) and LOOKS_LIKE_A_MOMENT.match(value) else []


def _json(config: Path, *args: str) -> list[dict[str, Any]]:
    result = watcher(*args, "--json", "-c", str(config))
    assert result.code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def with_deliveries(world: Path) -> Path:
    """Polled, and one digest run delivered to one channel and failing on another."""
    assert watcher("poll", "-c", str(world)).code == 1  # the 404 feed
    store = open_store(load_config(world).database_url)
    end = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    with store.session() as session:
        run = DigestRunRow(
            digest_id="daily",
            period_start=datetime(2026, 12, 2, 4, 0, tzinfo=UTC),
            period_end=end,
            built_at=end,
        )
        insert_run(session, run, ["hook", "backup"], "pending")
        for delivery in session.query(DeliveryRow).all():
            delivery.attempts = 1
            if delivery.channel_id == "hook":
                delivery.state, delivery.sent_at = "sent", datetime(2026, 12, 3, 4, 0, 7)
            else:
                delivery.state, delivery.last_error = "failed", "HTTP 500"
                delivery.next_attempt_at = datetime(2026, 12, 3, 4, 10, 0, 123456)
    store.close()
    return world


def test_every_json_output_writes_moments_as_iso_utc_with_z(with_deliveries: Path) -> None:
    outputs = {
        "items": _json(with_deliveries, "items"),
        "sources": _json(with_deliveries, "sources"),
        "deliveries": _json(with_deliveries, "deliveries"),
        "followups": _json(with_deliveries, "followups"),
        "explain": _json(with_deliveries, "explain", "https://openai.example/news/longer-post"),
    }
    for command, rows in outputs.items():
        moments = _moments(rows)
        assert moments, command
        assert [m for m in moments if not ISO_Z.match(m)] == [], command


def test_the_keys_stay_and_the_values_read_as_before(with_deliveries: Path) -> None:
    sources = {row["id"]: row for row in _json(with_deliveries, "sources")}
    assert list(sources["wired-ai"]) == [
        "id",
        "kind",
        "url",
        "status",
        "failures",
        "last_success",
        "last_error",
        "last_error_at",
        "failing_since",
        "next_poll",
        "warning",
        "items",
        "undated",
    ]
    assert sources["gone-feed"]["last_error"] == "HTTP 404 Not Found"
    deliveries = {row["channel"]: row for row in _json(with_deliveries, "deliveries")}
    assert deliveries["hook"] == {
        "digest": "daily",
        "period_end": "2026-12-03T04:00:00Z",
        "channel": "hook",
        "state": "sent",
        "attempts": 1,
        "sent_at": "2026-12-03T04:00:07Z",
        "next_attempt_at": None,
        "error": None,
    }
    assert deliveries["backup"]["next_attempt_at"] == "2026-12-03T04:10:00.123456Z"
    (item,) = [r for r in _json(with_deliveries, "items") if r["source"] == "wired-ai"]
    assert item["published"] == "2024-05-17T15:03:00Z"
