"""Crash safety: SIGKILL ``watcher run`` at random moments, restart it, lose nothing.

A farm of feeds publishes new entries as time passes; two digests fire every few seconds
(cron with a seconds field) to an SMTP sink and a webhook receiver. ``watcher run`` is started
and SIGKILLed over and over at seeded random moments: during start-up (migrations, reconcile,
digest catch-up) or while it polls and delivers. Then the farm stops publishing, one last
daemon runs until every source has been polled since, and a worker an hour later retries what
is due (a delivery killed mid-send waits out its 10-minute lease).

What must hold at the end:

* every entry the farm served is stored exactly once (none lost, none twice);
* each digest's periods tile time (every run starts where the previous one ended: nothing
  skipped, nothing covered twice), and every run reached every channel: the receivers got
  each Message-ID / webhook-id. A crash after the receiver accepted but before ``sent`` was
  committed is re-sent with the *same* id (the documented window): counted and reported as
  raw duplicates, which the ids let receivers fold.

Seeded: ``WATCHER_CRASH_SEED`` and ``WATCHER_CRASH_KILLS`` override the defaults.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.fetch.conftest import RawServer
from tests.reliability.conftest import HookServer, SmtpServer
from tests.reliability.farm import Farm
from tests.reliability.harness import Project, wait_for
from watcher.store.tables import DigestRunRow

SEED = int(os.environ.get("WATCHER_CRASH_SEED", "20261127"))
KILLS = int(os.environ.get("WATCHER_CRASH_KILLS", "20"))
FEEDS = 4
READY = "watcher running"


def _config(project: Project, farm: Farm, smtp: SmtpServer, webhook: HookServer) -> None:
    sources = "\n".join(
        f'  - {{id: farm{feed}, feed: "{farm.url(feed)}", every: 1s}}' for feed in range(FEEDS)
    )
    project.write(
        f"""
fetch: {{timeout: 10s, workers: 4}}
people:
  - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike"]}}
stories:
  - {{id: exits, title: Exits, since: 2024-01-01, match: leike}}
sources:
{sources}
smtp: {{host: 127.0.0.1, port: {smtp.port}, starttls: false, sender: "watcher@example.net",
        timeout: 10s}}
channels:
  - {{id: inbox, email: ["reader@example.com"]}}
  - {{id: hook, webhook: "{webhook.url()}", secret_env: WATCHER_RELIABILITY_WEBHOOK_SECRET}}
digests:
  - {{id: fast, cron: "*/5 * * * * *", send_to: [inbox, hook]}}
  - {{id: arabic, cron: "*/8 * * * * *", send_to: [hook], language: ar}}
"""
    )


def _kill_at_random(project: Project, rng: random.Random, index: int) -> str:
    """Start ``watcher run``, SIGKILL it at a random moment; which phase it was killed in."""
    log = f"run-{index:03d}.log"
    process = project.start("run", "--tick", "1s", "--lease", "3s", log=log)
    path = project.root / log
    if rng.random() < 0.2:
        phase, delay = "start-up", rng.uniform(0.2, 2.0)
    else:
        wait_for(lambda: READY in path.read_text(errors="replace"), 60, f"{log}: {READY}")
        phase, delay = "running", rng.uniform(0.0, 3.0)
    try:
        process.wait(delay)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, (
        f"watcher run exited by itself ({process.returncode}):\n{path.read_text()[-3000:]}"
    )
    return phase


def _final_run(project: Project, farm: Farm) -> None:
    """One daemon that lives until every source was polled after the farm froze."""
    farm.freeze()
    frozen = datetime.now(UTC) + timedelta(seconds=1)
    process = project.start("run", "--tick", "1s", "--lease", "3s", log="final.log")
    try:

        def all_polled() -> bool:
            rows = project.query("SELECT last_success_at FROM sources")
            return len(rows) == FEEDS and all(
                row[0] and datetime.fromisoformat(row[0]).replace(tzinfo=UTC) > frozen
                for row in rows
            )

        wait_for(all_polled, 90, "every source polled after the freeze")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    assert process.returncode == 0, (project.root / "final.log").read_text()[-3000:]


def _retry_an_hour_later(project: Project) -> dict[int, str]:
    """A worker an hour later: deliveries killed mid-send have outlived their lease."""
    from watcher.config import load_config
    from watcher.deliver.outbox import retry_pending_deliveries
    from watcher.store import open_store

    config = load_config(project.config_path)
    store = open_store(config.database_url)
    try:
        later = datetime.now(UTC) + timedelta(hours=1)
        return retry_pending_deliveries(store, config, now=later, worker="reliability-final")
    finally:
        store.close()


def _periods_tile(project: Project, digest_id: str) -> tuple[int, list[str]]:
    """The number of runs of ``digest_id``, and any gap or overlap between consecutive ones."""
    rows = project.query(
        "SELECT period_start, period_end FROM digest_runs WHERE digest_id = ? ORDER BY period_end",
        digest_id,
    )
    problems = [
        f"{digest_id}: run ending {current[1]} starts at {current[0]}, previous ended {prev[1]}"
        for prev, current in pairwise(rows)
        if current[0] != prev[1]
    ]
    return len(rows), problems


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sigkill_at_random_moments_loses_nothing_and_sends_nothing_twice(
    project: Project,
    feeds: RawServer,
    smtp: SmtpServer,
    webhook: HookServer,
    figures: dict[str, dict[str, Any]],
) -> None:
    farm = Farm(feeds, FEEDS)
    _config(project, farm, smtp, webhook)
    rng = random.Random(SEED)
    started = time.monotonic()
    phases = [_kill_at_random(project, rng, index) for index in range(KILLS)]
    _final_run(project, farm)
    retried = _retry_an_hour_later(project)

    expected = farm.expected_urls()
    stored = [row["url"] for row in project.query("SELECT url FROM items")]
    lost = expected - set(stored)
    twice = len(stored) - len(set(stored))
    unexpected = set(stored) - expected

    runs = project.query(
        "SELECT r.digest_id, r.period_end, d.channel_id, d.state, d.message_id, "
        "d.attempts "
        "FROM digest_runs r JOIN deliveries d ON d.run_id = r.id"
    )
    unsent = [dict(row) for row in runs if row["state"] != "sent"]
    mail_attempts = {
        (row["message_id"], "reader@example.com"): row["attempts"]
        for row in runs
        if row["channel_id"] == "inbox"
    }
    hook_attempts = {
        row["message_id"]: row["attempts"] for row in runs if row["channel_id"] == "hook"
    }
    mail_keys, hook_keys = set(mail_attempts), set(hook_attempts)
    mails, hooks = smtp.mailbox.receipts(), webhook.hook.receipts()
    tiling = [_periods_tile(project, digest_id) for digest_id in ("fast", "arabic")]

    figures["crash"] = {
        "seed": SEED,
        "kills": len(phases),
        "killed_during_start_up": phases.count("start-up"),
        "killed_while_running": phases.count("running"),
        "seconds": round(time.monotonic() - started, 1),
        "entries_served": len(expected),
        "items_lost": len(lost),
        "items_twice": twice,
        "digest_runs": {"fast": tiling[0][0], "arabic": tiling[1][0]},
        "periods_skipped_or_overlapping": sum(len(p) for _, p in tiling),
        "deliveries_unsent": len(unsent),
        "retried_an_hour_later": len(retried),
        "mail_raw_duplicates": sum(count - 1 for count in mails.values()),
        "webhook_raw_duplicates": sum(count - 1 for count in hooks.values()),
        "mail_missing": len(mail_keys - set(mails)),
        "webhook_missing": len(hook_keys - set(hooks)),
        "duplicated": sorted(
            [str(key) for key, count in [*mails.items(), *hooks.items()] if count > 1]
        ),
    }
    assert not lost, f"{len(lost)} served entries were never stored: {sorted(lost)[:10]}"
    assert twice == 0 and not unexpected
    for count, problems in tiling:
        assert count > 0 and not problems, problems
    assert not unsent, unsent[:10]
    assert mail_keys == set(mails), "every email run reached the mailbox, nothing else did"
    assert hook_keys == set(hooks), "every webhook run reached the receiver, nothing else did"
    # A receiver sees a message twice only when a kill struck between its acceptance and the
    # commit of "sent" (the outbox's documented window): the re-send is the same message, same
    # id, and only ever for a delivery whose first attempt was interrupted.
    for receipts, attempts in ((mails, mail_attempts), (hooks, hook_attempts)):
        for key, count in receipts.items():
            assert count == 1 or count <= attempts[key], (key, count, attempts[key])
    logs = "".join(path.read_text(errors="replace") for path in Path(project.root).glob("*.log"))
    assert "Traceback" not in logs, logs[logs.index("Traceback") - 2000 :][:5000]


def test_two_periods_in_one_minute_have_distinct_ids(make_config) -> None:
    from watcher.deliver.backend import Outgoing

    config = make_config(
        """
        channels: [{id: hook, webhook: "http://127.0.0.1:9/hook"}]
        digests: [{id: fast, cron: "*/5 * * * * *", send_to: [hook]}]
        """
    )
    digest, channel = config.digests[0], config.channels[0]
    first = datetime(2026, 11, 26, 23, 0, 5, tzinfo=UTC)
    step = timedelta(seconds=5)
    keys = {
        Outgoing(1, digest, channel, end - step, end, end, "s", "t", "h").idempotency_key
        for end in (first, first + step)
    }
    assert len(keys) == 2


def test_a_late_run_for_an_older_slot_does_not_cover_its_period_twice(make_config) -> None:
    """Catch-up at start and the slot's own job can race: the newer slot's run is stored
    first, then the older one arrives. The older period is already covered: no second run
    may cover it again."""
    from watcher.jobs.digest_run import DigestLocks, build_run
    from watcher.store import open_store

    config = make_config(
        """
        channels: [{id: hook, webhook: "http://127.0.0.1:9/hook"}]
        digests: [{id: fast, cron: "*/5 * * * * *", send_to: [hook]}]
        """
    )
    store = open_store(config.database_url)
    digest = config.digest("fast")
    first = datetime(2026, 11, 26, 23, 38, 40, tzinfo=UTC)
    try:
        locks = DigestLocks()
        build_run(store, config, digest, first, now=first, locks=locks)
        build_run(store, config, digest, first + timedelta(seconds=10), now=first, locks=locks)
        build_run(store, config, digest, first + timedelta(seconds=5), now=first, locks=locks)
        with store.session() as session:
            periods = session.execute(
                select(DigestRunRow.period_start, DigestRunRow.period_end).order_by(
                    DigestRunRow.period_end
                )
            ).all()
    finally:
        store.close()
    assert all(now[0] >= before[1] for before, now in pairwise(periods)), periods
