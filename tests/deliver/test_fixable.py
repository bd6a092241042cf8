"""Deliveries you can fix: a missing secret is a ``check`` error and refuses ``run``; found at
send time, it makes the delivery wait (not give up) until it is set; ``deliveries --retry``
sends given-up deliveries again."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from watcher.cli import cli
from watcher.config import load_config
from watcher.config.channels import channel_problems
from watcher.deliver.outbox import retry_pending_deliveries
from watcher.errors import ConfigError
from watcher.jobs.digest_run import DigestLocks, run_digest
from watcher.store.claims import polling_health
from watcher.store.tables import DeliveryRow, ItemRow

HOOK = "/hook/T0123/secret-token"
LOCKS = DigestLocks()


def _lines(path: Path) -> dict[str, int]:
    """Line number of each key's first appearance in the file."""
    found: dict[str, int] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for key in ("password_env", "secret_env"):
            if key in line:
                found.setdefault(key, number)
    return found


def test_check_reports_each_unset_secret_at_its_line(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WATCHER_TEST_SMTP_PASSWORD")
    monkeypatch.setenv("WATCHER_TEST_WEBHOOK_SECRET", "not-a-whsec-secret!")
    path = world.config.path
    lines = _lines(path)

    problems = channel_problems(load_config(path), {"WATCHER_TEST_WEBHOOK_SECRET": "whsec_"})
    result = CliRunner().invoke(cli, ["-c", str(path), "check"])

    assert problems == [
        f"{path}:{lines['secret_env']}: the secret in WATCHER_TEST_WEBHOOK_SECRET is not a "
        "Standard Webhooks secret: 'whsec_' followed by base64",
        f"{path}:{lines['password_env']}: the environment variable WATCHER_TEST_SMTP_PASSWORD "
        "(the SMTP password) is not set: export it where watcher runs (a systemd "
        "EnvironmentFile, a container secret), or remove the setting",
    ]
    assert isinstance(result.exception, ConfigError) and result.exception.exit_code == 2
    assert f"{path}:{lines['password_env']}: " in str(result.exception)
    assert "not-a-whsec" not in str(result.exception)  # a value is never quoted back


def test_check_passes_and_run_is_refused_as_the_environment_says(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = ["-c", str(world.config.path)]
    assert CliRunner().invoke(cli, [*config, "check"]).exit_code == 0

    monkeypatch.delenv("WATCHER_TEST_WEBHOOK_SECRET")
    refused = CliRunner().invoke(cli, [*config, "run", "--tick", "1s"])

    assert isinstance(refused.exception, ConfigError)
    assert "WATCHER_TEST_WEBHOOK_SECRET (the webhook secret) is not set" in str(refused.exception)


def _send(world: Any, now: datetime) -> dict[str, str]:
    return run_digest(
        world.store, world.config, "daily", world.period_end, now=now, worker="t", locks=LOCKS
    ).deliveries


def test_a_secret_missing_at_send_time_waits_instead_of_giving_up(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("ok")
    monkeypatch.delenv("WATCHER_TEST_SMTP_PASSWORD")

    assert _send(world, world.now) == {"inbox": "waiting", "hook": "sent"}
    days_later = world.now + timedelta(days=5)  # far past give_up_after (48 h)
    assert retry_pending_deliveries(world.store, world.config, now=days_later, worker="t") == {
        1: "waiting"
    }
    with world.store.session() as session:
        assert polling_health(session).waiting_deliveries == 1
    listed = CliRunner().invoke(cli, ["-c", str(world.config.path), "deliveries", "--json"])
    waiting = next(json.loads(line) for line in listed.output.splitlines() if "waiting" in line)
    assert waiting["channel"] == "inbox" and waiting["next_attempt_at"]
    assert "WATCHER_TEST_SMTP_PASSWORD (SMTP password) is not set" in waiting["error"]
    assert world.sink.messages == []

    monkeypatch.setenv("WATCHER_TEST_SMTP_PASSWORD", world.smtp_password)
    later = days_later + timedelta(days=1)
    assert retry_pending_deliveries(world.store, world.config, now=later, worker="t") == {1: "sent"}
    assert len(world.sink.messages) == 1


def test_the_daemon_tries_waiting_deliveries_as_soon_as_it_starts(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watcher.schedule.daemon import Daemon, DaemonOptions

    world.httpserver.expect_request(HOOK).respond_with_data("ok")
    monkeypatch.delenv("WATCHER_TEST_SMTP_PASSWORD")
    _send(world, world.now)
    monkeypatch.setenv("WATCHER_TEST_SMTP_PASSWORD", world.smtp_password)

    config = world.config.model_copy(update={"sources": []})  # nothing to fetch from the internet
    daemon = Daemon(config, world.store, DaemonOptions("w", tick=timedelta(hours=1)))
    daemon.start()
    try:
        wait_until(
            lambda: any(b"20240529T040000Z" in m.original_content for m in world.sink.messages)
        )
    finally:
        daemon.stop()
    with world.store.session() as session:
        assert polling_health(session).waiting_deliveries == 0


def wait_until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_retry_sends_a_given_up_delivery_again(world: Any) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("no", status=400)
    with world.store.session() as session:  # found an hour ago, as a poll would have
        session.execute(
            update(ItemRow).values(first_seen_at=datetime.now(UTC) - timedelta(hours=1))
        )
    runner, config = CliRunner(), ["-c", str(world.config.path)]
    sent = runner.invoke(cli, [*config, "digest", "send"])
    assert "hook: given_up, inbox: sent" in sent.output
    with world.store.session() as session:
        hook_id = session.scalar(select(DeliveryRow.id).where(DeliveryRow.channel_id == "hook"))

    listed = runner.invoke(cli, [*config, "deliveries"])
    world.httpserver.clear()
    world.httpserver.expect_request(HOOK).respond_with_data("ok")
    retried = runner.invoke(cli, [*config, "deliveries", "--retry", str(hook_id)])
    again = runner.invoke(cli, [*config, "deliveries", "--all-failed"])

    assert "--retry ID" in listed.output
    assert retried.exit_code == 0, retried.output
    assert f"delivery {hook_id}: sent" in retried.output
    assert len(world.httpserver.log) == 1 and len(world.sink.messages) == 1
    assert again.exit_code == 0 and "delivery" not in again.output.split("\n")[0]
    unknown = runner.invoke(cli, [*config, "deliveries", "--retry", "999"])
    assert unknown.exit_code == 1 and "delivery 999: not found" in unknown.output
