"""Log lines: readable or JSON, with context, and never a secret."""

from __future__ import annotations

import json
import logging

import pytest

from watcher import logs, redact


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Set up logging as the CLI does; return a function giving what was written so far."""
    monkeypatch.setattr(redact, "_SECRETS", set())

    def setup(log_format: str):
        logs.setup_logging(1, log_format)
        return lambda: capsys.readouterr().err

    yield setup
    logging.getLogger("watcher").handlers[:] = []


def test_json_lines_carry_time_level_event_ids_and_duration(capture) -> None:
    stream = capture("json")
    log = logging.getLogger("watcher.test")
    log.info("polled %s", "bbc", extra={"event": "poll.done", "source": "bbc", "duration": 0.25})
    log.warning("channel %s failed", "ops", extra={"channel": "ops"})

    first, second = (json.loads(line) for line in stream().splitlines())
    assert first["level"] == "info"
    assert first["event"] == "poll.done"
    assert first["message"] == "polled bbc"
    assert (first["source"], first["duration"]) == ("bbc", 0.25)
    assert first["time"].endswith("+00:00")
    assert second["event"] == "channel %s failed"
    assert second["channel"] == "ops"


def test_text_lines_are_readable_with_context_in_brackets(capture) -> None:
    stream = capture("text")
    logging.getLogger("watcher.test").info("polled", extra={"source": "bbc", "duration": 1.5})
    assert stream().rstrip().endswith("INFO watcher.test: polled [source=bbc duration=1.5]")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_never_reach_a_log_line(capture, log_format: str, monkeypatch) -> None:
    stream = capture(log_format)
    monkeypatch.setenv("HOOK_SECRET", 'whsec_"abc\\123')
    monkeypatch.setenv("SMTP_PASSWORD", "hunter22")
    monkeypatch.setenv("WATCHER_DATABASE_URL", "postgresql://watcher:dbpass99@db/watcher")
    from watcher.config import Config

    config = Config.model_validate(
        {
            "channels": [
                {"id": "hook", "webhook": "https://h.example/", "secret_env": "HOOK_SECRET"}
            ],
            "smtp": {"host": "m", "sender": "w@example.org", "password_env": "SMTP_PASSWORD"},
        }
    )
    logs.register_config_secrets(config)
    log = logging.getLogger("watcher.test")
    log.error(
        'signing with whsec_"abc\\123 and hunter22 failed',
        extra={"url": "https://u:pw@x/?token=t0k"},
    )
    try:
        raise RuntimeError("connect postgresql://watcher:dbpass99@db/watcher")
    except RuntimeError:
        log.exception("database down")

    written = stream()
    for secret in ("whsec_", "hunter22", "dbpass99", ":pw@", "t0k"):
        assert secret not in written
    assert "***" in written


def test_scheduler_warnings_share_the_format_but_not_the_overlapping_tick_noise(capture) -> None:
    stream = capture("json")
    scheduler = logging.getLogger("apscheduler.scheduler")
    scheduler.warning(
        'Execution of job "poll" skipped: maximum number of running instances reached (1)'
    )
    scheduler.warning("Run time of job %s was missed by %s", "digest:daily", "0:00:05")
    scheduler.info("Added job")

    [line] = stream().splitlines()
    assert json.loads(line)["message"] == "Run time of job digest:daily was missed by 0:00:05"
