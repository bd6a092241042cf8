"""The peer: rss2email polling the same feeds, set up so it can never send mail.

rss2email keeps its config and seen-entries state in files; each benchmark run gets its own
under a temporary folder (XDG dirs too), so nothing touches the user's real ``r2e`` set-up.
Its feeds come in through ``r2e opmlimport``, as a user migrating a reader would add them;
``r2e run --no-send`` then fetches, parses and formats every new entry, without mailing it
(and ``sendmail`` points at ``/bin/false`` in case anything tried).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr


@dataclass(frozen=True)
class Peer:
    """How to run rss2email over the prepared set-up."""

    argv: list[str]
    env: dict[str, str]
    data: Path

    def seen(self) -> str:
        """What rss2email's state says it processed: a summary line like watcher's."""
        feeds = json.loads(self.data.read_text(encoding="utf-8"))["feeds"]
        entries = sum(len(feed.get("seen", {})) for feed in feeds)
        return f"{len(feeds)} feeds, {entries} entries seen"


def r2e_executable() -> str:
    """The ``r2e`` next to the running interpreter (the project's venv)."""
    return str(Path(sys.executable).with_name("r2e"))


def prepare(workdir: Path, urls: list[str], timeout: float) -> Peer:
    """A fresh rss2email set-up in ``workdir`` following ``urls``; returns the ``run`` command."""
    workdir.mkdir(parents=True, exist_ok=True)
    config, data = workdir / "rss2email.cfg", workdir / "rss2email.json"
    config.write_text(
        "[DEFAULT]\n"
        "to = bench@example.invalid\n"
        f"feed-timeout = {int(timeout)}\n"
        "same-server-fetch-interval = 0\n"
        "email-protocol = sendmail\n"
        "sendmail = /bin/false\n",
        encoding="utf-8",
    )
    opml = workdir / "feeds.opml"
    opml.write_text(_opml(urls), encoding="utf-8")
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(workdir / "xdg-config"),
        "XDG_DATA_HOME": str(workdir / "xdg-data"),
    }
    base = [r2e_executable(), "-c", str(config), "-d", str(data)]
    subprocess.run(
        [*base, "opmlimport", str(opml)], env=env, check=True, capture_output=True, timeout=300
    )
    return Peer([*base, "run", "--no-send"], env, data)


def _opml(urls: list[str]) -> str:
    outlines = "".join(
        f'<outline type="rss" text={quoteattr(f"feed-{i:05d}")} xmlUrl={quoteattr(url)}/>\n'
        for i, url in enumerate(urls)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="1.0"><head>'
        f"<title>watcher bench</title></head><body>\n{outlines}</body></opml>\n"
    )
