"""/healthz says why, /metrics speaks Prometheus, the health rules hold."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from watcher import metrics
from watcher.errors import WatcherError
from watcher.schedule.health import Health, HealthServer, parse_listen
from watcher.store import Store
from watcher.store.claims import polling_health

from .conftest import NOW

HEALTHY = Health(
    now=NOW,
    started_at=NOW - timedelta(days=1),
    scheduler_running=True,
    last_tick_at=NOW - timedelta(seconds=10),
    stall_after=timedelta(minutes=15),
    database_error=None,
    active_sources=10,
    failing_sources=1,
    last_success_at=NOW - timedelta(minutes=30),
    fresh_sources=9,
    worker="host:1",
)


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


@pytest.fixture
def serve():
    servers: list[HealthServer] = []

    def start(check) -> str:
        server = HealthServer("127.0.0.1:0", check).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.mark.parametrize(
    ("change", "ok", "reason"),
    [
        ({}, True, None),
        ({"scheduler_running": False}, False, ("scheduler", "stopped")),
        ({"last_tick_at": NOW - timedelta(minutes=16)}, False, ("scheduler", "stalled")),
        (
            {"database_error": "OperationalError: gone"},
            False,
            ("database", "OperationalError: gone"),
        ),
        ({"fresh_sources": 0}, False, ("polling", "stale")),
        ({"fresh_sources": 0, "last_success_at": None}, False, ("polling", "stale")),
        (
            {"fresh_sources": 0, "started_at": NOW - timedelta(minutes=5)},
            True,
            ("polling", "starting"),
        ),
        ({"failing_sources": 10}, False, ("polling", "all failing")),
        (
            {"failing_sources": 10, "started_at": NOW - timedelta(minutes=5)},
            False,
            ("polling", "all failing"),
        ),
        (
            {
                "fresh_sources": 0,
                "last_success_at": None,
                "active_sources": 0,
                "failing_sources": 0,
            },
            True,
            None,
        ),
    ],
)
def test_health_rules(change: dict, ok: bool, reason: tuple[str, str] | None) -> None:
    health = replace(HEALTHY, **change)
    body = health.as_dict()
    assert health.ok is ok
    assert body["status"] == ("ok" if ok else "failing")
    if reason:
        assert body[reason[0]] == reason[1]


def test_healthz_answers_200_with_details_when_healthy(serve) -> None:
    url = serve(lambda: HEALTHY)
    status, content_type, body = get(f"{url}/healthz")
    details = json.loads(body)
    assert (status, content_type) == (200, "application/json")
    assert details["status"] == "ok"
    assert details["last_success_age_seconds"] == 1800
    assert details["failing_sources"] == 1


def test_healthz_answers_503_when_failing_or_when_the_check_itself_breaks(serve) -> None:
    status, _, body = get(f"{serve(lambda: replace(HEALTHY, scheduler_running=False))}/healthz")
    assert status == 503
    assert json.loads(body)["scheduler"] == "stopped"

    def broken() -> Health:
        raise RuntimeError("database is on fire")

    status, _, body = get(f"{serve(broken)}/healthz")
    assert status == 503
    assert "database is on fire" in json.loads(body)["error"]


def test_metrics_are_prometheus_text_with_the_documented_names(serve) -> None:
    url = serve(lambda: HEALTHY)
    before = metrics.POLLS.labels(kind="feed", outcome="ok")._value.get()
    metrics.observe_poll("feed", "ok", 0.3)
    metrics.observe_poll("feed", "failed", None)
    metrics.set_fleet_state(3, NOW, 2)

    status, content_type, body = get(f"{url}/metrics")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    assert status == 200
    assert content_type.startswith("text/plain")
    assert {
        "watcher_polls",
        "watcher_fetch_duration_seconds",
        "watcher_items_stored",
        "watcher_story_matches",
        "watcher_followups_fulfilled",
        "watcher_digests",
        "watcher_deliveries",
        "watcher_sources_failing",
        "watcher_last_successful_poll_timestamp_seconds",
    } <= set(families)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert samples[("watcher_polls_total", (("kind", "feed"), ("outcome", "ok")))] == before + 1
    assert samples[("watcher_polls_total", (("kind", "feed"), ("outcome", "failed")))] >= 1
    assert samples[("watcher_sources_failing", ())] == 3
    assert samples[("watcher_last_successful_poll_timestamp_seconds", ())] == NOW.timestamp()
    assert samples[("watcher_followups_fulfilled", ())] == 2


def replace_ns(namespace: SimpleNamespace, **changes: object) -> SimpleNamespace:
    return SimpleNamespace(**{**vars(namespace), **changes})


def test_unknown_paths_are_404(serve) -> None:
    status, _, body = get(f"{serve(lambda: HEALTHY)}/")
    assert status == 404
    assert b"/healthz" in body


def test_a_busy_port_is_an_error_the_operator_can_act_on(serve) -> None:
    url = serve(lambda: HEALTHY)
    with pytest.raises(WatcherError, match=r"metrics\.listen .*another watcher"):
        HealthServer(url.removeprefix("http://"), lambda: HEALTHY)


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        (":9464", ("0.0.0.0", 9464)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:9464", ("::1", 9464)),
    ],
)
def test_listen_addresses(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected


@pytest.mark.parametrize("listen", ["9464", "localhost", "host:http", "host:70000"])
def test_bad_listen_addresses_say_how_to_write_them(listen: str) -> None:
    with pytest.raises(WatcherError, match=r"write it like 127\.0\.0\.1:9464"):
        parse_listen(listen)


def test_polling_health_reads_the_fleet_state(any_store: Store, add_sources) -> None:
    with any_store.session() as session:
        assert polling_health(session).active == 0
    add_sources(2, prefix="ok", last_success_at=NOW - timedelta(hours=1))
    add_sources(1, prefix="newest", last_success_at=NOW)
    add_sources(3, prefix="bad", consecutive_failures=2)
    add_sources(1, prefix="gone", removed_at=NOW, last_success_at=NOW + timedelta(days=1))

    with any_store.session() as session:
        health = polling_health(session)
    assert (health.active, health.failing) == (6, 3)
    assert health.last_success_at == NOW
    assert health.last_success_at.tzinfo is UTC


def test_timestamps_in_health_json_are_iso_utc() -> None:
    body = HEALTHY.as_dict()
    assert datetime.fromisoformat(body["last_success_at"]) == NOW - timedelta(minutes=30)


def test_failing_and_given_up_deliveries_are_shown_without_failing_health(any_store: Store) -> None:
    from watcher.store.tables import DeliveryRow, DigestRunRow

    with any_store.session() as session:
        run = DigestRunRow(
            digest_id="daily", period_start=NOW - timedelta(days=1), period_end=NOW, built_at=NOW
        )
        session.add(run)
        session.flush()
        for channel, state in (("mail", "failed"), ("hook", "given_up"), ("chat", "sent")):
            session.add(
                DeliveryRow(
                    run_id=run.id, channel_id=channel, state=state, attempts=3, created_at=NOW
                )
            )
    with any_store.session() as session:
        state = polling_health(session)
    assert (state.failing_deliveries, state.given_up_deliveries) == (1, 1)

    health = replace(HEALTHY, failing_deliveries=1, given_up_deliveries=1)
    assert health.ok
    assert (health.as_dict()["failing_deliveries"], health.as_dict()["given_up_deliveries"]) == (
        1,
        1,
    )
