"""Run one command as its own process and record what it cost: CPU, wall time, peak memory.

CPU seconds (user + system) of that process are the primary figure: on a loaded 2-core machine
wall time is bounded by the farm and by neighbours, CPU time much less so. ``os.wait4`` returns
the child's own resource usage (and that of any children it waited for), so nothing else running
on the machine is counted.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cost:
    name: str
    cpu: float  # user + system seconds
    user: float
    system: float
    wall: float
    peak_rss_mb: float
    returncode: int
    output: str  # the last line of stdout: the command's own summary

    @property
    def completed(self) -> bool:
        """It ran to its end: exit 0, or a watcher poll's exit 1 after its summary line (some
        sources failed, as the farm's bad feeds do by design)."""
        return self.returncode == 0 or (self.returncode == 1 and self.output.startswith("polled "))

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "completed": self.completed}


class CommandFailedError(RuntimeError):
    def __init__(self, cost: Cost, log: Path) -> None:
        super().__init__(f"{cost.name} exited with {cost.returncode}; its output is in {log}")


def run_measured(
    name: str,
    argv: list[str],
    logs: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
) -> Cost:
    """Run ``argv`` to completion; stdout and stderr go to ``logs/NAME.out`` and ``.err``."""
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / f"{name}.out", logs / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = out.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    cost = Cost(
        name=name,
        cpu=round(usage.ru_utime + usage.ru_stime, 3),
        user=round(usage.ru_utime, 3),
        system=round(usage.ru_stime, 3),
        wall=round(wall, 3),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        returncode=process.returncode,
        output=lines[-1] if lines else "",
    )
    if check and not cost.completed:
        raise CommandFailedError(cost, err)
    return cost
