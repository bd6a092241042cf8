"""``watcher web`` and ``watcher run`` as real processes: they serve the view, and SIGTERM
stops them cleanly. Every wait polls for a condition until a deadline; nothing sleeps for time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.web.conftest import TOKEN, write_config

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class Process:
    """A watcher command with JSON logs in a file."""

    def __init__(self, log: Path, config: Path, *command: str) -> None:
        self.log = log
        env = {**os.environ, "WATCHER_WEB_TOKEN": TOKEN}
        argv = [sys.executable, "-m", "watcher", "--log-format", "json", "-c", str(config)]
        with log.open("wb") as out:
            self.process = subprocess.Popen([*argv, *command], stdout=out, stderr=out, env=env)

    def events(self) -> list[str]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line).get("event", "") for line in lines if line.startswith("{")]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(timeout=10)


def _answers(url: str, **headers: str) -> bool:
    try:
        return requests.get(url, headers=headers, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def test_watcher_web_serves_until_sigterm(
    filled: tuple[Path, dict[str, str]], processes: list[Process]
) -> None:
    path, _ = filled
    port = _free_port()
    web = Process(path.parent / "web.log", path, "web", "--listen", f"127.0.0.1:{port}")
    processes.append(web)
    url = f"http://127.0.0.1:{port}"

    _wait_for(lambda: _answers(url + "/"), 60, "the web view to answer")
    assert "Sutskever and Leike leave OpenAI" in requests.get(url + "/", timeout=5).text
    assert web.stop() == 0
    assert "web.start" in web.events()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/", timeout=2)


def test_watcher_run_serves_the_view_beside_the_daemon(
    filled: tuple[Path, dict[str, str]], processes: list[Process]
) -> None:
    path, urls = filled
    port = _free_port()
    web = f'web: {{listen: "127.0.0.1:{port}", token_env: WATCHER_WEB_TOKEN}}'
    config = write_config(path.parent, urls, web, name="-run")
    daemon = Process(path.parent / "run.log", config, "run", "--tick", "1s")
    processes.append(daemon)
    url = f"http://127.0.0.1:{port}"
    bearer = {"Authorization": f"Bearer {TOKEN}"}

    _wait_for(lambda: _answers(url + "/sources", **bearer), 60, "the web view to answer")
    _wait_for(lambda: "daemon.started" in daemon.events(), 60, "the daemon to start")
    assert requests.get(url + "/", timeout=5).status_code == 401
    assert daemon.stop() == 0
    events = daemon.events()
    assert "web.start" in events and "daemon.stopped" in events
    assert TOKEN not in daemon.log.read_text(encoding="utf-8")
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/", timeout=2)
