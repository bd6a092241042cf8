"""SIGTERM stops ``watcher run`` within seconds, whatever is queued.

A real daemon process polls three archived accounts whose requests wait on the archive's rate
limiter (one request every 10 s) and 24 slow feeds (each answer takes 20 s), four polls at a
time, the rest queued. SIGTERM comes while all of that is under way; the time from the signal to
the process's exit is measured over several runs. Queued polls are dropped, the polls in flight
are given back (their claims released), and nothing is left claimed.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.archive.conftest import FakeWayback, add_story_captures
from watcher.store import open_store
from watcher.store.claims import claimed_by

from .conftest import Farm
from .test_processes import Worker, wait_for

RUNS = 3
FEEDS = 24


def _config(farm: Farm, archive: FakeWayback) -> str:
    feeds = "\n".join(
        f'  - {{id: f{n:02d}, feed: "{farm.feed_url(f"f{n:02d}")}"}}' for n in range(FEEDS)
    )
    return f"""\
allow_private_networks: true
fetch: {{workers: 4, timeout: 60s}}
archive: {{base_url: "{archive.base_url}", rate: 0.1}}
people:
  - {{id: leike, name: Jan Leike, accounts: {{x: janleike}}}}
  - {{id: altman, name: Sam Altman, accounts: {{x: sama}}}}
  - {{id: brockman, name: Greg Brockman, accounts: {{x: gdb}}}}
stories:
  - {{id: s, title: S, since: 2024-05-01, match: leike}}
sources:
  - {{id: a-janleike, archive: x.com/janleike}}
  - {{id: a-sama, archive: x.com/sama}}
  - {{id: a-gdb, archive: x.com/gdb}}
{feeds}
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigterm_stops_within_seconds_with_polls_queued_in_flight_and_rate_limited(
    tmp_path: Path,
) -> None:
    seconds: list[float] = []
    database = f"sqlite:///{tmp_path / 'watcher.db'}"
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    archive = FakeWayback(server)
    add_story_captures(archive)
    try:
        with Farm(delay=20) as farm:
            config = tmp_path / "watch.yaml"
            config.write_text(_config(farm, archive), encoding="utf-8")
            for run in range(RUNS):
                seconds.append(_stop_once(f"w{run}", config, database, farm, archive))
    finally:
        server.stop()

    assert max(seconds) < 10, seconds
    figures = {"runs": RUNS, "seconds": [round(s, 2) for s in seconds]}
    figures["median_s"] = round(statistics.median(seconds), 2)
    print(f"SIGTERM to exit: {figures}")
    if target := os.environ.get("WATCHER_STOP_FIGURES"):
        Path(target).write_text(json.dumps(figures), encoding="utf-8")


def _stop_once(name: str, config: Path, database: str, farm: Farm, archive: FakeWayback) -> float:
    """Start a worker, SIGTERM it once a feed and an archive poll are under way; the seconds
    from the signal to its exit."""
    worker = Worker(name, config, database, "--tick", "1s", "--lease", "10m")
    try:
        feeds, asked = sum(farm.polls().values()), len(archive.cdx_queries)
        wait_for(lambda: sum(farm.polls().values()) > feeds, 60, "a feed in flight")
        wait_for(lambda: len(archive.cdx_queries) > asked, 60, "an archive poll under way")
        signalled = time.monotonic()
        worker.signal(signal.SIGTERM)
        assert worker.process.wait(timeout=60) == 0
        elapsed = time.monotonic() - signalled
    finally:
        worker.kill()
    assert worker.logged("daemon.stopped")
    store = open_store(database)
    with store.session() as session:
        assert claimed_by(session, worker.name) == []
    store.close()
    return elapsed
