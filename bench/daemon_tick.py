"""The daemon's CPU per polling tick when its sources are idle.

    python bench/daemon_tick.py --work DIR [--sources 2000] [--repeat 3]

Starts its own farm (one short entry per feed, so the first poll is cheap), points a config at
``--sources`` healthy feeds, and drives ``Daemon.poll_tick`` in this process, the way the
scheduler would, measuring this process's CPU around each tick:

- **first**: every source is new and due (context, not a target);
- **all 304**: every source due again (as an hour later: the bench moves their next poll time
  to now), every answer a 304;
- **nothing due**: right after, when no source is due (what most ticks of a quiet daemon do).

Prints one JSON object; the last two are medians of ``--repeat`` ticks, with every run listed.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import update
from workload import FarmProcess, load_entities, write_watcher_config

from watcher.clock import utcnow
from watcher.config import load_config
from watcher.schedule.daemon import Daemon, DaemonOptions
from watcher.store import Store, open_store
from watcher.store.tables import SourceRow

BENCH = Path(__file__).resolve().parent
SPARE = 0.03  # the farm makes ~1.25% of its feeds slow, failing or silent: plan a few more


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_all_due(store: Store) -> None:
    """What an hour does to a quiet daemon's sources (a tick's own ``now`` cannot stand in for
    it: what a tick polls is due again an interval after the real time)."""
    with store.session() as session:
        session.execute(update(SourceRow).values(next_poll_at=utcnow()))


def measured_tick(daemon: Daemon) -> dict[str, Any]:
    """One tick: its CPU, wall time and what it polled."""
    started_cpu, started = _cpu(), time.perf_counter()
    summary = daemon.poll_tick(utcnow())
    return {
        "cpu_s": round(_cpu() - started_cpu, 4),
        "wall_s": round(time.perf_counter() - started, 3),
        "polled": summary.polled,
        "unchanged": summary.unchanged,
        "failed": summary.failed,
    }


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"cpu_s": statistics.median(run["cpu_s"] for run in runs), "runs": runs}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for config, db, logs")
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    logging.getLogger("watcher").setLevel(logging.ERROR)  # 2,000 sources: no line per source
    names = args.work / "names.txt"
    names.write_text("", encoding="utf-8")
    feeds = int(args.sources * (1 + SPARE)) + 1
    with FarmProcess(feeds, 1, names, args.work / "farm.log") as farm:
        healthy = [f for f in farm.manifest() if f["behaviour"] == "ok"][: args.sources]
        config_path = args.work / "daemon_config.yaml"
        entities = load_entities(BENCH.parent / "config" / "watch.yaml")
        urls = [farm.url + feed["path"] for feed in healthy]
        write_watcher_config(config_path, entities, urls, args.workers, timeout=5.0)
        store = open_store(f"sqlite:///{args.work / 'daemon.db'}")
        daemon = Daemon(load_config(config_path), store, DaemonOptions(worker_id="bench"))
        try:
            daemon.reconcile()
            first = measured_tick(daemon)
            busy, idle = [], []
            for _ in range(args.repeat):
                make_all_due(store)
                busy.append(measured_tick(daemon))
                idle.append(measured_tick(daemon))
        finally:
            daemon.stop()
            store.close()
    result = {
        "sources": len(urls),
        "first": first,
        "all_304": median_of(busy),
        "nothing_due": median_of(idle),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
