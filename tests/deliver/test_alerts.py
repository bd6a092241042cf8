"""Alerts, end to end on real local servers: feeds, an SMTP sink, a webhook receiver that
verifies Standard Webhooks signatures, and an Apprise ``json://`` target. Polls run with an
explicit clock, so quiet hours and the hourly cap are exercised without waiting."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from standardwebhooks import Webhook
from werkzeug import Request, Response

from tests.deliver.conftest import SECRET, SMTP_PASSWORD, Sink
from watcher.cli import cli
from watcher.config import Config, load_config
from watcher.jobs import alert_hits, alerts
from watcher.jobs.poll import poll_once
from watcher.match import Matcher
from watcher.store import Store, open_store
from watcher.store.tables import AlertHitRow, AlertMessageRow, DeliveryRow, ItemRow

T0 = datetime(2024, 5, 29, 9, 0, tzinfo=UTC)  # 12:00 in Riyadh
NIGHT = datetime(2024, 5, 29, 20, 30, tzinfo=UTC)  # 23:30 in Riyadh: quiet hours

CONFIG = """\
timezone: Asia/Riyadh
database: sqlite:///{db}
people:
  - {{id: altman, name: Sam Altman, aliases: ["Sam Altman", "Altman"]}}
  - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike"]}}
stories:
  - id: exits
    title: Leaving OpenAI
    since: 2024-05-14
    match: leike
    followups:
      - {{id: longer-post, title: "Altman's longer post", by: [altman], match: safety, due: 2024-05-21}}
sources:
  - {{id: blog, feed: "{server}/blog", owner: altman}}
  - {{id: news, feed: "{server}/news"}}
channels:
  - {{id: inbox, email: ["reader@example.com"]}}
  - {{id: hook, webhook: "{server}/hook", secret_env: WATCHER_TEST_WEBHOOK_SECRET}}
  - {{id: phone, apprise: "json://{host}/apprise"}}
  - {{id: news-hook, webhook: "{server}/news-hook", secret_env: WATCHER_TEST_WEBHOOK_SECRET}}
smtp: {{host: 127.0.0.1, port: {port}, starttls: false, username: watcher,
        password_env: WATCHER_TEST_SMTP_PASSWORD, sender: "watcher@example.net", timeout: 5s}}
alerts:
  - {{id: promise-kept, when: [followup], stories: [exits], send_to: [hook, inbox, phone]}}
  - {{id: story-news, when: [story, author], send_to: [news-hook], max_per_hour: 3,
      quiet_hours: "23:00-07:00"}}
"""


def rss(*items: tuple[str, str, datetime]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>https://example.org/{slug}</link>"
        f"<description>{title}.</description>"
        f"<pubDate>{published:%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
        for title, slug, published in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{entries}</channel></rss>'


@dataclass
class Receivers:
    """What the webhook receivers and the Apprise target got (signatures verified)."""

    hooks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    apprise: list[dict[str, Any]] = field(default_factory=list)

    def hook(self, name: str) -> Callable[[Request], Response]:
        def receive(request: Request) -> Response:
            headers = {k.lower(): v for k, v in request.headers.items()}
            Webhook(SECRET).verify(request.get_data(), headers)  # raises on a bad signature
            self.ids.append(headers["webhook-id"])
            self.hooks.setdefault(name, []).append(json.loads(request.get_data()))
            return Response("ok")

        return receive

    def take_apprise(self, request: Request) -> Response:
        self.apprise.append(json.loads(request.get_data()))
        return Response("ok")


class World:
    def __init__(self, config: Config, store: Store, sink: Sink, server: HTTPServer) -> None:
        self.config, self.store, self.sink, self.server = config, store, sink, server
        self.got = Receivers()
        self.feeds: dict[str, str] = {"blog": rss(), "news": rss()}
        for path in ("blog", "news"):
            server.expect_request(f"/{path}").respond_with_handler(self._feed(path))
        server.expect_request("/hook").respond_with_handler(self.got.hook("hook"))
        server.expect_request("/news-hook").respond_with_handler(self.got.hook("news-hook"))
        server.expect_request("/apprise").respond_with_handler(self.got.take_apprise)

    def _feed(self, path: str) -> Callable[[Request], Response]:
        return lambda request: Response(self.feeds[path], content_type="application/rss+xml")

    def poll(self, at: datetime) -> None:
        summary = poll_once(self.store, self.config, clock=lambda: at)
        assert summary.failed == 0, summary.errors

    def mails(self) -> list[Message]:
        return [message_from_bytes(m.original_content, policy=default) for m in self.sink.messages]

    def count(self, table: type) -> int:
        with self.store.session() as session:
            return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def world(
    tmp_path: Path,
    httpserver: HTTPServer,
    smtp_server: tuple[Sink, int],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    monkeypatch.setenv("WATCHER_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("WATCHER_TEST_WEBHOOK_SECRET", SECRET)
    sink, port = smtp_server
    path = tmp_path / "watch.yaml"
    server = httpserver.url_for("").rstrip("/")
    text = CONFIG.format(
        db=tmp_path / "watcher.db", server=server, host=server.removeprefix("http://"), port=port
    )
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    config = load_config(path)
    store = open_store(config.database_url)
    yield World(config, store, sink, httpserver)
    store.close()


PROMISE = ("On safety, and what comes next", "longer-post", T0 - timedelta(hours=1))


def test_a_fulfilled_follow_up_reaches_webhook_email_and_apprise_once(world: World) -> None:
    world.feeds["blog"] = rss(PROMISE)
    world.poll(T0)
    world.poll(T0 + timedelta(minutes=5))  # nothing new: nothing more

    [payload] = world.got.hooks["hook"]
    assert payload["type"] == "alert.v1"
    data = payload["data"]
    assert data["alert"] == "promise-kept" and data["when"] == "followup"
    assert data["followup"] == {
        "story": "exits", "id": "longer-post", "title": "Altman's longer post", "due": "2024-05-21",
    }  # fmt: skip
    item = data["item"]
    assert item["url"] == "https://example.org/longer-post" and item["by"] == "altman"
    assert item["title"] == "On safety, and what comes next" and item["stories"] == []
    assert item["published"].startswith("2024-05-29T08:00")
    [mail] = world.mails()
    assert mail["Subject"] == "Arrived: Altman's longer post — On safety, and what comes next"
    assert "https://example.org/longer-post" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [note] = world.got.apprise
    assert note["title"] == mail["Subject"] and "On safety" in note["message"]
    [authored] = world.got.hooks["news-hook"]  # story-news: a post by someone exits watches
    assert authored["data"]["when"] == "author" and authored["data"]["followup"] is None
    assert world.count(AlertHitRow) == 2 and world.count(AlertMessageRow) == 2
    with world.store.session() as session:
        states = sorted(d.state for d in session.scalars(select(DeliveryRow)))
    assert states == ["sent"] * 4
    assert len(set(world.got.ids)) == len(world.got.ids) == 2


def test_hits_are_once_per_alert_and_item_whatever_records_them_again(world: World) -> None:
    world.feeds["blog"] = rss(PROMISE)
    world.poll(T0)
    with world.store.session() as session:
        ids = list(session.scalars(select(ItemRow.id)))
        again = alert_hits.record_alert_hits(
            session, world.config, Matcher(world.config), ids, now=T0 + timedelta(minutes=1)
        )
    sent = alerts.send_alerts(world.store, world.config, now=T0 + timedelta(minutes=2), worker="w2")

    assert again >= 1 and sent == {}  # recorded again: the unique key kept the first
    assert world.count(AlertHitRow) == 2  # promise-kept, and story-news (authored by Altman)
    assert len(world.got.hooks["hook"]) == 1 and len(world.mails()) == 1


def test_an_old_item_is_left_to_the_digest(world: World) -> None:
    world.feeds["blog"] = rss(("On safety, months ago", "old", T0 - timedelta(days=30)))
    world.poll(T0)
    assert world.count(AlertHitRow) == 0 and world.got.hooks == {}


def news(count: int, start: int = 0, at: datetime = T0) -> str:
    return rss(
        *(
            (f"Jan Leike news {n}", f"news-{n}", at - timedelta(minutes=n))
            for n in range(start, start + count)
        )
    )


def test_past_max_per_hour_the_rest_is_folded_then_waits_for_the_hour(world: World) -> None:
    world.feeds["news"] = news(5)
    world.poll(T0)

    payloads = world.got.hooks["news-hook"]
    assert [p["data"]["count"] for p in payloads] == [1, 1, 3]  # three messages: the cap
    assert payloads[2]["data"]["subject"].startswith("3 new items: Leaving OpenAI")

    world.feeds["news"] = news(6)  # one more within the hour: held
    world.poll(T0 + timedelta(minutes=20))
    assert len(world.got.hooks["news-hook"]) == 3
    with world.store.session() as session:
        held = session.scalars(select(AlertHitRow).where(AlertHitRow.message_id.is_(None))).one()
    assert held.due_at == T0 + timedelta(hours=1)

    alerts.send_alerts(
        world.store, world.config, now=T0 + timedelta(hours=1, minutes=1), worker="t"
    )
    assert len(world.got.hooks["news-hook"]) == 4


def test_quiet_hours_hold_news_but_not_a_fulfilled_follow_up(world: World) -> None:
    world.feeds["news"] = news(2, at=NIGHT)
    world.feeds["blog"] = rss(("On safety, at last", "late-post", NIGHT - timedelta(minutes=5)))
    world.poll(NIGHT)

    assert [p["data"]["alert"] for p in world.got.hooks["hook"]] == ["promise-kept"]
    assert "news-hook" not in world.got.hooks
    morning = datetime(2024, 5, 30, 4, 0, tzinfo=UTC)  # 07:00 in Riyadh
    assert (
        alerts.send_alerts(
            world.store, world.config, now=morning - timedelta(minutes=1), worker="t"
        )
        == {}
    )
    alerts.send_alerts(world.store, world.config, now=morning, worker="t")

    [folded] = world.got.hooks["news-hook"]  # what waited comes as one message
    assert folded["data"]["count"] == 3  # two news items and Altman's own post
    assert folded["data"]["when"] == "author"


def test_a_crash_between_the_commit_and_the_send_is_sent_by_the_delivery_tick(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watcher.schedule.daemon import Daemon, DaemonOptions

    world.feeds["blog"] = rss(PROMISE)
    with monkeypatch.context() as crashed:
        crashed.setattr(alerts, "send_after_commit", lambda *args, **kwargs: None)
        world.poll(T0)
    assert world.count(AlertHitRow) == 2 and world.got.hooks == {}

    daemon = Daemon(world.config, world.store, DaemonOptions("w"))
    states = daemon.deliveries_tick(T0 + timedelta(seconds=5))

    assert sorted(states.values()) == ["sent"] * 4  # 3 channels of promise-kept, 1 of story-news
    assert len(world.got.hooks["hook"]) == 1 and len(world.mails()) == 1
    assert daemon.deliveries_tick(T0 + timedelta(seconds=10)) == {}


def test_alerts_test_sends_a_sample_to_each_channel(world: World) -> None:
    runner, config = CliRunner(), ["-c", str(world.config.path)]

    result = runner.invoke(cli, [*config, "alerts", "test", "promise-kept"])
    unknown = runner.invoke(cli, [*config, "alerts", "test", "nope"])

    assert result.exit_code == 0, result.output
    for channel in ("hook", "inbox", "phone"):
        assert f"alert promise-kept to {channel}: sent" in result.output
    [payload] = world.got.hooks["hook"]
    assert payload["data"]["item"]["title"].startswith("Test of alert promise-kept")
    assert world.mails()[0]["Subject"].startswith("Arrived: Altman's longer post")
    assert len(world.got.apprise) == 1 and world.count(DeliveryRow) == 0
    assert (
        unknown.exit_code == 2
        and "unknown alert 'nope' (known: promise-kept, story-news)" in unknown.output
    )


def test_alert_deliveries_are_listed_and_retried_like_digests(world: World) -> None:
    world.feeds["blog"] = rss(PROMISE)
    world.poll(T0)
    listed = CliRunner().invoke(cli, ["-c", str(world.config.path), "deliveries", "--json"])
    rows = [json.loads(line) for line in listed.output.splitlines()]

    assert {(r["alert"], r["channel"], r["state"]) for r in rows} >= {
        ("promise-kept", "hook", "sent"), ("promise-kept", "phone", "sent"),
    }  # fmt: skip
    assert all(r["digest"] is None for r in rows)
