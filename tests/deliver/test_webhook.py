"""Webhook sends against a real HTTP server: retry schedule, Retry-After, 4xx, 410, presets."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook
from werkzeug import Response

from watcher.config import Channel, Digest
from watcher.deliver.backend import Outgoing
from watcher.deliver.webhook import WebhookBackend

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BUILT = datetime(2024, 5, 29, 4, 1, tzinfo=UTC)
PAYLOAD = {
    "title": "Morning",
    "item_count": 3,
    "sections": [
        {
            "id": "exits",
            "title": "Leaving OpenAI",
            "followups": [
                {"id": "next", "title": "Where Leike goes", "status": "fulfilled", "by": ["Jan"],
                 "url": "https://x.com/janleike/status/1", "fulfilled_at": "2024-05-28T05:00:00+00:00",
                 "due": None, "waiting_days": None},
            ],
            "entries": [
                {"item_id": 1, "title_html": "Leike joins &lt;Anthropic&gt; [1] @everyone",
                 "url": "https://www.theverge.com/leike", "source": "theverge.com",
                 "published": "2024-05-28T05:00:00+00:00", "snippet_html": "x", "lang": "en",
                 "dir": "ltr", "by": None, "answers": None, "outlets": 2,
                 "also_in": [{"source": "wired.com", "url": None, "title": ""}]},
            ],
            "more": [], "hidden": 0,
        }
    ],
    "counts": [{"entity": "leike", "name": "Jan Leike", "count": 3, "percent": 100}],
    "failing_sources": [], "failed_deliveries": [],
}  # fmt: skip


def outgoing(channel: Channel | None = None) -> Outgoing:
    channel = channel or Channel(id="hook", webhook="https://receiver.example/hook")
    digest = Digest(id="daily", send_to=[channel.id], title="Morning")
    return Outgoing(
        run_id=1, digest=digest, channel=channel, period_start=BUILT, period_end=BUILT,
        built_at=BUILT, subject="Morning · 1 new item", text="", html="", payload=PAYLOAD,
    )  # fmt: skip


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)


def backend(url: str, waits: list[float], fmt: str = "standard", **kwargs: Any) -> WebhookBackend:
    channel = Channel(
        id="hook", webhook=url, secret_env="HOOK_SECRET" if fmt == "standard" else None, format=fmt
    )
    return WebhookBackend(channel, sleep=waits.append, **kwargs)


def test_two_failures_then_success_waits_with_growing_jittered_backoff(
    httpserver: Any, secret_env: None
) -> None:
    for status in (503, 502):
        httpserver.expect_ordered_request("/hook").respond_with_data("busy", status=status)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    waits: list[float] = []

    result = backend(httpserver.url_for("/hook"), waits).send(outgoing())

    assert result.ok and result.attempts == 3
    assert len(waits) == 2
    assert 0 <= waits[0] <= 1 and 0 <= waits[1] <= 2  # random up to 1 s, 2 s, 4 s… capped at 30
    ids = {request.headers["webhook-id"] for request, _ in httpserver.log}
    assert ids == {"msg_daily.20240529T040100Z.hook"}  # stable across retries: receivers de-dupe
    for request, _ in httpserver.log:  # each attempt is freshly signed and verifies
        assert (
            Webhook(SECRET).verify(request.get_data(), dict(request.headers))["type"] == "digest.v1"
        )


def test_429_waits_as_long_as_retry_after_says(httpserver: Any, secret_env: None) -> None:
    httpserver.expect_ordered_request("/hook").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "7"})
    )
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    waits: list[float] = []

    result = backend(httpserver.url_for("/hook"), waits).send(outgoing())

    assert result.ok and waits == [7.0]


def test_a_long_retry_after_is_left_to_the_outbox_schedule(
    httpserver: Any, secret_env: None
) -> None:
    httpserver.expect_request("/hook").respond_with_response(
        Response("later", status=503, headers={"Retry-After": "3600"})
    )
    waits: list[float] = []

    result = backend(httpserver.url_for("/hook"), waits).send(outgoing())

    assert not result.ok and result.retryable and result.retry_after == 3600
    assert waits == [] and len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("status", "retryable", "gone"),
    [
        (400, False, False),
        (401, False, False),
        (404, False, False),
        (410, False, True),
        (500, True, False),
    ],
)
def test_other_statuses_are_not_retried_inline(
    httpserver: Any, secret_env: None, status: int, retryable: bool, gone: bool
) -> None:
    httpserver.expect_request("/hook").respond_with_data("no", status=status)
    waits: list[float] = []

    result = backend(httpserver.url_for("/hook"), waits).send(outgoing())

    assert not result.ok and result.retryable is retryable and result.gone is gone
    assert len(httpserver.log) == 1 and waits == []
    assert str(status) in (result.error or "")


def test_connection_errors_are_retried_and_the_url_token_is_not_reported(
    secret_env: None,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits: list[float] = []

    result = backend(f"http://127.0.0.1:{port}/services/T0/B0/tokenXYZ", waits).send(outgoing())

    assert not result.ok and result.retryable and result.attempts == 4 and len(waits) == 3
    assert "tokenXYZ" not in (result.error or "") and "127.0.0.1" in (result.error or "")
    assert (result.error or "").endswith(": Connection refused")  # the cause, not urllib3's words


def test_a_missing_secret_is_named_and_the_delivery_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    result = backend("https://receiver.example/hook", []).send(outgoing())

    assert not result.ok and result.waiting and result.attempts == 0
    assert result.error == "the environment variable HOOK_SECRET (webhook secret) is not set"


def test_a_malformed_secret_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "whsec_not*base64!")
    result = backend("https://receiver.example/hook", []).send(outgoing())

    assert not result.ok and result.waiting
    assert "HOOK_SECRET is not a Standard Webhooks secret" in (result.error or "")
    assert "not*base64" not in (result.error or "")


def test_slack_preset_posts_blocks_with_escaped_links(httpserver: Any) -> None:
    httpserver.expect_request("/slack").respond_with_data("ok")
    result = backend(httpserver.url_for("/slack"), [], fmt="slack").send(outgoing())
    request, _ = httpserver.log[0]
    body = json.loads(request.get_data())

    assert result.ok and "webhook-signature" not in request.headers
    assert body["text"] == "Morning · 1 new item"
    assert body["blocks"][0]["type"] == "header"
    text = body["blocks"][1]["text"]["text"]
    assert "<https://www.theverge.com/leike|Leike joins &lt;Anthropic&gt; [1] @everyone>" in text
    assert "✓ <https://x.com/janleike/status/1|Where Leike goes>" in text


def test_discord_preset_posts_an_embed_and_pings_nobody(httpserver: Any) -> None:
    httpserver.expect_request("/discord").respond_with_data("", status=204)
    result = backend(httpserver.url_for("/discord"), [], fmt="discord").send(outgoing())
    body = json.loads(httpserver.log[0][0].get_data())

    assert result.ok
    assert body["content"] == "Morning · 1 new item"
    assert body["allowed_mentions"] == {"parse": []}
    description = body["embeds"][0]["description"]
    assert (
        r"[Leike joins \<Anthropic\> \[1\] \@everyone](https://www.theverge.com/leike)"
        in description
    )


def test_the_standard_payload_is_small_and_versioned(httpserver: Any, secret_env: None) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    backend(httpserver.url_for("/hook"), []).send(outgoing())
    body = json.loads(httpserver.log[0][0].get_data())

    assert body["type"] == "digest.v1" and body["timestamp"] == BUILT.isoformat()
    data = body["data"]
    assert set(data) == {
        "digest", "title", "language", "subject", "period", "counts", "stories", "mentions",
        "problems", "truncated",
    }  # fmt: skip
    entry = data["stories"][0]["entries"][0]
    assert entry["title"] == "Leike joins <Anthropic> [1] @everyone"  # plain text, unescaped
    assert entry["also_in"] == ["wired.com"]
    assert data["counts"] == {"items": 3, "entries": 1, "fulfilled": 1}
