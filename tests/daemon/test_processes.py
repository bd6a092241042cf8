"""``watcher run`` as real processes: signals, and several workers sharing PostgreSQL.

No sleeping for timing: every wait polls for a condition (a log line, a request count, a row)
until it holds or a deadline passes.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from watcher.store import open_store
from watcher.store.claims import claimed_by
from watcher.store.sources import JITTER
from watcher.store.tables import SourceRow

from .conftest import Farm, daemon_config


class Worker:
    """One ``watcher run`` process with JSON logs in a file."""

    def __init__(self, name: str, config: Path, database_url: str, *options: str) -> None:
        self.name = name
        self.log = config.parent / f"{name}.log"
        env = {**os.environ, "WATCHER_DATABASE_URL": database_url}
        command = [sys.executable, "-m", "watcher", "--log-format", "json", "-c", str(config)]
        command += ["run", "--worker-id", name, *options]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stderr=log, stdout=log, env=env)

    def events(self) -> list[dict]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def logged(self, event: str) -> list[dict]:
        return [entry for entry in self.events() if entry.get("event") == event]

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError):
        return None


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


@pytest.mark.slow
def test_run_serves_health_reloads_on_sighup_and_stops_cleanly_on_sigterm(
    tmp_path: Path, farm: Farm, workers: list[Worker]
) -> None:
    port = free_port()
    config = tmp_path / "watch.yaml"
    base = daemon_config(farm, 2, extra=f'metrics: {{listen: "127.0.0.1:{port}"}}\n')
    config.write_text(base, encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'watcher.db'}"
    worker = Worker("solo", config, database, "--tick", "1s")
    workers.append(worker)

    health = wait_for(
        lambda: (h := healthz(port)) and h["last_success_at"] and h, 60, "a healthy /healthz"
    )
    assert health["status"] == "ok"
    assert farm.polls() == {"f000": 1, "f001": 1}

    config.write_text(daemon_config(farm, 3, extra=f'metrics: {{listen: "127.0.0.1:{port}"}}\n'))
    worker.signal(signal.SIGHUP)
    wait_for(lambda: farm.polls()["f002"] == 1, 30, "the added source to be polled")

    config.write_text(base + "fetch_every: 5m\n")
    worker.signal(signal.SIGHUP)
    refused = wait_for(lambda: worker.logged("config.invalid"), 30, "the refused reload")
    assert f"{config}:" in refused[0]["message"]
    assert "unknown key 'fetch_every'" in refused[0]["message"]
    assert healthz(port)["status"] == "ok"

    assert worker.stop(timeout=30) == 0
    assert worker.logged("daemon.stopped")
    assert healthz(port) is None
    store = open_store(database)
    with store.session() as session:
        assert claimed_by(session, "solo") == []
    store.close()
    assert max(farm.polls().values()) == 1


FEEDS = 300
INTERVAL = 10.0  # seconds between polls of one feed (±10 % jitter)
LEASE = 6.0  # longer than any batch takes here, even on a loaded machine


@pytest.mark.slow
@pytest.mark.postgres
def test_three_workers_share_postgresql_without_double_polls_or_double_digests(
    tmp_path: Path, postgres_url: str, workers: list[Worker]
) -> None:
    """Three workers, 300 feeds, a digest every minute; one worker is killed mid-run.

    Every feed is polled once per interval (no two requests closer than the jitter allows),
    every digest period is delivered exactly once although all three workers try, and the killed
    worker's claimed sources are polled by the others once its lease expires.
    """
    with Farm(delay=0.02) as farm:
        config = tmp_path / "watch.yaml"
        text = daemon_config(farm, FEEDS, every=f"{INTERVAL:g}s").replace(
            'at: "07:00"', 'cron: "* * * * *"'
        )
        config.write_text(text.replace("workers: 4", "workers: 8"), encoding="utf-8")
        options = ("--tick", "0.5s", "--lease", f"{LEASE:g}s")
        # No migration beforehand: the three workers race to migrate the empty schema.
        workers.extend(Worker(f"w{n}", config, postgres_url, *options) for n in (1, 2, 3))

        wait_for(lambda: len(farm.polls()) == FEEDS, 60, "every feed to be polled once")
        store = open_store(postgres_url, migrate=False)
        victim = workers[2]

        def victim_claims() -> list[str]:
            with store.session() as session:
                query = select(SourceRow.id).where(SourceRow.claimed_by == victim.name)
                return list(session.scalars(query))

        wait_for(lambda: victim.logged("poll.tick"), 30, "the third worker to poll")
        seen_held = wait_for(victim_claims, 30, "the third worker to hold claims")
        victim.kill()
        killed_at = time.monotonic()
        held = sorted({*seen_held, *victim_claims()})  # a killed worker gives nothing back
        polls_at_kill = farm.polls()

        wait_for(
            lambda: all(farm.polls()[s] > polls_at_kill[s] for s in held),
            LEASE + 2 * INTERVAL,
            "the killed worker's sources to be polled by the others",
        )
        wait_for(
            lambda: min(farm.polls().values()) >= 3 and farm.deliveries,
            4 * INTERVAL,
            "every feed polled three times and a digest delivered",
        )
        assert [worker.stop() for worker in workers[:2]] == [0, 0]
        assert victim_claims() == []
        store.close()

    times = farm.poll_times()
    minimum_gap = INTERVAL * (1 - JITTER) - 0.5  # the tick's granularity
    too_close = {
        feed: round(min(gaps(ts)), 2)
        for feed, ts in times.items()
        if feed not in held and min(gaps(ts)) < minimum_gap
    }
    assert too_close == {}
    assert min(len(ts) for ts in times.values()) >= 3
    for feed in held:  # polled again only once the lease ended, never sooner
        assert min(gaps(times[feed])) >= min(LEASE - 0.5, minimum_gap), feed

    per_period = Counter(key for key, _ in farm.deliveries)
    assert per_period and set(per_period.values()) == {1}, per_period
    write_figures(
        {
            "feeds": FEEDS,
            "interval_s": INTERVAL,
            "polls_per_feed": sorted(Counter(len(ts) for ts in times.values()).items()),
            "min_gap_s": round(min(min(gaps(ts)) for f, ts in times.items() if f not in held), 2),
            "killed_worker_claims": len(held),
            "repolled_after_kill_s": sorted(
                round(next(t for t in times[f] if t > killed_at) - killed_at, 1) for f in held
            ),
            "digest_periods": len(per_period),
            "max_deliveries_per_period": max(per_period.values()),
        }
    )


def write_figures(figures: dict) -> None:
    """The measured figures, as JSON to $WATCHER_DAEMON_FIGURES when it is set."""
    if target := os.environ.get("WATCHER_DAEMON_FIGURES"):
        Path(target).write_text(json.dumps(figures, indent=2), encoding="utf-8")


def gaps(times: list[float]) -> list[float]:
    """Seconds between one feed's successive requests."""
    return [later - earlier for earlier, later in itertools.pairwise(times)]


@pytest.mark.slow
def test_sigterm_lets_the_polls_in_flight_finish_and_record(
    tmp_path: Path, workers: list[Worker]
) -> None:
    with Farm(delay=1.5) as farm:
        config = tmp_path / "watch.yaml"
        config.write_text(daemon_config(farm, 3), encoding="utf-8")
        database = f"sqlite:///{tmp_path / 'watcher.db'}"
        worker = Worker("slow", config, database, "--tick", "1s")
        workers.append(worker)
        wait_for(lambda: len(farm.polls()) == 3, 60, "three requests in flight")
        worker.signal(signal.SIGTERM)
        assert worker.process.wait(timeout=30) == 0

    store = open_store(database)
    with store.session() as session:
        states = list(session.scalars(select(SourceRow)))
        assert claimed_by(session, "slow") == []
    store.close()
    assert [row.last_success_at is not None for row in states] == [True] * 3
    assert worker.logged("daemon.stopping")[0]["time"] < worker.logged("poll.tick")[0]["time"]


@pytest.mark.slow
def test_a_second_sigterm_exits_at_once_and_the_lease_covers_the_rest(
    tmp_path: Path, workers: list[Worker]
) -> None:
    with Farm(delay=30) as farm:
        config = tmp_path / "watch.yaml"
        config.write_text(daemon_config(farm, 2), encoding="utf-8")
        worker = Worker("stuck", config, f"sqlite:///{tmp_path / 'watcher.db'}", "--tick", "1s")
        workers.append(worker)
        wait_for(lambda: len(farm.polls()) == 2, 60, "two requests in flight")
        worker.signal(signal.SIGTERM)
        wait_for(lambda: worker.logged("daemon.stopping"), 30, "the first SIGTERM taken")
        worker.signal(signal.SIGTERM)
        assert worker.process.wait(timeout=10) == 128 + signal.SIGTERM
    assert worker.logged("daemon.forced_stop")
