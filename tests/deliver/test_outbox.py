"""The outbox: built once, delivered once per channel, across crashes, races and failures."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from watcher.cli import cli
from watcher.config import Channel, Config
from watcher.deliver.backend import Outgoing, SendResult
from watcher.deliver.outbox import LEASE, retry_pending_deliveries
from watcher.digest.build import build_digest
from watcher.jobs.digest_run import DigestLocks, run_digest
from watcher.store import Store, open_store
from watcher.store.tables import ChannelStateRow, DeliveryRow, DigestRunRow

LOCKS = DigestLocks()

HOOK = "/hook/T0123/secret-token"


class Recorder:
    """A backend that records sends and answers with the next scripted result (default: ok)."""

    kind = "fake"

    def __init__(self, *results: SendResult) -> None:
        self.results = list(results)
        self.sent: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, channel: Channel, config: Config) -> Recorder:
        return self

    def send(self, outgoing: Outgoing) -> SendResult:
        with self.lock:
            self.sent[outgoing.channel.id] += 1
            return self.results.pop(0) if self.results else SendResult(True, message_id="m")


def _deliveries(store: Store) -> dict[str, DeliveryRow]:
    with store.session() as session:
        return {d.channel_id: d for d in session.scalars(select(DeliveryRow))}


def test_skip_empty_sends_nothing_and_still_closes_the_period(world: Any) -> None:
    digest = world.config.digest("daily").model_copy(update={"skip_empty": True})
    config = world.config.model_copy(update={"digests": [digest]})
    empty_end = world.period_end + timedelta(days=30)
    recorder = Recorder()

    result = run_digest(
        world.store,
        config,
        "daily",
        empty_end,
        now=empty_end,
        backends=recorder,
        worker="test",
        locks=LOCKS,
    )

    assert result.skipped and result.deliveries == {"inbox": "skipped", "hook": "skipped"}
    assert recorder.sent == Counter()


def test_without_skip_empty_an_empty_period_says_nothing_new(world: Any) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("ok")
    empty_end = world.period_end + timedelta(days=30)
    run_digest(
        world.store, world.config, "daily", empty_end, now=empty_end, worker="test", locks=LOCKS
    )
    mail = message_from_bytes(world.sink.messages[0].content, policy=default)

    assert mail["Subject"].endswith(": nothing new")
    assert "Nothing new since" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_the_next_period_starts_where_the_last_one_ended(world: Any) -> None:
    recorder = Recorder()
    first = run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        backends=recorder,
        now=world.now,
        worker="test",
        locks=LOCKS,
    )
    later = world.period_end + timedelta(days=3)  # the daemon was down for two slots
    second = run_digest(
        world.store,
        world.config,
        "daily",
        later,
        backends=recorder,
        now=later,
        worker="test",
        locks=LOCKS,
    )

    assert first.period_start == world.period_end - timedelta(days=1)
    assert second.period_start == world.period_end  # nothing skipped


def test_a_failing_channel_is_retried_with_backoff_then_given_up_and_reported(
    world: Any,
) -> None:
    failure = SendResult(False, error="HTTP 503 from hooks.example", retryable=True)
    recorder = Recorder(SendResult(True), failure, failure, failure)
    now = world.now

    run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=now,
        backends=recorder,
        worker="test",
        locks=LOCKS,
    )
    hook = _deliveries(world.store)["hook"]
    assert hook.state == "failed" and hook.attempts == 1 and hook.next_attempt_at is not None
    first_wait = hook.next_attempt_at - now
    assert timedelta(minutes=1.5) <= first_wait <= timedelta(minutes=2.5)

    assert (
        retry_pending_deliveries(
            world.store, world.config, now=now, worker="test", backends=recorder
        )
        == {}
    )
    later = hook.next_attempt_at + timedelta(seconds=1)
    assert retry_pending_deliveries(
        world.store, world.config, now=later, worker="test", backends=recorder
    ) == {hook.id: "failed"}
    second_wait = _deliveries(world.store)["hook"].next_attempt_at - later
    assert second_wait > first_wait  # exponential

    too_late = now + world.config.channel("hook").give_up_after
    assert retry_pending_deliveries(
        world.store, world.config, now=too_late, worker="test", backends=recorder
    ) == {hook.id: "given_up"}
    assert recorder.sent == Counter({"inbox": 1, "hook": 3})

    next_end = world.period_end + timedelta(days=3)
    with world.store.session() as session:
        content = build_digest(
            session, world.config, world.config.digest("daily"), world.period_end, next_end
        )
    assert [d["channel"] for d in content.failed_deliveries] == ["hook"]
    assert content.failed_deliveries[0]["attempts"] == 3

    runner = CliRunner()
    listed = runner.invoke(cli, ["-c", str(world.config.path), "deliveries", "--json"])
    assert listed.exit_code == 0, listed.output
    states = {
        json.loads(line)["channel"]: json.loads(line)["state"]
        for line in listed.output.splitlines()
    }
    assert states == {"inbox": "sent", "hook": "given_up"}


def test_410_gone_disables_the_channel_with_a_clear_log_line(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("gone", status=410)
    with caplog.at_level("ERROR", logger="watcher"):
        run_digest(
            world.store,
            world.config,
            "daily",
            world.period_end,
            now=world.now,
            worker="test",
            locks=LOCKS,
        )
    with world.store.session() as session:
        disabled = session.get(ChannelStateRow, "hook")

    assert _deliveries(world.store)["hook"].state == "given_up"
    assert disabled is not None and disabled.disabled_at is not None
    assert "channel hook disabled: the webhook answered 410 Gone" in caplog.text
    assert "watcher deliveries --enable hook" in caplog.text

    later = world.period_end + timedelta(days=1)
    run_digest(world.store, world.config, "daily", later, now=later, worker="test", locks=LOCKS)
    assert len(world.httpserver.log) == 1  # never called again
    with world.store.session() as session:
        rows = session.scalars(select(DeliveryRow).where(DeliveryRow.channel_id == "hook")).all()
    assert [r.state for r in rows] == ["given_up", "given_up"]
    assert "channel disabled since" in (rows[1].last_error or "")

    runner = CliRunner()
    listed = runner.invoke(cli, ["-c", str(world.config.path), "deliveries"])
    assert "channel hook is disabled since" in listed.output
    enabled = runner.invoke(cli, ["-c", str(world.config.path), "deliveries", "--enable", "hook"])
    assert "channel hook enabled" in enabled.output
    world.httpserver.clear()
    world.httpserver.expect_request(HOOK).respond_with_data("ok")
    next_day = later + timedelta(days=1)
    result = run_digest(
        world.store, world.config, "daily", next_day, now=next_day, worker="test", locks=LOCKS
    )
    assert result.deliveries["hook"] == "sent"


def _race(store_url: str, config: Config, period_end: Any, workers: int = 6) -> Recorder:
    recorder = Recorder()
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(number: int) -> None:
        store = open_store(store_url, migrate=False)
        try:
            barrier.wait()
            run_digest(
                store,
                config,
                "daily",
                period_end,
                now=period_end,
                worker=f"w{number}",
                backends=recorder,
                locks=LOCKS,
            )
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return recorder


def test_racing_workers_on_sqlite_build_once_and_send_once_per_channel(world: Any) -> None:
    recorder = _race(world.config.database_url, world.config, world.period_end)

    assert recorder.sent == Counter({"inbox": 1, "hook": 1})
    with world.store.session() as session:
        assert session.scalar(select(func.count()).select_from(DigestRunRow)) == 1


@pytest.mark.postgres
def test_racing_workers_on_postgresql_build_once_and_send_once_per_channel(
    world: Any, postgres_url: str, seed_store: Any
) -> None:
    store = open_store(postgres_url)
    seed_store(store, world.config)
    store.close()

    recorder = _race(postgres_url, world.config, world.period_end, workers=8)

    assert recorder.sent == Counter({"inbox": 1, "hook": 1})


# --- crashes: a separate process is killed (os._exit) at a chosen point, then "restarted" -------

CRASHER = """
import os, sys
from datetime import datetime
from watcher.config import load_config
from watcher.deliver import outbox
from watcher.jobs.digest_run import DigestLocks, run_digest
from watcher.deliver.email import EmailBackend
from watcher.store import open_store
from watcher.store import digests

config_path, period_end, now, where = sys.argv[1:5]
if where == "before-claim":  # built and stored, nothing claimed yet
    digests.claim_delivery = lambda *args, **kwargs: os._exit(3)
elif where == "mid-send":  # the mail delivery is claimed, the process dies while sending
    EmailBackend.send = lambda self, outgoing: os._exit(3)
elif where == "after-send":  # the server accepted the mail, the process dies before recording
    original = outbox._record
    def record_then_die(store, delivery, worker, now, result, channel=None):
        if delivery.channel_id == "inbox":
            os._exit(3)
        return original(store, delivery, worker, now, result, channel)
    outbox._record = record_then_die
config = load_config(config_path)
store = open_store(config.database_url)
run_digest(
    store,
    config,
    "daily",
    datetime.fromisoformat(period_end),
    now=datetime.fromisoformat(now),
    worker="crasher",
    locks=DigestLocks(),
)
"""


def _crash(world: Any, where: str, tmp_path: Path) -> None:
    script = tmp_path / "crasher.py"
    script.write_text(textwrap.dedent(CRASHER), encoding="utf-8")
    args = [str(world.config.path), world.period_end.isoformat(), world.now.isoformat(), where]
    completed = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 3, completed.stderr


@pytest.mark.slow
def test_killed_between_build_and_send_the_restart_sends_once_per_channel(
    world: Any, tmp_path: Path
) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("ok")
    _crash(world, "before-claim", tmp_path)
    assert {d.state for d in _deliveries(world.store).values()} == {"pending"}
    assert world.sink.messages == [] and world.httpserver.log == []

    result = run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=world.now,
        worker="test",
        locks=LOCKS,
    )
    run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=world.now + LEASE * 2,
        worker="test",
        locks=LOCKS,
    )

    assert not result.built  # the stored run was delivered, not a rebuilt one
    assert result.deliveries == {"inbox": "sent", "hook": "sent"}
    assert len(world.sink.messages) == 1 and len(world.httpserver.log) == 1


@pytest.mark.slow
def test_killed_while_sending_the_lease_protects_then_expires_into_one_delivery(
    world: Any, tmp_path: Path
) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("ok")
    _crash(world, "mid-send", tmp_path)
    assert _deliveries(world.store)["inbox"].state == "sending"

    soon = run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=world.now,
        worker="test",
        locks=LOCKS,
    )
    assert soon.deliveries == {"inbox": "sending", "hook": "sent"}  # lease still held
    assert world.sink.messages == []

    after_lease = world.now + LEASE + timedelta(seconds=1)
    retry_pending_deliveries(world.store, world.config, now=after_lease, worker="test")
    retry_pending_deliveries(world.store, world.config, now=after_lease + LEASE * 2, worker="test")

    assert {c: d.state for c, d in _deliveries(world.store).items()} == {
        "inbox": "sent",
        "hook": "sent",
    }
    assert len(world.sink.messages) == 1 and len(world.httpserver.log) == 1


@pytest.mark.slow
def test_killed_after_the_server_accepted_the_retry_is_the_same_message(
    world: Any, tmp_path: Path
) -> None:
    """The documented window: the mail is re-sent, with the same Message-ID, once."""
    world.httpserver.expect_request(HOOK).respond_with_data("ok")
    _crash(world, "after-send", tmp_path)
    assert len(world.sink.messages) == 1

    after_lease = world.now + LEASE + timedelta(seconds=1)
    run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=after_lease,
        worker="test",
        locks=LOCKS,
    )
    run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=after_lease + LEASE * 2,
        worker="test",
        locks=LOCKS,
    )

    ids = [message_from_bytes(m.content, policy=default)["Message-ID"] for m in world.sink.messages]
    assert len(ids) == 2 and ids[0] == ids[1]
    inbox = _deliveries(world.store)["inbox"]
    assert inbox.state == "sent" and inbox.attempts == 2
    assert len(world.httpserver.log) == 1
