"""A fulfilled follow-up reaches a webhook, an email and an Apprise target within seconds of the
poll that stored it, exactly once, across a SIGKILL between the poll's commit and the send.

``watcher run`` runs as a child process on real local servers: a feed, an SMTP sink, a webhook
receiver that verifies Standard Webhooks signatures, and an Apprise ``json://`` target. The first
daemon is killed (SIGKILL, by a wrapper around the alert step) the moment a poll has committed
an item and its alert, before anything is sent; a second daemon must send it once, within
seconds of being ready (its delivery tick runs at start). Then 20 more
follow-ups are fulfilled one after the other, and the time from the item being stored (its
``first_seen_at``, the poll's clock) to the webhook receiving the alert is measured: median and
worst are printed and written to ``$WATCHER_ALERT_FIGURES``.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.fetch.conftest import RawServer
from tests.reliability.conftest import WEBHOOK_SECRET, SmtpServer, send_body
from tests.reliability.harness import Project, child_env, wait_for

ROUNDS = 20
CRASHER = r"""
import os, signal, sys
from watcher.jobs import alerts
from watcher.store import alerts as hits

def crash_once_an_alert_is_committed(store, config, *, now):
    with store.session() as session:
        if hits.pending_hits(session, now):
            os.kill(os.getpid(), signal.SIGKILL)

alerts.send_after_commit = crash_once_an_alert_is_committed
from watcher.cli import main
sys.argv[0] = "watcher"
main()
"""


class Receiver(ThreadingHTTPServer):
    """Takes every POST, with the time it arrived."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Take)
        self.got: list[tuple[float, dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for _, _, body in self.got]


class _Take(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.got.append(
                (time.time(), {k.lower(): v for k, v in self.headers.items()}, body)
            )
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _rss(posts: int) -> bytes:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>On safety, part {n}</title><link>https://blog.example/{n}</link>"
        f"<description>marker{n:02d}: what I promised.</description>"
        f"<pubDate>{now:%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
        for n in range(posts)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Sam</title>{items}</channel></rss>'
    return body.encode()


def _config(project: Project, feed: str, smtp: SmtpServer, hook: str, apprise: str) -> None:
    followups = "\n".join(
        f'      - {{id: fu-{n:02d}, title: "Promise {n}", by: [altman], match: marker{n:02d}}}'
        for n in range(ROUNDS + 1)
    )
    project.write(
        f"""
fetch: {{timeout: 10s}}
people:
  - {{id: altman, name: Sam Altman, aliases: ["Sam Altman"]}}
stories:
  - id: promises
    title: Promises
    since: 2024-01-01
    match: altman
    followups:
{followups}
sources:
  - {{id: blog, feed: "{feed}", owner: altman, every: 1s}}
smtp: {{host: 127.0.0.1, port: {smtp.port}, starttls: false, sender: "watcher@example.net"}}
channels:
  - {{id: hook, webhook: "{hook}", secret_env: WATCHER_RELIABILITY_WEBHOOK_SECRET}}
  - {{id: inbox, email: ["reader@example.com"]}}
  - {{id: phone, apprise: "{apprise}"}}
alerts:
  - {{id: promise-kept, when: [followup], send_to: [hook, inbox, phone]}}
"""
    )


def _logged_at(log: Path, event: str) -> float:
    """When the JSON log line of ``event`` was written (epoch seconds)."""
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith("{") and json.loads(line).get("event") == event:
            return datetime.fromisoformat(json.loads(line)["time"]).timestamp()
    raise AssertionError(f"{log} has no {event} line")


def _followup_of(body: dict[str, Any]) -> str:
    return str(body["data"]["followup"]["id"])


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_fulfilled_follow_up_is_alerted_within_seconds_once_across_a_sigkill(
    project: Project, feeds: RawServer, smtp: SmtpServer
) -> None:
    pytest.importorskip("apprise")
    posts = [0]
    feeds.routes["/blog"] = lambda handler: send_body(
        handler, _rss(posts[0]), "application/rss+xml"
    )
    hook, target = Receiver(), Receiver()
    for server in (hook, target):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    apprise_url = target.url("/apprise").replace("http://", "json://")
    _config(project, feeds.url("/blog"), smtp, hook.url("/hook"), apprise_url)
    env = child_env(project.env, data_dir=project.data_dir)
    log = (project.root / "crash.log").open("wb")
    crasher = subprocess.Popen(
        [sys.executable, "-c", CRASHER, "-c", str(project.config_path), "run", "--tick", "0.2s"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=project.root,
    )  # fmt: skip
    try:
        wait_for(lambda: (project.root / "crash.log").read_text().count("polled") >= 1, 60,
                 "the first poll")  # fmt: skip
        posts[0] = 1  # fu-00's post
        assert crasher.wait(60) == -signal.SIGKILL
    finally:
        if crasher.poll() is None:
            crasher.kill()
        log.close()
    assert hook.got == [] and target.got == [] and smtp.mailbox.messages == []
    assert project.query("SELECT count(*) FROM alert_hits WHERE message_id IS NULL")[0][0] == 1

    restarted = time.time()
    daemon = project.start("--log-format", "json", "run", "--tick", "0.2s", log="run.log")
    try:
        wait_for(lambda: len(hook.got) == 1 and len(target.got) == 1 and smtp.mailbox.messages,
                 60, "the alert after the restart")  # fmt: skip
        ready = _logged_at(project.root / "run.log", "daemon.started")
        recovery, start_up = hook.got[0][0] - ready, ready - restarted
        stored, published = [], []
        for n in range(1, ROUNDS + 1):
            posts[0] = n + 1
            published.append(time.time())
            wait_for(lambda n=n: any(_followup_of(b) == f"fu-{n:02d}" for b in hook.bodies()), 30,
                     f"the alert of fu-{n:02d}")  # fmt: skip
        time.sleep(2)  # two more polls of the same feed: nothing may be sent again
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)

    received = {
        _followup_of(body): at for (at, _, _), body in zip(hook.got, hook.bodies(), strict=True)
    }
    for n in range(1, ROUNDS + 1):
        url = f"https://blog.example/{n}"
        [(seen,)] = project.query("SELECT first_seen_at FROM items WHERE url = ?", url)
        first_seen = datetime.fromisoformat(seen).replace(tzinfo=UTC).timestamp()
        stored.append(received[f"fu-{n:02d}"] - first_seen)
    published_to_received = [
        received[f"fu-{n:02d}"] - published[n - 1] for n in range(1, ROUNDS + 1)
    ]

    for _, headers, body in hook.got:
        Webhook(WEBHOOK_SECRET).verify(body, headers)
    assert Counter(_followup_of(b) for b in hook.bodies()) == {
        f"fu-{n:02d}": 1 for n in range(ROUNDS + 1)
    }
    assert len({headers["webhook-id"] for _, headers, _ in hook.got}) == ROUNDS + 1
    assert len(smtp.mailbox.messages) == ROUNDS + 1 and len(target.got) == ROUNDS + 1
    assert Counter(m["Message-ID"] for m in smtp.mailbox.messages).most_common(1)[0][1] == 1
    assert recovery < 5 and max(stored) < 5, (recovery, stored)

    figures = {
        "rounds": ROUNDS,
        "stored_to_received_s": {
            "median": round(statistics.median(stored), 3),
            "worst": round(max(stored), 3),
        },
        "published_to_received_s": {
            "median": round(statistics.median(published_to_received), 3),
            "worst": round(max(published_to_received), 3),
        },
        "after_sigkill_ready_to_received_s": round(recovery, 3),
        "after_sigkill_process_start_to_ready_s": round(start_up, 3),
    }
    print(f"alert latency: {json.dumps(figures)}")
    if target_file := os.environ.get("WATCHER_ALERT_FIGURES"):
        Path(target_file).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    for server in (hook, target):
        server.shutdown()
        server.server_close()
