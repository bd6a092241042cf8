"""Benchmark watcher against the floor and a peer, on the same local feed farm.

    python bench/run.py [--feeds N] [--entries M] [--quick]

A benchmark, not a test: it never fails on speed. It starts the farm, runs every contender as
its own process (CPU seconds of that process are the figure that counts; wall time is bounded
by the farm), then prints one table and writes ``bench/results/latest.json``.

Passes, in order, against one farm: cold (empty state), warm (nothing changed: every answer is
a 304), then churn (10% of feeds gained entries). The floor is ``floor.py``: the same GETs and
a feedparser parse of each changed body, storing nothing. The cold and warm passes are then run
again from fresh state until there are ``--repeat`` of them (``medians.py``), and a full run
does the same on a farm of 300 feeds: issue 14's ratios are medians. Then start-up commands,
the daemon's tick with idle sources, ``normalise_entry``'s µs, matching, digest and store.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import report
from measure import CommandFailedError, run_measured
from medians import Pollers, repeated, startup
from peer import r2e_executable
from workload import FarmProcess, load_entities, watched_names, write_watcher_config

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Each run has its own folder, so two runs at once (this machine is shared) cannot clobber each
# other's databases and state; they would still slow each other down, and say so.
WORK = BENCH / "work" / f"run-{os.getpid()}"
BUNDLED_CONFIG = ROOT / "config" / "watch.yaml"
PY = sys.executable
STAGE_FEEDS = 300  # feeds in the by-stage profile: enough to be steady, cheap to repeat
PEER_SIZES = (300, 2000)  # issue 14's peer ratios are read at these farm sizes


@dataclass(frozen=True)
class Plan:
    feeds: int
    entries: int
    workers: int
    timeout: float
    churn: float
    store_items: int
    quick: bool
    repeat: int
    idle_sources: int

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Plan:
        return cls(
            feeds=args.feeds or (300 if args.quick else 2000),
            entries=args.entries,
            workers=args.workers,
            timeout=args.timeout,
            churn=args.churn,
            store_items=args.store_items or (100_000 if args.quick else 1_000_000),
            quick=args.quick,
            repeat=args.repeat,
            idle_sources=args.idle_sources,
        )


class Bench:
    """One run: its work folder, the farm, and the figures collected so far."""

    def __init__(self, plan: Plan, farm: FarmProcess, results: dict[str, Any]) -> None:
        self.plan = plan
        self.farm = farm
        self.results = results
        self.logs = WORK / "logs"

    def measure(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        summary: Callable[[], str] | None = None,
    ) -> None:
        """Run one contender's pass, with the farm's response counts for just that pass.

        ``summary`` describes what the pass did when the command prints nothing itself.
        """
        self.farm.take_stats()
        print(f"  {name} …", end="", flush=True, file=sys.stderr)
        log = name.replace(" ", "-")
        cost = run_measured(log, argv, self.logs, env=env, cwd=ROOT, check=False)
        record = {**cost.as_dict(), "farm": self.farm.take_stats()}
        if summary is not None and cost.completed:
            record["output"] = summary()
        self.results["passes"][name] = record
        failed = f" FAILED (exit {cost.returncode}, see {self.logs / log}.err)"
        print(
            f" {cost.cpu:.2f} CPU-s, {cost.wall:.1f} s, {cost.peak_rss_mb:.0f} MB"
            + ("" if cost.completed else failed),
            file=sys.stderr,
        )


def poll_passes(bench: Bench, entities: dict[str, Any]) -> None:
    """Cold, warm and churn passes of watcher, the floors and rss2email on the same farm; the
    by-stage profile; start-up commands; then the cold and warm passes again from fresh state,
    so the targets read medians."""
    plan, farm = bench.plan, bench.farm
    urls = farm.urls()

    def fresh(folder: Path) -> Pollers:
        return Pollers.fresh(
            folder, farm.url, urls, entities, workers=plan.workers, timeout=plan.timeout
        )

    pollers = fresh(WORK)
    bench.measure("watcher startup", [PY, "-m", "watcher", "--version"], pollers.watcher_env)
    for phase in ("cold", "warm"):
        bench.measure(f"floor {phase}", pollers.floor())
        bench.measure(f"watcher {phase}", pollers.watcher(), pollers.watcher_env)
        peer = pollers.peer
        bench.measure(f"peer {phase}", peer.argv, peer.env, summary=peer.seen)
    bench.measure("floor fastfeedparser cold", pollers.floor("fastfeedparser"))
    changed = farm.churn(plan.churn)
    bench.results["farm"]["churned_feeds"] = changed
    bench.measure("floor churn", pollers.floor())
    bench.measure("watcher churn", pollers.watcher(), pollers.watcher_env)
    section(bench.results, "stages", lambda: stages(plan, urls[:STAGE_FEEDS]))
    section(bench.results, "startup", lambda: startup_figures(plan))
    first = {
        f"{contender} {phase}": report.cpu(bench.results, f"{contender} {phase}")
        for phase in ("cold", "warm")
        for contender in ("floor", "watcher", "peer")
    }
    runs = repeated([first], plan.repeat, lambda n: fresh(WORK / f"repeat-{n}"), bench.logs, "r")
    bench.results.setdefault("repeats", {})[str(plan.feeds)] = {"feeds": plan.feeds, "runs": runs}


def startup_figures(plan: Plan) -> dict[str, Any]:
    """``watcher --version``, ``--help`` and ``items --limit 5`` (on the stage profile's small
    database) against ``r2e --version``."""
    env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{WORK / 'stages.db'}"}
    return startup(WORK / "logs", plan.repeat, WORK / "stages_config.yaml", env)


def other_sizes(plan: Plan, entities: dict[str, Any], names: Path, results: dict[str, Any]) -> None:
    """The peer ratios at the sizes of ``PEER_SIZES`` the main farm is not."""
    for size in PEER_SIZES:
        if size != plan.feeds:
            runs = size_runs(plan, entities, names, size)
            results.setdefault("repeats", {})[str(size)] = {"feeds": size, "runs": runs}


def size_runs(
    plan: Plan, entities: dict[str, Any], names: Path, size: int
) -> list[dict[str, float | None]]:
    """A farm of ``size`` feeds, polled cold and warm ``plan.repeat`` times by each contender."""
    folder = WORK / f"size-{size}"
    folder.mkdir()
    with FarmProcess(size, plan.entries, names, folder / "farm.log") as farm:
        urls = farm.urls()

        def fresh(n: int) -> Pollers:
            return Pollers.fresh(
                folder / f"run-{n}", farm.url, urls, entities,
                workers=plan.workers, timeout=plan.timeout,
            )  # fmt: skip

        return repeated([], plan.repeat, fresh, WORK / "logs", f"size{size}")


def daemon_ticks(plan: Plan) -> dict[str, Any]:
    """CPU per polling tick with ``plan.idle_sources`` idle sources (``daemon_tick.py``)."""
    argv = [
        *(PY, str(BENCH / "daemon_tick.py"), f"--work={WORK / 'daemon'}"),
        *(f"--sources={plan.idle_sources}", f"--repeat={plan.repeat}"),
        f"--workers={plan.workers}",
    ]
    return figures("daemon", argv)


def stages(plan: Plan, urls: list[str]) -> dict[str, Any]:
    """The profile behind the cold and warm figures: two polls of ``urls`` into a fresh
    database, CPU summed by stage. (Run after the churn: the farm still answers every feed.)"""
    config, database = WORK / "stages_config.yaml", WORK / "stages.db"
    write_watcher_config(config, load_entities(BUNDLED_CONFIG), urls, plan.workers, plan.timeout)
    env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{database}"}
    argv = [PY, str(BENCH / "stages.py"), "-c", str(config), "poll", "--once"]
    return {
        phase: {**figures(f"stages-{phase}", argv, env), "feeds": len(urls)}
        for phase in ("cold", "warm")
    }


def section(results: dict[str, Any], key: str, measure: Callable[[], dict[str, Any]]) -> None:
    """Measure one part into ``results[key]``; a part that fails is reported, not fatal."""
    try:
        results[key] = measure()
    except (CommandFailedError, ValueError) as error:  # ValueError: output was not JSON
        print(f"\n  {key} failed: {error}", file=sys.stderr)
        results[key] = {"error": str(error)}


def figures(name: str, argv: list[str], env: dict[str, str] | None = None) -> Any:
    """Run a script that prints one JSON object; return it with the process's cost beside it."""
    print(f"  {name} …", end="", flush=True, file=sys.stderr)
    cost = run_measured(name, argv, WORK / "logs", env=env, cwd=ROOT)
    print(f" {cost.cpu:.1f} CPU-s, {cost.wall:.1f} s", file=sys.stderr)
    return {**json.loads(cost.output), "process": cost.as_dict()}


def normalise_cost(plan: Plan) -> dict[str, Any]:
    """µs per item of ``normalise_entry`` and its two costliest steps (``normalise_cost.py``)."""
    script = str(BENCH / "normalise_cost.py")
    argv = [PY, script, f"--feeds={STAGE_FEEDS}", f"--repeat={plan.repeat}"]
    return figures("normalise", argv)


def matching(plan: Plan) -> dict[str, Any]:
    """Items/s for 10, 100 and 1,000 entities, English and Arabic (``matching.py``)."""
    items = 600 if plan.quick else 1500
    argv = [PY, str(BENCH / "matching.py"), f"--items={items}"]
    return figures("match", argv)


def digest(plan: Plan, entities: dict[str, Any], names: Path) -> dict[str, Any]:
    """Build and render a digest of 2,000 items that one real poll stored."""
    config, database = WORK / "digest_config.yaml", WORK / "digest.db"
    env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{database}"}
    # 106 feeds: two of them fail by design, and ~3% of entries match nothing → ~2,000 items.
    with FarmProcess(106, 20, names, WORK / "digest-farm.log", mention_share=1.0) as farm:
        urls = farm.urls()
        write_watcher_config(config, entities, urls, plan.workers, plan.timeout, digest=True)
        poll = [PY, "-m", "watcher", "-c", str(config), "poll", "--once"]
        run_measured("digest-poll", poll, WORK / "logs", env=env, cwd=ROOT)
    argv = [PY, str(BENCH / "digest_cost.py"), "-c", str(config)]
    return figures("digest", argv, env)


def store_at_scale(plan: Plan, config: Path) -> dict[str, Any]:
    """Queries on a year of items (``scale.py``), and ``watcher items --since`` as users run it."""
    database = WORK / "scale.db"
    argv = [PY, str(BENCH / "scale.py"), f"--items={plan.store_items}", f"--db={database}"]
    found = figures("store", argv)
    env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{database}"}
    since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    items = [PY, "-m", "watcher", "-c", str(config), "items", "--since", since, "--json"]
    found["cli"] = run_measured("items-since", items, WORK / "logs", env=env, cwd=ROOT).as_dict()
    return found


def ceiling(farm: FarmProcess) -> dict[str, Any]:
    """Requests/s a trivial keep-alive client gets from the farm, measured from another process."""
    argv = [PY, str(BENCH / "farm.py"), "ceiling", farm.url, "--seconds=3"]
    output = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    return json.loads(output)


def prepare_work() -> None:
    """Create this run's folder; remove those of finished runs, warn about running ones."""
    for folder in WORK.parent.glob("run-*"):
        pid = int(folder.name.removeprefix("run-")) if folder.name[4:].isdigit() else 0
        if pid and _alive(pid):
            print(
                f"warning: another bench run (pid {pid}) is running: figures will be noisy",
                file=sys.stderr,
            )
        else:
            shutil.rmtree(folder, ignore_errors=True)
    WORK.mkdir(parents=True)
    compile_watcher()


def check_contenders() -> None:
    """Stop at once, with the fix, when the peer or the second floor is not installed (not
    after the farm has been generated and the first passes measured)."""
    missing = ["fastfeedparser"] if find_spec("fastfeedparser") is None else []
    if not Path(r2e_executable()).is_file():
        missing.append("rss2email")
    if missing:
        sys.exit(f"bench: {', '.join(missing)} not installed here: pip install -e '.[bench]'")


def compile_watcher() -> None:
    """Write watcher's bytecode first, as ``pip install`` does for an installed package (and did
    for rss2email's). An editable checkout run with PYTHONDONTWRITEBYTECODE (set on some
    machines) would otherwise compile every module from source in every measured process."""
    compileall.compile_dir(ROOT / "watcher", quiet=1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    return True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, help="feeds in the farm (default 2000; quick 300)")
    parser.add_argument("--entries", type=int, default=20, help="entries per feed")
    parser.add_argument("--quick", action="store_true", help="a smaller run, under 5 minutes")
    parser.add_argument("--workers", type=int, default=8, help="concurrent fetches, everywhere")
    parser.add_argument("--timeout", type=float, default=5.0, help="per-fetch timeout, seconds")
    parser.add_argument("--churn", type=float, default=0.1, help="share of feeds to change")
    parser.add_argument("--store-items", type=int, help="items for the store-at-scale queries")
    parser.add_argument("--repeat", type=int, default=3, help="runs behind each median")
    parser.add_argument(
        "--idle-sources", type=int, default=2000, help="sources behind the daemon's tick cost"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="results file (default results/latest.json; quick runs: results/quick.json)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    args = parse_args(argv)
    plan = Plan.from_args(args)
    check_contenders()
    prepare_work()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "parameters": {**plan.__dict__},
        "machine": report.machine(),
        "versions": report.versions(),
        "passes": {},
    }
    entities = load_entities(BUNDLED_CONFIG)
    names = WORK / "names.txt"
    names.write_text("\n".join(watched_names(entities)), encoding="utf-8")
    print(f"farm: {plan.feeds} feeds × {plan.entries} entries …", file=sys.stderr)
    with FarmProcess(plan.feeds, plan.entries, names, WORK / "farm.log") as farm:
        results["farm"] = ceiling(farm)
        poll_passes(Bench(plan, farm, results), entities)
    if not plan.quick:
        other_sizes(plan, entities, names, results)
    section(results, "daemon", lambda: daemon_ticks(plan))
    section(results, "normalise", lambda: normalise_cost(plan))
    section(results, "match", lambda: matching(plan))
    section(results, "digest", lambda: digest(plan, entities, names))
    section(results, "store", lambda: store_at_scale(plan, WORK / "bench_config.yaml"))
    (WORK / "scale.db").unlink(missing_ok=True)  # up to 1.6 GB of scratch; the logs stay
    results["elapsed_s"] = round(time.perf_counter() - started)
    # The README shows full runs only: a quick run is a check that everything works.
    output = args.output or BENCH / "results" / ("quick.json" if plan.quick else "latest.json")
    readmes = [] if plan.quick else [BENCH / "README.md", BENCH.parent / "README.md"]
    print(report.write(results, output, readmes))


if __name__ == "__main__":
    main()
