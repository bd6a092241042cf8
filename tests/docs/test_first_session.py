"""README's "A first session" works exactly as written, against a feed served from 127.0.0.1.

The commands are read from the README's block and run as processes in an empty folder; the only
change is the starter config's feed URL, pointed at the local server after ``watcher init``.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.cli.world import rss

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
STARTER_FEED = "https://openai.com/news/rss.xml"


def _first_session() -> list[list[str]]:
    section = README.split("## A first session", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S)
    assert block is not None
    return [shlex.split(line, comments=True) for line in block[1].splitlines() if line.strip()]


def test_the_first_session_runs_as_written(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/news.xml").respond_with_data(
        rss(
            "OpenAI News",
            [
                (
                    "https://openai.example/index/a-longer-post",
                    "Sam Altman and OpenAI on safety",
                    "OpenAI's chief executive Sam Altman answers.",
                    "Sat, 18 May 2024 19:10:00 GMT",
                )
            ],
        ),
        content_type="application/rss+xml",
    )
    commands = _first_session()
    assert [c[:2] for c in commands] == [
        ["watcher", "init"],
        ["watcher", "check"],
        ["watcher", "poll"],
        ["watcher", "items"],
    ]
    assert all("-c" in c[2:] for c in commands[1:])  # -c after the command, as written
    outputs = []
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "watcher", *command[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stderr)
        assert "bundled" not in done.stderr
        outputs.append(done.stdout)
        if command[1] == "init":
            config = tmp_path / "my-story" / "watch.yaml"
            text = config.read_text(encoding="utf-8")
            assert STARTER_FEED in text
            config.write_text(text.replace(STARTER_FEED, httpserver.url_for("/news.xml")))
    assert "OK — 2 entities, 1 story, 1 source" in outputs[1]
    assert "database: sqlite:///" + str(tmp_path / "my-story" / "watcher.db") in outputs[1]
    assert outputs[2].startswith("polled 1 source: 0 unchanged, 0 failed; items: 1 new")
    assert "Sam Altman and OpenAI on safety" in outputs[3]
    assert (tmp_path / "my-story" / "watcher.db").exists()
