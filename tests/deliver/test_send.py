"""End to end: a real SMTP server and a real HTTP server receive one digest, exactly once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook, WebhookVerificationError

from watcher.jobs.digest_run import DigestLocks, run_digest
from watcher.store.tables import DeliveryRow

LOCKS = DigestLocks()

HOOK = "/hook/T0123/secret-token"


def _mail(world: Any, index: int = 0) -> EmailMessage:
    return message_from_bytes(world.sink.messages[index].content, policy=default)  # type: ignore[return-value]


class _Elements(HTMLParser):
    """Every start tag with its attributes (attribute order is the inliner's business)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def having(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            found for name, found in self.found
            if name == tag and all(found.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]  # fmt: skip

    def classed(self, name: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.found if name in (a.get("class") or "").split()]


def _spec_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks, written out: HMAC-SHA256 of ``id.timestamp.body``, base64, ``v1,``."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_one_digest_reaches_the_mailbox_and_the_webhook_once(world: Any) -> None:
    world.httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    first = run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=world.now,
        worker="test",
        locks=LOCKS,
    )
    again = run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=world.now,
        worker="test",
        locks=LOCKS,
    )

    assert first.built and not again.built
    assert first.deliveries == {"inbox": "sent", "hook": "sent"} == again.deliveries
    assert len(world.sink.messages) == 1
    assert len(world.httpserver.log) == 1
    assert world.sink.logins == [("watcher", world.smtp_password)]
    assert sorted(world.sink.messages[0].rcpt_tos) == ["reader@example.com", "second@example.org"]


def test_the_mail_has_both_parts_its_headers_and_sanitised_html(world: Any) -> None:
    world.httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=world.now,
        worker="test",
        locks=LOCKS,
    )
    mail = _mail(world)

    assert mail.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in mail.iter_parts()}
    assert list(parts) == ["text/plain", "text/html"]
    assert mail["Subject"].startswith("Morning digest · Wednesday, May 29, 2024: 2 new items")
    assert mail["From"] == "Watcher <watcher@example.net>"
    assert mail["Date"] and mail["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(
        r"<watcher\.daily\.20240529T040000Z\.inbox@example\.net>", mail["Message-ID"]
    )
    assert mail["List-Id"] == '"Morning digest" <daily.watcher.example.net>'
    assert mail["List-Unsubscribe"] == "<https://example.net/unsubscribe?d=daily>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    html, text = parts["text/html"], parts["text/plain"]
    elements = _Elements(html)
    assert elements.having("html", lang="en", dir="ltr")
    titles = {(a.get("dir"), a.get("lang")) for a in elements.classed("entry-title")}
    assert titles == {("ltr", "en"), ("rtl", "ar")}  # each item in its own direction
    assert 'href="https://www.theverge.com/leike"' in html  # canonical: utm_source dropped
    assert "<mark" in html and ">Leike</mark>" in html
    for hostile in ("<script", "onclick", "onerror", "javascript:", "<iframe", "position:fixed"):
        assert hostile not in html.lower()
    assert "alert(" not in html and "alert(" not in text
    assert "Jan Leike joins Anthropic" in text and "https://www.theverge.com/leike" in text
    assert "<" not in text.split("--")[0].replace("<img", "")  # no markup in the text part


def test_an_arabic_digest_is_right_to_left_with_english_items_left_to_right(
    make_world: Any,
) -> None:
    world = make_world(language="ar")
    world.httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=world.now,
        worker="test",
        locks=LOCKS,
    )
    mail = _mail(world)
    html = next(p for p in mail.iter_parts() if p.get_content_type() == "text/html").get_content()

    elements = _Elements(html)
    assert elements.having("html", lang="ar", dir="rtl")
    assert elements.having("body", lang="ar", dir="rtl")
    assert all(a.get("dir") == "rtl" for a in elements.classed("page-cell"))
    titles = {(a.get("dir"), a.get("lang")) for a in elements.classed("entry-title")}
    assert titles == {("ltr", "en"), ("rtl", "ar")}
    assert "خبران جديدان" in mail["Subject"]  # Arabic dual, from the catalog


def test_the_webhook_is_signed_per_standard_webhooks(world: Any) -> None:
    world.httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    run_digest(
        world.store,
        world.config,
        "daily",
        world.period_end,
        now=world.now,
        worker="test",
        locks=LOCKS,
    )
    request, _ = world.httpserver.log[0]
    headers = {k.lower(): v for k, v in request.headers.items()}
    body = request.get_data()

    assert headers["webhook-id"] == "msg_daily.20240529T040000Z.hook"
    expected = _spec_signature(
        world.secret, headers["webhook-id"], headers["webhook-timestamp"], body
    )
    assert expected in headers["webhook-signature"].split(" ")
    payload = json.loads(body)
    assert payload["type"] == "digest.v1"
    assert payload["data"]["digest"] == "daily"
    assert payload["data"]["counts"]["entries"] == 2
    entries = payload["data"]["stories"][0]["entries"]
    assert {e["url"] for e in entries} == {
        "https://www.theverge.com/leike",
        "https://www.bbc.com/arabic/leike",
    }
    assert len(body) < 64_000

    verifier = Webhook(world.secret)
    fresh = {**headers, "webhook-timestamp": headers["webhook-timestamp"]}
    tampered = body.replace(b"Anthropic", b"Anthrop1c")
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, fresh)
    forged = _spec_signature(
        world.secret, headers["webhook-id"], headers["webhook-timestamp"], tampered
    )
    assert forged not in headers["webhook-signature"].split(" ")


def test_a_title_with_line_breaks_cannot_add_a_header(world: Any, make_setup: Any) -> None:
    from dataclasses import replace

    digest = world.config.digest("daily").model_copy(
        update={"title": "Daily\r\nBcc: evil@example.com\r\nX-Evil: 1"}
    )
    config = world.config.model_copy(update={"digests": [digest]})
    world.httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    run_digest(
        world.store, config, "daily", world.period_end, now=world.now, worker="test", locks=LOCKS
    )
    mail = _mail(world)

    assert mail["Bcc"] is None and mail["X-Evil"] is None
    assert mail["Subject"].startswith("Daily Bcc: evil@example.com X-Evil: 1 ·")
    assert world.sink.messages[0].rcpt_tos == ["reader@example.com", "second@example.org"]
    assert replace  # dataclasses.replace is not needed: pydantic's model_copy did the edit


def test_a_refused_smtp_password_never_shows_in_logs_or_the_database(
    world: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("WATCHER_TEST_SMTP_PASSWORD", "wrong-Passw0rd-123")
    world.httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    with caplog.at_level("DEBUG", logger="watcher"):
        result = run_digest(
            world.store,
            world.config,
            "daily",
            world.period_end,
            now=world.now,
            worker="test",
            locks=LOCKS,
        )

    assert result.deliveries["inbox"] == "failed"
    with world.store.session() as session:
        rows = session.scalars(select(DeliveryRow)).all()
    stored = " ".join(f"{r.last_error} {r.message_id}" for r in rows)
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("watcher"))
    assert "127.0.0.1" in stored and "email delivery failed" in ours
    for secret in ("wrong-Passw0rd-123", world.secret, "secret-token"):
        assert secret not in stored
        assert secret not in ours
