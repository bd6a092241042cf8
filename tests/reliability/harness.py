"""Run watcher the way a user does, in a child process, and look at what it left behind.

``Project`` is one user's set-up in a temporary directory: a config, its data directory and
SQLite database. ``Project.run`` and ``Project.start`` run ``python -m watcher`` under a tiny
launcher that reaps it with ``os.wait4`` and writes down *that* child's peak RSS, measured by
the kernel rather than sampled. The launcher is needed because Linux carries a process's
high-water RSS across fork and exec: a child spawned straight from pytest (hundreds of MB by
then) would report pytest's size, not its own.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
_LAUNCHER = r"""
import os, signal, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
for forwarded in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(forwarded, lambda signum, _frame: os.kill(pid, signum))
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
if code < 0:
    if -code != signal.SIGKILL:
        signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""
_SCRUBBED_ENV = ("WATCHER_CONFIG", "WATCHER_DATABASE_URL", "WATCHER_DATA_DIR", "WATCHER_WORKER_ID")


@dataclass(frozen=True)
class Run:
    """One finished watcher process."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return (
            f"watcher {' '.join(self.args)} → exit {self.returncode} in {self.seconds:.1f} s, "
            f"peak RSS {self.peak_rss_mb:.0f} MB\n--- stdout\n{self.stdout[-3000:]}\n"
            f"--- stderr\n{self.stderr[-3000:]}"
        )


def child_env(extra: Mapping[str, str] | None = None, *, data_dir: Path) -> dict[str, str]:
    """The environment of a watcher child: none of the caller's watcher settings leak in."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["WATCHER_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def _reap(process: subprocess.Popen[bytes], deadline: float) -> int:
    """Wait for ``process`` until ``deadline`` (killing its group then); its exit code."""
    try:
        return process.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def _peak_rss_mb(path: Path) -> float:
    """What the launcher wrote down (KiB), in MB; 0 when it was killed before writing."""
    try:
        return int(path.read_text()) / 1024
    except (OSError, ValueError):
        return 0.0


class Project:
    """A config, data directory and database in ``root``; helpers to run and inspect watcher."""

    def __init__(self, root: Path, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.config_path = root / "watch.yaml"
        self.env = dict(env or {})

    @property
    def db_path(self) -> Path:
        return self.data_dir / "watcher.db"

    def write(self, text: str) -> Path:
        """Write the config (dedented); ``data_dir`` is set to this project's."""
        body = textwrap.dedent(text)
        self.config_path.write_text(f"data_dir: {self.data_dir}\n{body}", encoding="utf-8")
        return self.config_path

    def append(self, text: str) -> Path:
        """Add (dedented) YAML at the end of the config."""
        with self.config_path.open("a", encoding="utf-8") as config:
            config.write(textwrap.dedent(text))
        return self.config_path

    def start(
        self, *args: str, env: Mapping[str, str] | None = None, log: str = "watcher.log"
    ) -> subprocess.Popen[bytes]:
        """Start ``watcher -c CONFIG ARGS…`` in the background, in its own process group (so
        ``os.killpg`` reaches the launcher and watcher alike); output goes to ``log``."""
        with (self.root / log).open("ab") as out:
            return self._spawn(args, env, stdout=out, stderr=subprocess.STDOUT, rss=log)

    def _spawn(
        self, args: tuple[str, ...], env: Mapping[str, str] | None, *, rss: str, **streams: Any
    ) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "watcher", "-c", str(self.config_path), *args]
        return subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, str(self.root / f"{rss}.rss"), *command],
            cwd=self.root,
            env=child_env({**self.env, **(env or {})}, data_dir=self.data_dir),
            start_new_session=True,
            **streams,
        )

    def peak_rss_mb(self, log: str = "watcher.log") -> float:
        """Peak RSS of the last finished ``start`` that logged to ``log``."""
        return _peak_rss_mb(self.root / f"{log}.rss")

    def run(self, *args: str, timeout: float = 120, env: Mapping[str, str] | None = None) -> Run:
        """Run ``watcher -c CONFIG ARGS…`` to completion (killed after ``timeout`` seconds)."""
        out, err = self.root / "stdout.txt", self.root / "stderr.txt"
        started = time.monotonic()
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = self._spawn(args, env, rss="run", stdout=stdout, stderr=stderr)
            code = _reap(process, started + timeout)
        return Run(
            args=args,
            returncode=code,
            stdout=out.read_text(encoding="utf-8", errors="replace"),
            stderr=err.read_text(encoding="utf-8", errors="replace"),
            peak_rss_mb=_peak_rss_mb(self.root / "run.rss"),
            seconds=time.monotonic() - started,
        )

    def ok(self, *args: str, **kwargs: Any) -> Run:
        """``run``, asserting a zero exit."""
        result = self.run(*args, **kwargs)
        assert result.returncode == 0, str(result)
        return result

    def poll(self, *, failing: bool) -> Run:
        """``poll --once``: exit 1 when some source failed, 0 when all went well; never a
        traceback either way."""
        result = self.run("poll", "--once")
        assert result.returncode == (1 if failing else 0), str(result)
        assert "Traceback" not in result.stderr, str(result)
        return result

    def json_lines(self, *args: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.ok(*args, "--json").stdout.splitlines()]

    def sources(self) -> dict[str, dict[str, Any]]:
        """``watcher sources --json`` by source id: what a user sees."""
        return {row["id"]: row for row in self.json_lines("sources")}

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.db_path, timeout=30)) as connection:
            connection.row_factory = sqlite3.Row
            yield connection

    def query(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with self.db() as connection:
            return list(connection.execute(sql, params))

    def item_count(self, source_id: str | None = None) -> int:
        if source_id is None:
            return int(self.query("SELECT count(*) FROM items")[0][0])
        sql = "SELECT count(*) FROM item_sources WHERE source_id = ?"
        return int(self.query(sql, source_id)[0][0])


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(0.05)


def stop_measured(
    project: Project, process: subprocess.Popen[bytes], log: str, timeout: float = 60
) -> tuple[int, float]:
    """SIGTERM a process from ``Project.start``; its exit code and peak RSS in MB."""
    process.send_signal(signal.SIGTERM)
    code = _reap(process, time.monotonic() + timeout)
    return code, project.peak_rss_mb(log)
