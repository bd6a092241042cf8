"""Run watcher the way a user does, in a child process, and look at what it left behind.

``Project`` is one user's set-up in a temporary directory: a config, its data directory and
SQLite database. ``Project.run`` starts ``python -m watcher`` as a child and reaps it with
``os.wait4``, which hands back *that* child's resource usage: its peak RSS is the figure the
reliability issue asks for, measured by the kernel rather than sampled.
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


def _reap(process: subprocess.Popen[bytes], deadline: float) -> tuple[int, float]:
    """Wait for ``process`` until ``deadline`` (killing it then); its exit code and peak RSS."""
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024


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
        """Start ``watcher -c CONFIG ARGS…`` in the background; output goes to ``log``."""
        with (self.root / log).open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "watcher", "-c", str(self.config_path), *args],
                cwd=self.root,
                env=child_env({**self.env, **(env or {})}, data_dir=self.data_dir),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def run(self, *args: str, timeout: float = 120, env: Mapping[str, str] | None = None) -> Run:
        """Run ``watcher -c CONFIG ARGS…`` to completion (killed after ``timeout`` seconds)."""
        out, err = self.root / "stdout.txt", self.root / "stderr.txt"
        started = time.monotonic()
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "watcher", "-c", str(self.config_path), *args],
                cwd=self.root,
                env=child_env({**self.env, **(env or {})}, data_dir=self.data_dir),
                stdout=stdout,
                stderr=stderr,
            )
            code, rss = _reap(process, started + timeout)
        return Run(
            args=args,
            returncode=code,
            stdout=out.read_text(encoding="utf-8", errors="replace"),
            stderr=err.read_text(encoding="utf-8", errors="replace"),
            peak_rss_mb=rss,
            seconds=time.monotonic() - started,
        )

    def ok(self, *args: str, **kwargs: Any) -> Run:
        """``run``, asserting a zero exit."""
        result = self.run(*args, **kwargs)
        assert result.returncode == 0, str(result)
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


def stop_measured(process: subprocess.Popen[bytes], timeout: float = 60) -> tuple[int, float]:
    """SIGTERM a process from ``Project.start``; its exit code and peak RSS in MB (wait4)."""
    process.send_signal(signal.SIGTERM)
    return _reap(process, time.monotonic() + timeout)


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    """Signal a process started by ``Project.start`` and wait for it (SIGKILL if it lingers)."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)
