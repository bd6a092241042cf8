"""A small world for the command line tests: feeds served from 127.0.0.1, a config in Asia/Riyadh
whose database lives beside it, and ways to run ``watcher`` as a user would (a process, piped
or on a pseudo-terminal of a given width)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass
from pathlib import Path

from pytest_httpserver import HTTPServer

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

ITEMS = {
    "openai.xml": [
        (
            "https://openai.example/news/longer-post",
            "Sam Altman on the departures of Jan Leike and Ilya Sutskever, and what OpenAI will "
            "change in how it ships frontier models",
            "Altman answers Leike's criticism of the safety culture.",
            "Sat, 18 May 2024 19:10:00 GMT",
        ),
        (
            "https://openai.example/news/devday",
            "DevDay dates announced",
            "Nothing about departures here.",
            "Fri, 17 May 2024 08:00:00 GMT",
        ),
    ],
    "wired.xml": [
        (
            "https://wired.example/story/leike-resigns",
            "OpenAI's superalignment lead Jan Leike resigns",
            "Jan Leike said safety has taken a back seat at OpenAI.",
            "Fri, 17 May 2024 15:03:00 GMT",
        ),
    ],
}


def rss(title: str, items: list[tuple[str, str, str, str]]) -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{d}</description><pubDate>{when}</pubDate></item>"
        for link, t, d, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link>{entries}</channel></rss>"
    )


def serve_feeds(server: HTTPServer) -> None:
    for name, items in ITEMS.items():
        server.expect_request(f"/{name}").respond_with_data(
            rss(name, items), content_type="application/rss+xml"
        )
    server.expect_request("/gone.xml").respond_with_data("no such feed", status=404)


def config_text(server: HTTPServer) -> str:
    return f"""\
timezone: Asia/Riyadh
database: sqlite:///watcher.db
people:
  - {{id: altman, name: Sam Altman, aliases: ["Sam Altman", "Altman"]}}
  - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike"]}}
  - {{id: sutskever, name: Ilya Sutskever}}
organizations:
  - {{id: openai, name: OpenAI}}
stories:
  - id: openai-safety-exits
    title: Sutskever and Leike leave OpenAI
    since: 2024-05-14
    match: 'leike OR sutskever'
    followups:
      - id: altman-longer-post
        title: Altman's promised longer post
        by: [altman, openai]
        match: 'leike OR safety'
        since: 2024-05-17
sources:
  - {{id: openai-news, feed: "{server.url_for("/openai.xml")}", owner: openai}}
  - {{id: wired-ai, feed: "{server.url_for("/wired.xml")}"}}
  - {{id: gone-feed, feed: "{server.url_for("/gone.xml")}"}}
channels:
  - {{id: hook, webhook: "{server.url_for("/hook")}"}}
digests:
  - {{id: daily, at: "07:00", send_to: [hook]}}
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def watcher(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """``watcher ARGS`` as a process, its output piped."""
    done = subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    return Run(done.returncode, done.stdout, done.stderr)


def on_terminal(*args: str, columns: int = 80, cwd: Path | None = None) -> Run:
    """``watcher ARGS`` with standard output on a pseudo-terminal ``columns`` wide (standard
    error piped); ``stdout`` is what the terminal received, escapes included."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES", "NO_COLOR"}}
    process = subprocess.Popen(
        [sys.executable, "-m", "watcher", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
        env={**env, "TERM": "xterm-256color"},
    )
    os.close(follower)
    received = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done writing
            break
        if not chunk:
            break
        received += chunk
    stderr = process.stderr.read().decode() if process.stderr else ""
    code = process.wait(timeout=120)
    os.close(leader)
    return Run(code, received.decode().replace("\r\n", "\n"), stderr)


def visible(text: str) -> str:
    """What a reader sees: the terminal's escapes removed."""
    return ANSI.sub("", text)


_PROBE = """
import json, sys
from watcher.cli import main
sys.argv = ["watcher", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def imported_by(*args: str) -> set[str]:
    """The top-level packages ``watcher ARGS`` imported, run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120
    )
    line = next(line for line in done.stderr.splitlines() if line.startswith("MODULES "))
    return {name.split(".")[0] for name in json.loads(line.removeprefix("MODULES "))}
