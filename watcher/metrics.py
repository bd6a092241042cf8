"""Prometheus metrics: what the daemon did, served at ``/metrics`` by ``watcher.schedule.health``.

Everything lives in one module-level ``REGISTRY`` (not prometheus-client's global default), so
tests build fresh servers on it and no third-party collector leaks in. Counters are per process:
with several workers, sum them in Prometheus. The two gauges about sources (failing sources, last
successful poll, follow-ups fulfilled) are read from the database, so every worker reports the
whole fleet's state.

The metrics are built (``enable``) when the daemon starts (``set_info``) or at the first read
of one; until then nothing is counted. So a one-off command such as ``poll --once``, whose
counts nothing would ever read, does not import prometheus-client (~0.1 CPU-s).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from watcher import __version__

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info


@dataclass(frozen=True, slots=True)
class Instruments:
    """Every metric, named as the module exposes it (``metrics.POLLS``)."""

    REGISTRY: CollectorRegistry
    INFO: Info
    POLLS: Counter
    FETCH_SECONDS: Histogram
    ITEMS_STORED: Counter
    STORY_MATCHES: Counter
    FOLLOWUPS_FULFILLED: Gauge
    DIGESTS: Counter
    DELIVERIES: Counter
    SOURCES_FAILING: Gauge
    LAST_SUCCESS: Gauge
    SCHEDULER_RUNNING: Gauge
    TICKS: Counter
    ITEMS_PRUNED: Counter


_built: Instruments | None = None
_building = threading.Lock()


def enable() -> Instruments:
    """Every metric, built once (in one registry of watcher's own) by the first caller."""
    global _built
    with _building:
        if _built is None:
            _built = _build()
        return _built


def _build() -> Instruments:
    from prometheus_client import (
        CollectorRegistry,
        Counter,
        Gauge,
        Histogram,
        Info,
        disable_created_metrics,
    )

    disable_created_metrics()  # the *_created series only double the output for a daemon
    registry = CollectorRegistry(auto_describe=True)
    return Instruments(
        REGISTRY=registry,
        INFO=Info("watcher", "The running watcher: version and worker id.", registry=registry),
        POLLS=Counter(
            "watcher_polls",
            "Source polls by outcome: ok (new content), unchanged (304 or same body), failed.",
            ["kind", "outcome"],
            registry=registry,
        ),
        FETCH_SECONDS=Histogram(
            "watcher_fetch_duration_seconds",
            "Time to fetch one source, by kind (feed, archive).",
            ["kind"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
            registry=registry,
        ),
        ITEMS_STORED=Counter("watcher_items_stored", "New items stored.", registry=registry),
        STORY_MATCHES=Counter(
            "watcher_story_matches", "Items matched, by story.", ["story"], registry=registry
        ),
        FOLLOWUPS_FULFILLED=Gauge(
            "watcher_followups_fulfilled", "Follow-ups fulfilled so far.", registry=registry
        ),
        DIGESTS=Counter(
            "watcher_digests",
            "Digest runs by outcome: built, already_built (another worker or an earlier run), "
            "skipped.",
            ["digest", "outcome"],
            registry=registry,
        ),
        DELIVERIES=Counter(
            "watcher_deliveries",
            "Digest delivery attempts by channel and outcome: sent, failed, gone (HTTP 410).",
            ["channel", "outcome"],
            registry=registry,
        ),
        SOURCES_FAILING=Gauge(
            "watcher_sources_failing", "Sources whose last poll failed.", registry=registry
        ),
        LAST_SUCCESS=Gauge(
            "watcher_last_successful_poll_timestamp_seconds",
            "Unix time of the most recent successful poll of any source (0: none yet).",
            registry=registry,
        ),
        SCHEDULER_RUNNING=Gauge(
            "watcher_scheduler_running",
            "1 while the scheduler runs, 0 otherwise.",
            registry=registry,
        ),
        TICKS=Counter(
            "watcher_ticks",
            "Scheduler jobs run, by job (poll, digest, housekeeping).",
            ["job"],
            registry=registry,
        ),
        ITEMS_PRUNED=Counter(
            "watcher_items_pruned", "Items deleted by the retention policy.", registry=registry
        ),
    )


def __getattr__(name: str) -> Any:
    """``metrics.POLLS`` and the others: built at the first read (``enable``)."""
    if name in _NAMES:
        return getattr(enable(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_NAMES = frozenset(field.name for field in fields(Instruments))


def set_info(worker_id: str) -> None:
    enable().INFO.info({"version": __version__, "worker": worker_id})


def observe_poll(kind: str, outcome: str, fetch_seconds: float | None) -> None:
    """Count one source's poll by outcome (ok, unchanged, failed) and time its fetch."""
    if (built := _built) is None:  # nothing will serve them: not counted
        return
    built.POLLS.labels(kind=kind, outcome=outcome).inc()
    if fetch_seconds is not None:
        built.FETCH_SECONDS.labels(kind=kind).observe(fetch_seconds)


def count_story_matches(story_ids: Iterable[str]) -> None:
    if (built := _built) is None:  # nothing will serve them: not counted
        return
    for story_id in story_ids:
        built.STORY_MATCHES.labels(story=story_id).inc()


def set_fleet_state(failing: int, last_success: datetime | None, fulfilled: int) -> None:
    """The gauges read from the database: the same on every worker."""
    built = enable()
    built.SOURCES_FAILING.set(failing)
    built.LAST_SUCCESS.set(last_success.timestamp() if last_success else 0)
    built.FOLLOWUPS_FULFILLED.set(fulfilled)


def exposition() -> tuple[str, bytes]:
    """The registry in Prometheus text format, with that format's content type."""
    from prometheus_client import generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    return CONTENT_TYPE_LATEST, generate_latest(enable().REGISTRY)
