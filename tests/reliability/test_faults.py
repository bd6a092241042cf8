"""Faults outside watcher: mail server down, recipients refused, webhooks failing or slow,
rate limits, a database locked by another process, failing sources for days.

Each test injects the fault into a real server, runs watcher as a user does (``digest send``,
``poll --once``), checks the error is visible where the user looks (``watcher deliveries``,
``watcher sources``), clears the fault, lets time pass for the retry (the daemon's own
``deliveries_tick`` called with a later ``now``: nobody waits out a two-minute backoff), and
checks the digest arrived exactly once.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fetch.conftest import RawServer
from tests.reliability.conftest import HookServer, SmtpServer, serve_bytes
from tests.reliability.feeds import rss
from tests.reliability.harness import Project

READER, SECOND = "reader@example.com", "second@example.org"


def _recent() -> str:
    return format_datetime(datetime.now(UTC) - timedelta(minutes=30), usegmt=True)


def _setup(project: Project, feeds: RawServer, smtp: SmtpServer, webhook: HookServer) -> None:
    """A feed with a matching item, and a digest to an inbox (two recipients) and a webhook."""
    feeds.routes["/feed.xml"] = serve_bytes(
        rss([("Jan Leike resigns", "https://news.example/leike", "Leike.")], dates=[_recent()])
    )
    project.write(
        f"""
        people:
          - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike"]}}
        stories:
          - {{id: exits, title: Exits, since: 2024-01-01, match: leike}}
        sources:
          - {{id: wire, feed: "{feeds.url("/feed.xml")}"}}
        smtp: {{host: 127.0.0.1, port: {smtp.port}, starttls: false,
                sender: "watcher@example.net", timeout: 5s}}
        channels:
          - {{id: inbox, email: ["{READER}", "{SECOND}"]}}
          - {{id: hook, webhook: "{webhook.url()}",
              secret_env: WATCHER_RELIABILITY_WEBHOOK_SECRET}}
        digests:
          - {{id: daily, cron: "0 * * * *", send_to: [inbox, hook]}}
        """
    )
    project.ok("poll", "--once")


def _deliveries(project: Project) -> dict[str, dict[str, Any]]:
    """``watcher deliveries --json`` by channel (the newest period's rows)."""
    rows = project.json_lines("deliveries")
    return {row["channel"]: row for row in reversed(rows)}


def _later(project: Project, minutes: float) -> dict[int, str]:
    """The daemon's delivery retry job, run as if ``minutes`` had passed."""
    from watcher.config import load_config
    from watcher.schedule.daemon import Daemon, DaemonOptions
    from watcher.store import open_store

    config = load_config(project.config_path)
    store = open_store(config.database_url)
    daemon = Daemon(config, store, DaemonOptions(worker_id="reliability-later"))
    try:
        return daemon.deliveries_tick(datetime.now(UTC) + timedelta(minutes=minutes))
    finally:
        daemon.runtime.clients.close()
        store.close()


@pytest.fixture
def mail_world(
    project: Project, feeds: RawServer, smtp: SmtpServer, webhook: HookServer
) -> Project:
    _setup(project, feeds, smtp, webhook)
    return project


def test_smtp_down_all_night_then_back_delivers_once(
    mail_world: Project, smtp: SmtpServer, webhook: HookServer, figures
) -> None:
    project = mail_world
    smtp.stop()
    sent = project.run("digest", "send")
    assert "inbox: failed" in sent.stdout, str(sent)
    assert sent.returncode == 1, "a failed delivery makes digest send exit non-zero"
    rows = _deliveries(project)
    assert rows["inbox"]["state"] == "failed"
    assert f"cannot reach 127.0.0.1:{smtp.port}" in rows["inbox"]["error"]
    assert rows["inbox"]["next_attempt_at"]
    assert rows["hook"]["state"] == "sent", "one channel down never holds back the others"

    assert _later(project, 0.5) == {}, "not due before its backoff"
    assert smtp.mailbox.messages == []
    for hours in range(1, 9):  # down all night: each retry fails and backs off further
        _later(project, 60 * hours)
    rows = _deliveries(project)
    assert rows["inbox"]["state"] == "failed" and rows["inbox"]["attempts"] > 2

    smtp.start()
    states = _later(project, 60 * 24)
    assert list(states.values()) == ["sent"]
    assert _later(project, 60 * 30) == {}
    assert _deliveries(project)["inbox"]["state"] == "sent"
    assert len(smtp.mailbox.messages) == 1
    assert sorted(smtp.mailbox.envelopes[0]) == [READER, SECOND]
    assert len(webhook.hook.accepted()) == 1
    figures["fault:smtp-down"] = {"attempts": rows["inbox"]["attempts"] + 1, "delivered": 1}


def test_smtp_refusing_one_recipient_of_two_still_reaches_the_other_once(
    mail_world: Project, smtp: SmtpServer
) -> None:
    project = mail_world
    smtp.mailbox.refuse = {SECOND}
    sent = project.run("digest", "send")
    assert "inbox: sent" in sent.stdout, str(sent)
    assert SECOND in sent.stderr, "the refusal is logged"
    assert smtp.mailbox.envelopes == [(READER,)]
    assert _later(project, 60) == {}
    assert len(smtp.mailbox.messages) == 1


def test_a_refused_recipient_shows_in_watcher_deliveries(
    mail_world: Project, smtp: SmtpServer
) -> None:
    smtp.mailbox.refuse = {SECOND}
    mail_world.run("digest", "send")
    assert SECOND in str(_deliveries(mail_world)["inbox"]["error"])


def test_webhook_answering_500_is_retried_until_it_works(
    mail_world: Project, webhook: HookServer
) -> None:
    project = mail_world
    webhook.hook.default = 500
    project.run("digest", "send")
    rows = _deliveries(project)
    assert rows["hook"]["state"] == "failed"
    assert "answered HTTP 500" in rows["hook"]["error"]
    assert rows["inbox"]["state"] == "sent"

    webhook.hook.default = 200
    assert list(_later(project, 10).values()) == ["sent"]
    assert _later(project, 60) == {}
    assert len(webhook.hook.accepted()) == 1
    assert _deliveries(project)["hook"]["state"] == "sent"


def test_webhook_429_retry_after_is_honoured(mail_world: Project, webhook: HookServer) -> None:
    project = mail_world
    webhook.hook.answers = [(429, {"Retry-After": "600"})]
    project.run("digest", "send")
    rows = _deliveries(project)
    assert rows["hook"]["state"] == "failed" and "429" in rows["hook"]["error"]
    assert _later(project, 5) == {}, "Retry-After: 600 is ten minutes, not five"
    assert list(_later(project, 11).values()) == ["sent"]
    assert len(webhook.hook.accepted()) == 1
    assert len(webhook.hook.received) == 2


def test_webhook_429_with_a_short_retry_after_is_retried_in_the_same_send(
    mail_world: Project, webhook: HookServer
) -> None:
    webhook.hook.answers = [(429, {"Retry-After": "1"})]
    sent = mail_world.run("digest", "send")
    assert "hook: sent" in sent.stdout, str(sent)
    assert [h["x-answered"] for h, _ in webhook.hook.received] == ["429", "2xx"]


def test_webhook_timing_out_is_retried_once_it_answers(
    mail_world: Project, webhook: HookServer
) -> None:
    """Through the outbox in-process, with the backend's timeout shortened (its default read
    timeout is 30 s, times four attempts)."""
    from watcher.config import load_config
    from watcher.deliver.registry import backend_for
    from watcher.deliver.webhook import WebhookBackend
    from watcher.digest.period import latest_slot
    from watcher.jobs.digest_run import DigestLocks, run_digest
    from watcher.store import open_store

    def impatient(channel, config):  # type: ignore[no-untyped-def]
        if channel.kind == "webhook":
            return WebhookBackend(channel, timeout=(1, 1), max_attempts=2, sleep=lambda _: None)
        return backend_for(channel, config)

    config = load_config(mail_world.config_path)
    store = open_store(config.database_url)
    try:
        now = datetime.now(UTC)
        slot = latest_slot(config.digest("daily"), config.tz, now)
        webhook.hook.hang.set()
        first = run_digest(
            store,
            config,
            "daily",
            slot,
            now=now,
            worker="now",
            locks=DigestLocks(),
            backends=impatient,
        )
        assert first.deliveries == {"hook": "failed", "inbox": "sent"}
        assert "timed out" in _deliveries(mail_world)["hook"]["error"]
        webhook.hook.hang.clear()
        webhook.hook.release.set()
        later = now + timedelta(minutes=10)
        with store.session() as session:
            from watcher.store import digests as queries

            due = queries.claimable_deliveries(session, later)
        from watcher.deliver.outbox import deliver_one

        states = [
            deliver_one(store, config, d, now=later, worker="later", backends=impatient)
            for d in due
        ]
    finally:
        store.close()
    assert states == ["sent"]
    assert len(webhook.hook.accepted()) == 1


# --- the database ----------------------------------------------------------------------------

LOCKER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
print("released", flush=True)
"""


@pytest.fixture
def lock_holder(mail_world: Project) -> Iterator[subprocess.Popen[str]]:
    """Another process holding an exclusive lock on the database until told to let go."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(mail_world.db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield holder
    if holder.poll() is None:
        holder.kill()
        holder.wait()


def _release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "released"
    holder.wait(10)


def test_a_briefly_locked_database_is_waited_for(
    mail_world: Project, feeds: RawServer, lock_holder: subprocess.Popen[str]
) -> None:
    feeds.routes["/feed.xml"] = serve_bytes(
        rss([("Leike: second item", "https://news.example/second", "2")], dates=[_recent()])
    )
    poll = mail_world.start("poll", "--once", log="poll.log")
    with contextlib.suppress(subprocess.TimeoutExpired):
        poll.wait(3)
    assert poll.returncode is None, "the poll waits for the lock instead of failing"
    _release(lock_holder)
    assert poll.wait(60) == 0, (mail_world.root / "poll.log").read_text()
    assert mail_world.item_count() == 2


@pytest.mark.slow
def test_a_database_locked_for_long_is_a_clear_error_then_nothing_is_lost(
    mail_world: Project, feeds: RawServer, lock_holder: subprocess.Popen[str]
) -> None:
    feeds.routes["/feed.xml"] = serve_bytes(
        rss([("Leike: locked out", "https://news.example/locked", "3")], dates=[_recent()])
    )
    locked = mail_world.run("poll", "--once", timeout=120)
    assert locked.returncode != 0, str(locked)
    assert "database is locked" in locked.stderr, str(locked)
    assert "Traceback" not in locked.stderr, str(locked)
    _release(lock_holder)
    mail_world.ok("poll", "--once")
    assert mail_world.item_count() == 2


# --- failing sources never freeze --------------------------------------------------------------


def _fail_for_days(project: Project, source_ids: list[str], days: int) -> None:
    """Backdate the sources' failure streak: they have failed since ``days`` ago."""
    since = (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None).isoformat(" ")
    with project.db() as connection:
        connection.executemany(
            "UPDATE sources SET failing_since = ?, consecutive_failures = 40 WHERE id = ?",
            [(since, source_id) for source_id in source_ids],
        )
        connection.commit()


def test_a_source_failing_for_days_is_retried_reported_and_comes_back(
    project: Project, feeds: RawServer, webhook: HookServer, figures
) -> None:
    broken = {"/down-0.xml", "/down-1.xml", "/down-2.xml"}
    for path in broken:
        feeds.routes[path] = lambda handler: handler.send_error(503)
    feeds.routes["/ok.xml"] = serve_bytes(
        rss([("Leike ok", "https://news.example/ok", "ok")], dates=[_recent()])
    )
    sources = "\n".join(
        f'  - {{id: {path.strip("/").removesuffix(".xml")}, feed: "{feeds.url(path)}"}}'
        for path in sorted([*broken, "/ok.xml"])
    )
    project.write(
        f"""
        people:
          - {{id: leike, name: Jan Leike, aliases: ["Leike"]}}
        stories:
          - {{id: exits, title: Exits, since: 2024-01-01, match: leike}}
        channels:
          - {{id: hook, webhook: "{webhook.url()}"}}
        digests:
          - {{id: daily, at: "07:00", send_to: [hook]}}
        sources:
        """
    )
    project.append(sources + "\n")
    project.poll(failing=True)
    _fail_for_days(project, ["down-0", "down-1", "down-2"], days=4)
    project.poll(failing=True)

    rows = project.sources()
    for source_id in ("down-0", "down-1", "down-2"):
        row = rows[source_id]
        assert row["status"].startswith("failing") and "503" in str(row["last_error"])
        polled = datetime.fromisoformat(str(row["last_error_at"]))
        wait = datetime.fromisoformat(str(row["next_poll"])) - polled
        assert timedelta(hours=20) <= wait <= timedelta(hours=24) * 1.1, wait
    out = project.root / "preview"
    project.ok("digest", "preview", "--out", str(out))
    text = (out / "digest.txt").read_text(encoding="utf-8")
    assert "3 sources have failed since" in text, text

    feeds.routes["/down-1.xml"] = serve_bytes(
        rss([("Leike back", "https://news.example/back", "b")], dates=[_recent()])
    )
    project.poll(failing=True)  # down-0 and down-2 still fail
    assert project.sources()["down-1"]["status"] == "ok"
    assert project.item_count("down-1") == 1
    figures["fault:failing-for-days"] = {
        "next_poll_after_hours": round(wait.total_seconds() / 3600, 1)
    }


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs for the data directory; skips where mounting is not allowed."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_a_full_disk_is_a_clear_error_and_nothing_is_lost_once_freed(
    tmp_path: Path, feeds: RawServer, small_disk: Path, figures
) -> None:
    project = Project(tmp_path / "project")
    project.root.mkdir()
    project.data_dir = small_disk / "data"
    filler = "Leike " + "x" * 4000
    entries = [(f"Leike {n}", f"https://news.example/full/{n}", filler) for n in range(600)]
    feeds.routes["/big.xml"] = serve_bytes(rss(entries, dates=[_recent()] * len(entries)))
    project.write(
        f"""
        fetch: {{max_bytes: 20000000}}
        people:
          - {{id: leike, name: Jan Leike, aliases: ["Leike"]}}
        stories:
          - {{id: exits, title: Exits, since: 2024-01-01, match: leike}}
        sources:
          - {{id: big, feed: "{feeds.url("/big.xml")}"}}
        """
    )
    full = project.run("poll", "--once")
    assert full.returncode != 0 or "failed" in full.output, str(full)
    assert "Traceback" not in full.stderr, str(full)
    assert "full" in full.output.lower(), str(full)

    subprocess.run(["mount", "-o", "remount,size=200m", str(small_disk)], check=True)
    project.ok("poll", "--once")
    assert project.item_count("big") == len(entries)
    figures["fault:disk-full"] = {"first_run": full.output.strip().splitlines()[-1][:200]}
