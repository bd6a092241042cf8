"""The daemon: APScheduler jobs for polling, digests and housekeeping; signals; config reloads.

``watcher run`` builds a ``Daemon`` and calls ``run()``. Four jobs share one background scheduler:

* **poll** every ``tick``: claim due sources from the database (``watcher.store.claims``), poll
  them on the bounded pool (``watcher.jobs.poll.poll_sources``), repeat until nothing is due. The
  database, not this process, decides what is due, so any number of workers share the work and a
  restart loses nothing.
* **digest:ID** at each of the digest's slots, in the config's time zone, DST included
  (``SlotTrigger``); the outbox makes each (digest, period) exactly-once across workers. On start,
  a slot missed while the daemon was down is caught up once if it is within ``grace``.
* **deliveries** every minute: retry deliveries that failed and are due again.
* **housekeeping** hourly: the ``retention`` policy.

SIGHUP reloads the config (the old one stays when the new one is invalid); SIGTERM and SIGINT stop:
no new batch is claimed, the batch in flight is finished and recorded, claims still held are given
back, and the process exits.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError

from watcher import metrics
from watcher.clock import Clock, utcnow
from watcher.config import Channel, Config, load_config
from watcher.deliver.backend import Backend, Outgoing, SendResult
from watcher.deliver.outbox import retry_pending_deliveries
from watcher.deliver.registry import backend_for
from watcher.digest.period import latest_slot
from watcher.errors import ConfigError
from watcher.fetch.clients import Clients
from watcher.jobs.digest_run import DigestLocks, RunResult, run_digest
from watcher.jobs.poll import PollSummary, poll_sources
from watcher.jobs.rematch import rematch_if_config_changed
from watcher.logs import register_config_secrets
from watcher.match import Matcher
from watcher.schedule.health import Health, HealthServer
from watcher.schedule.slots import digest_trigger
from watcher.store import Store
from watcher.store.claims import (
    PollingHealth,
    claim_due_sources,
    polling_health,
    release_claims,
    serialise,
)
from watcher.store.housekeeping import prune_items
from watcher.store.sources import sync_sources

log = logging.getLogger(__name__)

DELIVERY_RETRY_EVERY = timedelta(minutes=1)
HOUSEKEEPING_EVERY = timedelta(hours=1)


# --- the daemon -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaemonOptions:
    """How this worker runs; the defaults suit production, tests shorten them."""

    worker_id: str
    tick: timedelta = timedelta(seconds=15)
    lease: timedelta = timedelta(minutes=15)
    # Sources claimed at a time; default twice fetch.workers, the pipeline's window: enough to
    # keep the pool busy past one slow source, few enough that SIGTERM waits for little.
    batch: int | None = None
    metrics_listen: str | None = None  # overrides the config's metrics.listen


@dataclass
class _Runtime:
    """What is rebuilt from a config: swapped whole on reload, so jobs see one consistent set."""

    config: Config
    clients: Clients
    matcher: Matcher
    source_ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(cls, config: Config) -> _Runtime:
        ids = frozenset(source.id for source in config.sources)
        return cls(config, Clients.open(config), Matcher(config), ids)


class Daemon:
    """One worker: its scheduler, its view of the config, its health endpoint.

    Every job is a method that takes an optional explicit ``now``, so tests drive the daemon
    tick by tick; ``run()`` hands them to APScheduler and waits for signals.
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        options: DaemonOptions,
        *,
        config_file: str | Path | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.options = options
        self.config_file = config_file or config.path
        self.clock = clock
        self.runtime = _Runtime.build(config)
        self.started_at = clock()
        self.last_progress_at = self.started_at
        self.scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1}
        )
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._reload_requested = False
        self._reconcile_pending = False
        self._health_server: HealthServer | None = None
        self._retired: list[Clients] = []  # replaced by a reload, perhaps still polling
        self.digest_locks = DigestLocks()  # outlives reloads: a run in flight keeps its lock

    @property
    def config(self) -> Config:
        return self.runtime.config

    # --- jobs, each callable directly with an explicit ``now`` ------------------------------

    def reconcile(self, now: datetime | None = None) -> None:
        """Bring the sources table in line with the config; rematch if the stories changed."""
        with self.store.session() as session:
            serialise(session, "sync-sources")
            sync_sources(session, self.config, now or self.clock())
        rematch_if_config_changed(self.store, self.config, now=now or self.clock())

    def poll_tick(self, now: datetime | None = None) -> PollSummary:
        """Claim due sources and poll them, batch after batch, until none is due or we stop.

        A source is polled at most once per tick: one that is due again at once (a clock ahead
        of the others, a test's future ``now``) is given back for the next tick, not spun on.
        """
        self._reconcile_if_pending()
        total = PollSummary()
        batch = self.options.batch or 2 * self.config.fetch.workers
        polled: set[str] = set()
        started = time.monotonic()
        while not self._stopping.is_set():
            self._close_retired()  # no batch uses them now: only one tick runs at a time
            runtime = self.runtime
            claimed = self._claim(now or self.clock(), batch)
            fresh = [i for i in claimed if i in runtime.source_ids and i not in polled]
            self._warn_unknown(sorted(set(claimed) - runtime.source_ids))
            again = [i for i in claimed if i in polled]
            if again:
                with self.store.session() as session:
                    release_claims(session, self.options.worker_id, again)
            if not fresh:
                break
            summary = self._poll(runtime, fresh)
            polled.update(fresh)
            metrics.ITEMS_STORED.inc(summary.new)
            total.merge(summary)
            self.last_progress_at = self.clock()
        self.last_progress_at = self.clock()
        metrics.TICKS.labels(job="poll").inc()
        self.refresh_gauges()
        if total.polled:
            log.info(
                "%s",
                total.line(),
                extra={
                    "event": "poll.tick",
                    "worker": self.options.worker_id,
                    "count": total.polled,
                    "duration": round(time.monotonic() - started, 3),
                },
            )
        return total

    def _close_retired(self) -> None:
        while self._retired:
            self._retired.pop().close()

    def _claim(self, now: datetime, limit: int) -> list[str]:
        with self.store.session() as session:
            return claim_due_sources(
                session,
                worker_id=self.options.worker_id,
                now=now,
                limit=limit,
                lease=self.options.lease,
            )

    def _poll(self, runtime: _Runtime, source_ids: list[str]) -> PollSummary:
        """Poll claimed sources; whatever was not recorded (an error, a stop) is given back."""
        started = time.monotonic()
        try:
            return poll_sources(
                self.store,
                runtime.config,
                source_ids,
                clients=runtime.clients,
                matcher=runtime.matcher,
                clock=self.clock,
            )
        finally:
            with self.store.session() as session:
                release_claims(session, self.options.worker_id, source_ids)
            log.debug(
                "polled %d sources",
                len(source_ids),
                extra={
                    "event": "poll.batch",
                    "worker": self.options.worker_id,
                    "count": len(source_ids),
                    "duration": round(time.monotonic() - started, 3),
                },
            )

    def _warn_unknown(self, source_ids: list[str]) -> None:
        """Sources another worker's newer config added: left claimed so that worker takes them
        once the lease ends, instead of this one claiming them again at every tick."""
        if source_ids:
            log.warning(
                "sources %s are in the database but not in this worker's config; "
                "reload every worker after a config change (SIGHUP)",
                ", ".join(source_ids[:10]),
                extra={"event": "poll.unknown_sources", "count": len(source_ids)},
            )

    def digest_tick(
        self, digest_id: str, now: datetime | None = None, period_end: datetime | None = None
    ) -> RunResult:
        """Build and send ``digest_id`` for its latest period (idempotent across workers)."""
        now = now or self.clock()
        config = self.config
        period_end = period_end or latest_slot(config.digest(digest_id), config.tz, now)
        started = time.monotonic()
        result = run_digest(
            self.store,
            config,
            digest_id,
            period_end,
            now=now,
            worker=self.options.worker_id,
            locks=self.digest_locks,
            backends=_counted_backend,
        )
        outcome = "skipped" if result.skipped else "built" if result.built else "already_built"
        metrics.DIGESTS.labels(digest=digest_id, outcome=outcome).inc()
        metrics.TICKS.labels(job="digest").inc()
        log.info(
            "digest %s for the period ending %s: %s; deliveries: %s",
            digest_id,
            period_end.isoformat(),
            outcome.replace("_", " "),
            ", ".join(f"{c} {state}" for c, state in result.deliveries.items()) or "none",
            extra={
                "event": "digest.run",
                "digest": digest_id,
                "period": period_end.isoformat(),
                "duration": round(time.monotonic() - started, 3),
            },
        )
        return result

    def catch_up_digests(self, now: datetime | None = None) -> list[str]:
        """On start: send each digest whose latest slot passed while we were down, once, if it is
        within the digest's ``grace``. Already-sent periods are left alone by the outbox."""
        now = now or self.clock()
        caught_up = []
        for digest in self.config.digests:
            slot = latest_slot(digest, self.config.tz, now)
            if now - slot > digest.grace:
                continue
            try:
                self.digest_tick(digest.id, now=now, period_end=slot)
            except Exception:  # one broken digest must not keep the others unsent
                log.exception(
                    "digest %s: catching up failed", digest.id, extra={"digest": digest.id}
                )
                continue
            caught_up.append(digest.id)
        return caught_up

    def deliveries_tick(self, now: datetime | None = None) -> dict[int, str]:
        """Retry the deliveries that failed and are due again, and any whose lease expired."""
        states = retry_pending_deliveries(
            self.store,
            self.config,
            now=now or self.clock(),
            worker=self.options.worker_id,
            backends=_counted_backend,
        )
        metrics.TICKS.labels(job="deliveries").inc()
        return states

    def housekeeping_tick(self, now: datetime | None = None) -> int:
        """Apply ``retention``: prune old items nothing refers to any more."""
        retention = self.config.retention
        metrics.TICKS.labels(job="housekeeping").inc()
        if retention is None:
            return 0
        before = (now or self.clock()) - retention
        digest_ids = [digest.id for digest in self.config.digests]
        pruned = prune_items(self.store, before=before, digest_ids=digest_ids)
        metrics.ITEMS_PRUNED.inc(pruned)
        if pruned:
            log.info(
                "pruned %d items", pruned, extra={"event": "retention.pruned", "count": pruned}
            )
        return pruned

    def refresh_gauges(self) -> None:
        with self.store.session() as session:
            health = polling_health(session)
        metrics.set_fleet_state(health.failing, health.last_success_at, health.fulfilled)

    # --- health ------------------------------------------------------------------------------

    def health(self, now: datetime | None = None) -> Health:
        """Scheduler running and the poll loop moving; database up; a recent success."""
        now = now or self.clock()
        database_error, state = None, PollingHealth(0, 0, None)
        try:
            with self.store.session() as session:
                session.execute(text("SELECT 1"))
                state = polling_health(session)
        except Exception as error:  # the probe reports it; the daemon goes on
            database_error = f"{error.__class__.__name__}: {str(error).splitlines()[0]}"
        return Health(
            now=now,
            started_at=self.started_at,
            scheduler_running=self.scheduler.state == STATE_RUNNING,
            last_tick_at=self.last_progress_at,
            stall_after=self.options.lease + self.options.tick,
            database_error=database_error,
            active_sources=state.active,
            failing_sources=state.failing,
            last_success_at=state.last_success_at,
            failing_deliveries=state.failing_deliveries,
            given_up_deliveries=state.given_up_deliveries,
            stale_after=self.stale_after(),
            worker=self.options.worker_id,
        )

    def metrics_listen(self) -> str | None:
        metrics_config = self.config.metrics
        return self.options.metrics_listen or (metrics_config.listen if metrics_config else None)

    def stale_after(self) -> timedelta:
        """How old the latest success may be: twice the longest polling interval, plus a lease."""
        config = self.config
        intervals = [config.source_interval(s) for s in config.sources if s.enabled]
        return 2 * max(intervals, default=config.fetch.every) + self.options.lease

    # --- reload --------------------------------------------------------------------------------

    def reload(self) -> bool:
        """Re-read the config and swap the runtime; on any problem keep the running one.

        The whole new runtime (config, clients, matcher, digest triggers) is built and checked
        before the swap, so a config that loads but cannot run changes nothing. Problems are
        logged as ``FILE:LINE: message`` where there is a line. The database is brought in line
        after the swap; if it is away, that is retried at the next poll tick, never fatal.
        """
        try:
            runtime = self._build_runtime()
        except ConfigError as error:
            for problem in error.problems:
                log.error("config not reloaded: %s", problem, extra={"event": "config.invalid"})
            return False
        except Exception as error:  # whatever it is, the daemon keeps running the old config
            log.exception(
                "config not reloaded: %s: %s",
                error.__class__.__name__,
                error,
                extra={"event": "config.invalid"},
            )
            return False
        old, self.runtime = self.runtime, runtime
        config = runtime.config
        if config.metrics != old.config.metrics and not self.options.metrics_listen:
            log.warning("metrics.listen changed: restart watcher to move the endpoint")
        register_config_secrets(config)
        self._schedule_digests()
        self._retired.append(old.clients)
        log.info(
            "config reloaded from %s",
            config.path,
            extra={"event": "config.reloaded", "count": len(config.sources)},
        )
        self._reconcile_pending = True
        self._reconcile_if_pending()
        return True

    def _build_runtime(self) -> _Runtime:
        config = load_config(self.config_file)
        for digest in config.digests:
            digest_trigger(config, digest)  # a trigger that cannot be built refuses the config
        return _Runtime.build(config)

    def _reconcile_if_pending(self) -> None:
        """Bring the database in line with a reloaded config; a database error leaves it pending
        for the next poll tick (the daemon goes on meanwhile)."""
        if not self._reconcile_pending:
            return
        try:
            self.reconcile()
        except Exception as error:
            log.warning(
                "the reloaded config is not in the database yet (%s: %s); trying again at the "
                "next poll",
                error.__class__.__name__,
                str(error).splitlines()[0][:200] if str(error) else "",
                extra={"event": "config.reconcile_pending"},
            )
            return
        self._reconcile_pending = False

    # --- running -------------------------------------------------------------------------------

    def start(self) -> None:
        """Reconcile, serve health, schedule the jobs (poll at once, catch up digests)."""
        now = self.clock()
        self.reconcile(now)
        metrics.set_info(self.options.worker_id)
        if listen := self.metrics_listen():
            self._health_server = HealthServer(listen, self.health).start()
        add = self.scheduler.add_job
        add(
            _outage_tolerant(self.poll_tick),
            _every(self.options.tick),
            id="poll",
            next_run_time=now,
        )
        add(_outage_tolerant(self.catch_up_digests), id="catch-up", next_run_time=now)
        add(_outage_tolerant(self.deliveries_tick), _every(DELIVERY_RETRY_EVERY), id="deliveries")
        add(_outage_tolerant(self.housekeeping_tick), _every(HOUSEKEEPING_EVERY), id="housekeeping")
        self._schedule_digests()
        self.scheduler.start()
        metrics.SCHEDULER_RUNNING.set(1)
        log.info(
            "watcher running: %d sources, %d digests",
            len(self.config.sources),
            len(self.config.digests),
            extra={"event": "daemon.started", "worker": self.options.worker_id},
        )

    def _schedule_digests(self) -> None:
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        for digest in self.config.digests:
            self.scheduler.add_job(
                _outage_tolerant(self.digest_tick),
                digest_trigger(self.config, digest),
                args=[digest.id],
                id=f"digest:{digest.id}",
                misfire_grace_time=int(digest.grace.total_seconds()),
            )

    def run(self) -> None:
        """Start, then serve signals until SIGTERM or SIGINT; stop cleanly."""
        self.install_signal_handlers()
        self.start()
        try:
            while not self._stopping.is_set():
                self._wake.wait()
                self._wake.clear()
                if self._reload_requested and not self._stopping.is_set():
                    self._reload_requested = False
                    self.reload()
        finally:
            self.stop()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGHUP, self._on_reload_signal)

    def _on_stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        """The first SIGTERM or SIGINT stops cleanly; a second one does not wait any more.

        Exiting at once is safe too: each source's outcome is one transaction, so nothing is
        half-written, and the claims still held expire with their lease."""
        name = signal.Signals(signum).name
        if self._stopping.is_set():
            log.warning("%s again: exiting now", name, extra={"event": "daemon.forced_stop"})
            logging.shutdown()
            os._exit(128 + signum)
        self.request_stop(name)

    def _on_reload_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self._reload_requested = True
        self._wake.set()

    def request_stop(self, why: str = "stop requested") -> None:
        self._stopping.set()
        self._wake.set()
        log.info("%s: stopping after the polls in flight", why, extra={"event": "daemon.stopping"})

    def stop(self) -> None:
        """Finish what runs, give back unused claims, close everything. Safe to call twice."""
        self._stopping.set()
        if self.scheduler.state == STATE_RUNNING:
            self.scheduler.shutdown(wait=True)
        metrics.SCHEDULER_RUNNING.set(0)
        try:
            with self.store.session() as session:
                released = release_claims(session, self.options.worker_id)
        except Exception:
            log.exception("could not give back this worker's claims; they expire with the lease")
            released = 0
        if self._health_server is not None:
            self._health_server.stop()
            self._health_server = None
        self._close_retired()
        self.runtime.clients.close()
        log.info(
            "watcher stopped cleanly (%d claims given back)",
            released,
            extra={"event": "daemon.stopped", "worker": self.options.worker_id},
        )


class _CountedBackend:
    """A delivery backend whose sends are counted in ``watcher_deliveries_total``."""

    def __init__(self, backend: Backend, channel_id: str) -> None:
        self.backend = backend
        self.kind = backend.kind
        self.channel_id = channel_id

    def send(self, outgoing: Outgoing) -> SendResult:
        result = self.backend.send(outgoing)
        outcome = "sent" if result.ok else "gone" if result.gone else "failed"
        metrics.DELIVERIES.labels(channel=self.channel_id, outcome=outcome).inc()
        return result


def _counted_backend(channel: Channel, config: Config) -> Backend:
    return _CountedBackend(backend_for(channel, config), channel.id)  # type: ignore[return-value]


def _every(interval: timedelta) -> IntervalTrigger:
    return IntervalTrigger(seconds=interval.total_seconds())


def _outage_tolerant(job: Callable[..., Any]) -> Callable[..., Any]:
    """A scheduled job that meets an unreachable database logs one line and waits for its next
    run, instead of a traceback per job for as long as the database is away."""

    @functools.wraps(job)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return job(*args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            log.warning(
                "%s: the database is unavailable (%s); trying again at the next run",
                job.__name__,
                str(error.orig or error).splitlines()[0][:200],
                extra={"event": "database.unavailable"},
            )
            return None

    return run
