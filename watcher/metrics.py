"""Prometheus metrics: what the daemon did, served at ``/metrics`` by ``watcher.schedule.health``.

Everything lives in one module-level ``REGISTRY`` (not prometheus-client's global default), so
tests build fresh servers on it and no third-party collector leaks in. Counters are per process:
with several workers, sum them in Prometheus. The two gauges about sources (failing sources, last
successful poll, follow-ups fulfilled) are read from the database, so every worker reports the
whole fleet's state.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from watcher import __version__

disable_created_metrics()  # the *_created series only double the output for a daemon
REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

INFO = Info("watcher", "The running watcher: version and worker id.", registry=REGISTRY)
POLLS = Counter(
    "watcher_polls",
    "Source polls by outcome: ok (new content), unchanged (304 or same body), failed.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
FETCH_SECONDS = Histogram(
    "watcher_fetch_duration_seconds",
    "Time to fetch one source, by kind (feed, archive).",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
    registry=REGISTRY,
)
ITEMS_STORED = Counter("watcher_items_stored", "New items stored.", registry=REGISTRY)
STORY_MATCHES = Counter(
    "watcher_story_matches", "Items matched, by story.", ["story"], registry=REGISTRY
)
FOLLOWUPS_FULFILLED = Gauge(
    "watcher_followups_fulfilled", "Follow-ups fulfilled so far.", registry=REGISTRY
)
DIGESTS = Counter(
    "watcher_digests",
    "Digest runs by outcome: built, already_built (another worker or an earlier run), skipped.",
    ["digest", "outcome"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "watcher_deliveries",
    "Digest delivery attempts by channel and outcome: sent, failed, gone (HTTP 410).",
    ["channel", "outcome"],
    registry=REGISTRY,
)
SOURCES_FAILING = Gauge(
    "watcher_sources_failing", "Sources whose last poll failed.", registry=REGISTRY
)
LAST_SUCCESS = Gauge(
    "watcher_last_successful_poll_timestamp_seconds",
    "Unix time of the most recent successful poll of any source (0: none yet).",
    registry=REGISTRY,
)
SCHEDULER_RUNNING = Gauge(
    "watcher_scheduler_running", "1 while the scheduler runs, 0 otherwise.", registry=REGISTRY
)
TICKS = Counter(
    "watcher_ticks",
    "Scheduler jobs run, by job (poll, digest, housekeeping).",
    ["job"],
    registry=REGISTRY,
)
ITEMS_PRUNED = Counter(
    "watcher_items_pruned", "Items deleted by the retention policy.", registry=REGISTRY
)


def set_info(worker_id: str) -> None:
    INFO.info({"version": __version__, "worker": worker_id})


def observe_poll(kind: str, outcome: str, fetch_seconds: float | None) -> None:
    """Count one source's poll by outcome (ok, unchanged, failed) and time its fetch."""
    POLLS.labels(kind=kind, outcome=outcome).inc()
    if fetch_seconds is not None:
        FETCH_SECONDS.labels(kind=kind).observe(fetch_seconds)


def count_story_matches(story_ids: Iterable[str]) -> None:
    for story_id in story_ids:
        STORY_MATCHES.labels(story=story_id).inc()


def set_fleet_state(failing: int, last_success: datetime | None, fulfilled: int) -> None:
    """The gauges read from the database: the same on every worker."""
    SOURCES_FAILING.set(failing)
    LAST_SUCCESS.set(last_success.timestamp() if last_success else 0)
    FOLLOWUPS_FULFILLED.set(fulfilled)


def exposition() -> bytes:
    """The registry in Prometheus text format."""
    return generate_latest(REGISTRY)
