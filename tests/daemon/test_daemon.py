"""The daemon's jobs, driven directly with an explicit ``now``: no sleeping for the scheduler."""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from watcher import metrics
from watcher.config import load_config
from watcher.digest.period import latest_slot
from watcher.schedule.daemon import Daemon, DaemonOptions
from watcher.store import open_store
from watcher.store.claims import claim_due_sources, claimed_by
from watcher.store.tables import ItemRow, SourceRow

from .conftest import Farm, daemon_config

MakeDaemon = Callable[..., Daemon]


@pytest.fixture
def make_daemon(tmp_path: Path, farm: Farm) -> Iterator[MakeDaemon]:
    daemons: list[Daemon] = []

    def make(feeds: int = 3, *, extra: str = "", **options) -> Daemon:
        path = tmp_path / "watch.yaml"
        path.write_text(daemon_config(farm, feeds, extra=extra), encoding="utf-8")
        config = load_config(path)
        store = open_store(f"sqlite:///{tmp_path / 'watcher.db'}")
        daemon = Daemon(config, store, DaemonOptions(worker_id="w1", **options))
        daemon.reconcile()
        daemons.append(daemon)
        return daemon

    yield make
    for daemon in daemons:
        daemon.stop()
        daemon.store.close()


def now() -> datetime:
    return datetime.now(UTC)


def rows(daemon: Daemon) -> dict[str, SourceRow]:
    with daemon.store.session() as session:
        return {row.id: row for row in session.scalars(select(SourceRow))}


def test_each_due_source_is_polled_once_then_not_before_its_interval(
    make_daemon: MakeDaemon, farm: Farm
) -> None:
    daemon = make_daemon(3)
    matched = metrics.STORY_MATCHES.labels(story="safety")._value.get()

    summary = daemon.poll_tick(now())
    assert summary.polled == 3
    assert metrics.STORY_MATCHES.labels(story="safety")._value.get() == matched + 3
    assert farm.polls() == {"f000": 1, "f001": 1, "f002": 1}
    assert daemon.poll_tick(now()).polled == 0
    assert daemon.poll_tick(now() + timedelta(minutes=50)).polled == 0

    assert daemon.poll_tick(now() + timedelta(minutes=70)).polled == 3
    assert set(farm.polls().values()) == {2}
    assert all(row.claimed_by is None and row.last_success_at for row in rows(daemon).values())
    with daemon.store.session() as session:
        assert session.scalar(select(ItemRow.key).limit(1))


def test_one_tick_works_through_the_whole_backlog_in_batches(
    make_daemon: MakeDaemon, farm: Farm
) -> None:
    daemon = make_daemon(7, batch=2)
    assert daemon.poll_tick(now()).polled == 7
    assert sorted(farm.polls().values()) == [1] * 7


def test_sources_this_config_does_not_know_are_left_to_the_worker_that_does(
    make_daemon: MakeDaemon, farm: Farm, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = make_daemon(1)
    with daemon.store.session() as session:
        session.add(
            SourceRow(id="newer", kind="feed", url=farm.feed_url("newer"), next_poll_at=now())
        )

    assert daemon.poll_tick(now()).polled == 1
    assert "newer" not in farm.polls()
    assert "not in this worker's config" in caplog.text
    assert rows(daemon)["newer"].claimed_by == "w1"
    assert daemon.poll_tick(now()).polled == 0


def test_a_stop_request_ends_polling_and_stop_gives_back_every_claim(
    make_daemon: MakeDaemon, farm: Farm
) -> None:
    daemon = make_daemon(3)
    with daemon.store.session() as session:
        claim_due_sources(session, worker_id="w1", now=now(), limit=2, lease=timedelta(minutes=15))

    daemon.request_stop("test")
    assert daemon.poll_tick(now()).polled == 0
    daemon.stop()
    with daemon.store.session() as session:
        assert claimed_by(session, "w1") == []
    assert farm.polls() == {}


def test_reload_reconciles_sources_and_keeps_history(
    make_daemon: MakeDaemon, farm: Farm, tmp_path: Path
) -> None:
    daemon = make_daemon(3)
    daemon.poll_tick(now())
    text = (
        daemon_config(farm, 3)
        .replace("f002", "g002")
        .replace(farm.feed_url("f001"), farm.feed_url("f001-moved"))
    )
    (tmp_path / "watch.yaml").write_text(text, encoding="utf-8")

    assert daemon.reload() is True
    state = rows(daemon)
    assert state["f002"].removed_at is not None
    assert state["f002"].last_success_at is not None
    assert state["g002"].removed_at is None
    assert state["f001"].url == farm.feed_url("f001-moved")
    assert daemon.poll_tick(now()).polled == 2  # the new source and the moved one
    with daemon.store.session() as session:
        assert session.scalar(select(ItemRow.id).where(ItemRow.source_id == "f002"))


def test_an_invalid_config_is_refused_on_reload_with_file_and_line(
    make_daemon: MakeDaemon, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = make_daemon(2)
    path = tmp_path / "watch.yaml"
    path.write_text(path.read_text() + "fetch_every: 5m\n", encoding="utf-8")

    with caplog.at_level(logging.ERROR, logger="watcher"):
        assert daemon.reload() is False
    assert re.search(rf"{re.escape(str(path))}:\d+: unknown key 'fetch_every'", caplog.text)
    assert len(daemon.config.sources) == 2


def test_a_query_nested_too_deep_is_refused_on_reload_and_the_old_config_runs(
    make_daemon: MakeDaemon, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = make_daemon(2)
    path = tmp_path / "watch.yaml"
    deep = "(" * 200 + "altman" + ")" * 200
    path.write_text(path.read_text().replace("match: altman", f"match: '{deep}'"))

    with caplog.at_level(logging.ERROR, logger="watcher"):
        assert daemon.reload() is False
    assert re.search(
        rf"{re.escape(str(path))}:\d+: stories\[0\]\.match: nested too deep", caplog.text
    )
    assert "Traceback" not in caplog.text
    assert daemon.poll_tick(now()).polled == 2


def test_a_runtime_that_cannot_be_built_is_refused_and_the_old_one_kept(
    make_daemon: MakeDaemon, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A config that loads but cannot run (here the clients cannot be opened) changes nothing."""
    daemon = make_daemon(2)
    running = daemon.runtime

    def refuse(_config: object) -> None:
        raise OSError("too many open files")

    monkeypatch.setattr("watcher.schedule.daemon.Clients.open", refuse)
    with caplog.at_level(logging.ERROR, logger="watcher"):
        assert daemon.reload() is False
    assert "config not reloaded: OSError: too many open files" in caplog.text
    assert daemon.runtime is running
    monkeypatch.undo()
    assert daemon.poll_tick(now()).polled == 2


def test_a_database_error_while_reloading_is_retried_at_the_next_tick(
    make_daemon: MakeDaemon, farm: Farm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new config is taken at once; its sources reach the database when it answers again."""
    daemon = make_daemon(2)
    (tmp_path / "watch.yaml").write_text(daemon_config(farm, 3), encoding="utf-8")
    reconcile = daemon.reconcile
    attempts: list[str] = []

    def database_away_once(*args: object) -> None:
        attempts.append("reconcile")
        if len(attempts) == 1:
            raise OperationalError("UPDATE sources", {}, Exception("database is locked"))
        reconcile(*args)

    monkeypatch.setattr(daemon, "reconcile", database_away_once)
    assert daemon.reload() is True
    assert "f002" not in rows(daemon)
    # The tick reconciles first, so f002 is due from a moment after the tick's own time.
    assert daemon.poll_tick(now() + timedelta(seconds=1)).polled == 3
    assert attempts == ["reconcile", "reconcile"]
    assert rows(daemon)["f002"].last_success_at is not None


def test_a_digest_missed_while_down_is_sent_once_within_grace(
    make_daemon: MakeDaemon, farm: Farm
) -> None:
    daemon = make_daemon(1)
    slot = latest_slot(daemon.config.digest("daily"), daemon.config.tz, now())
    built = metrics.DIGESTS.labels(digest="daily", outcome="built")._value.get()
    sent = metrics.DELIVERIES.labels(channel="hook", outcome="sent")._value.get()

    assert daemon.catch_up_digests(slot + timedelta(hours=1)) == ["daily"]
    assert daemon.catch_up_digests(slot + timedelta(hours=2)) == ["daily"]
    assert daemon.digest_tick("daily", slot + timedelta(hours=3)).built is False
    assert len(farm.deliveries) == 1
    assert metrics.DIGESTS.labels(digest="daily", outcome="built")._value.get() == built + 1
    assert metrics.DELIVERIES.labels(channel="hook", outcome="sent")._value.get() == sent + 1


def test_a_digest_missed_beyond_grace_waits_for_its_next_slot(
    make_daemon: MakeDaemon, farm: Farm
) -> None:
    daemon = make_daemon(1)
    slot = latest_slot(daemon.config.digest("daily"), daemon.config.tz, now())

    assert daemon.catch_up_digests(slot + timedelta(hours=6, minutes=1)) == []
    assert farm.deliveries == []


def test_retention_prunes_through_the_housekeeping_job(make_daemon: MakeDaemon) -> None:
    daemon = make_daemon(2, extra="retention: 30d\n")
    daemon.poll_tick(now())
    assert daemon.housekeeping_tick(now()) == 0  # the feeds' items were published in 2024...
    assert daemon.housekeeping_tick(now() + timedelta(days=31)) == 2  # ...and seen today


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_start_serves_health_and_metrics_and_stop_is_clean(make_daemon: MakeDaemon) -> None:
    daemon = make_daemon(3, extra='metrics: {listen: "127.0.0.1:0"}\n', tick=timedelta(hours=1))
    status, body = 503, {}
    assert daemon.health().ok is False  # the scheduler is not running yet

    daemon.start()
    url = daemon._health_server.url
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body = get_json(f"{url}/healthz")
        if status == 200 and body["last_success_at"]:
            break
        time.sleep(0.05)
    assert (status, body["scheduler"], body["database"], body["polling"]) == (
        200,
        "running",
        "ok",
        "recent",
    )
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'watcher_polls_total{kind="feed",outcome="ok"}' in text
    assert "watcher_scheduler_running 1.0" in text

    daemon.stop()
    assert daemon.health().scheduler == "stopped"
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/healthz", timeout=2)


def test_jobs_are_scheduled_and_digest_jobs_follow_a_reload(
    make_daemon: MakeDaemon, farm: Farm, tmp_path: Path
) -> None:
    daemon = make_daemon(1, tick=timedelta(hours=1))
    daemon.start()
    jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    digest = jobs["digest:daily"]
    local = digest.next_run_time.astimezone(daemon.config.tz)

    assert {"poll", "deliveries", "housekeeping", "digest:daily"} <= set(jobs)
    assert local.strftime("%H:%M") == "07:00"
    assert now() < digest.next_run_time <= now() + timedelta(days=1)
    assert (digest.coalesce, digest.misfire_grace_time) == (True, 6 * 3600)

    path = tmp_path / "watch.yaml"
    path.write_text(path.read_text().replace('at: "07:00"', 'cron: "30 18 * * 1"'))
    assert daemon.reload() is True
    moved = daemon.scheduler.get_job("digest:daily").next_run_time.astimezone(daemon.config.tz)
    assert (moved.strftime("%A %H:%M"), moved > now()) == ("Monday 18:30", True)


def test_health_fails_when_the_database_does_not_answer(
    make_daemon: MakeDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    daemon = make_daemon(1, tick=timedelta(hours=1))
    daemon.start()
    assert daemon.health().database_error is None

    def unreachable(_session):
        raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr("watcher.schedule.daemon.polling_health", unreachable)
    health = daemon.health()
    assert health.ok is False
    assert health.as_dict()["database"].startswith("OperationalError: ")


def test_one_failing_digest_does_not_keep_the_others_from_catching_up(
    make_daemon: MakeDaemon, farm: Farm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watcher.schedule import daemon as daemon_module

    daemon = make_daemon(1, extra='  - {id: second, at: "07:00", send_to: [hook]}\n')
    real_run_digest = daemon_module.run_digest

    def run_digest(store, config, digest_id, *args, **kwargs):
        if digest_id == "daily":
            raise RuntimeError("template error")
        return real_run_digest(store, config, digest_id, *args, **kwargs)

    monkeypatch.setattr(daemon_module, "run_digest", run_digest)
    slot = latest_slot(daemon.config.digest("daily"), daemon.config.tz, now())

    assert daemon.catch_up_digests(slot + timedelta(minutes=5)) == ["second"]
    assert len(farm.deliveries) == 1


def test_health_fails_when_every_source_fails_and_when_none_succeeded_in_twice_its_interval(
    make_daemon: MakeDaemon, farm: Farm, tmp_path: Path
) -> None:
    daemon = make_daemon(2, tick=timedelta(seconds=1))
    daemon.scheduler.start()  # running, with no job: the test drives the ticks
    started = daemon.started_at
    assert daemon.health(started).polling == "starting" and daemon.health(started).ok

    daemon.poll_tick(now())
    assert daemon.health(now()).ok and daemon.health(now()).fresh_sources == 2
    three_hours = now() + timedelta(hours=3)  # the feeds' interval is 1 h
    assert (daemon.health(three_hours).polling, daemon.health(three_hours).ok) == ("stale", False)

    farm.server.shutdown()  # every feed now fails
    farm.server.server_close()
    daemon.poll_tick(now() + timedelta(hours=2))
    health = daemon.health(now() + timedelta(hours=2))
    assert (health.polling, health.failing_sources, health.ok) == ("all failing", 2, False)
    assert health.as_dict()["status"] == "failing"
