"""The figures issue 14's targets read as medians of three runs: peer ratios and start-up CPU.

On this shared 2-core machine one run's ratio can be off by a third, so each pass that a
target reads is repeated, every time from fresh state (an empty watcher database, a new
rss2email set-up, no floor validators) against the same farm, and the median is reported with
every run beside it.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from measure import run_measured
from peer import Peer, prepare, r2e_executable
from workload import write_watcher_config

BENCH = Path(__file__).resolve().parent
PY = sys.executable
CONTENDERS = ("floor", "watcher", "peer")
PHASES = ("cold", "warm")


@dataclass(frozen=True)
class Pollers:
    """The floor, watcher and rss2email over one farm, their state in one folder."""

    folder: Path
    farm_url: str
    workers: int
    timeout: float
    watcher_env: dict[str, str]
    peer: Peer

    @classmethod
    def fresh(
        cls, folder: Path, farm_url: str, urls: list[str], entities: dict[str, Any], *,
        workers: int, timeout: float,
    ) -> Pollers:  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        write_watcher_config(folder / "bench_config.yaml", entities, urls, workers, timeout)
        env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{folder / 'watcher.db'}"}
        peer = prepare(folder / "rss2email", urls, timeout)
        return cls(folder, farm_url, workers, timeout, env, peer)

    @property
    def config(self) -> Path:
        return self.folder / "bench_config.yaml"

    def watcher(self) -> list[str]:
        return [PY, "-m", "watcher", "-c", str(self.config), "poll", "--once"]

    def floor(self, parser: str = "feedparser") -> list[str]:
        state = self.folder / f"floor-{parser}.json"
        return [
            *(PY, str(BENCH / "floor.py"), self.farm_url, "--state", str(state)),
            *(f"--workers={self.workers}", f"--timeout={self.timeout}", f"--parser={parser}"),
        ]

    def command(self, contender: str) -> tuple[list[str], dict[str, str] | None]:
        """The argv and environment of one contender's poll."""
        if contender == "floor":
            return self.floor(), None
        if contender == "watcher":
            return self.watcher(), self.watcher_env
        return self.peer.argv, self.peer.env


def cold_and_warm(pollers: Pollers, logs: Path, tag: str) -> dict[str, float | None]:
    """CPU seconds of each contender's cold, then warm, poll (None for one that failed)."""
    found: dict[str, float | None] = {}
    for phase in PHASES:
        for contender in CONTENDERS:
            argv, env = pollers.command(contender)
            name = f"{contender} {phase}"
            print(f"  {name} ({tag}) …", end="", flush=True, file=sys.stderr)
            cost = run_measured(f"{tag}-{contender}-{phase}", argv, logs, env, BENCH.parent, False)
            print(f" {cost.cpu:.2f} CPU-s", file=sys.stderr)
            found[name] = cost.cpu if cost.completed else None
    return found


def repeated(
    runs: list[dict[str, float | None]],
    repeat: int,
    fresh: Callable[[int], Pollers],
    logs: Path,
    tag: str,
) -> list[dict[str, float | None]]:
    """``runs`` topped up to ``repeat`` cold-and-warm runs, each from ``fresh(n)`` pollers."""
    runs = list(runs)
    while len(runs) < repeat:
        runs.append(cold_and_warm(fresh(len(runs) + 1), logs, f"{tag}-{len(runs) + 1}"))
    return runs


def startup(
    logs: Path, repeat: int, items_config: Path, items_env: dict[str, str]
) -> dict[str, Any]:
    """CPU of commands that only start and answer, each the median of ``repeat`` runs, beside
    ``r2e --version`` (the console scripts of this venv, as a user runs them)."""
    watcher = str(Path(PY).with_name("watcher"))
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "r2e --version": ([r2e_executable(), "--version"], None),
        "watcher --version": ([watcher, "--version"], None),
        "watcher --help": ([watcher, "--help"], None),
        "watcher items --limit 5": (
            [watcher, "-c", str(items_config), "items", "--limit", "5"],
            items_env,
        ),
    }
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for attempt in range(repeat):
        for name, (argv, env) in commands.items():
            log = f"startup-{name.replace(' ', '_')}-{attempt}"
            runs[name].append(run_measured(log, argv, logs, env=env, cwd=BENCH.parent).cpu)
    return {name: {"cpu": statistics.median(cpus), "runs": cpus} for name, cpus in runs.items()}
