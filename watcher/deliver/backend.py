"""The contract every delivery backend meets: ``send(Outgoing) -> SendResult``.

A backend describes itself with class attributes (``kind``), turns one stored digest run or
alert message into whatever its channel wants (a MIME message, a signed JSON POST, an Apprise
notification), and reports what happened in a
``SendResult``: it logs and returns rather than raising, so one broken channel never stops the
others. Secrets (SMTP passwords, webhook secrets, the token part of webhook URLs) are masked in
everything a backend logs or returns. The outbox (``watcher.deliver.outbox``) decides retries,
giving up and recording.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from watcher.config import Alert, Channel, Digest

MAX_RETRY = timedelta(hours=2)  # the longest wait between two attempts of one delivery


@dataclass(frozen=True)
class Outgoing:
    """One built digest run, or one alert message, on its way to one channel; identical on
    every retry. An alert has no period: its start and end are when it was built."""

    run_id: int  # the digest run's id, or the alert message's (0: a test, never stored)
    digest: Digest | None
    channel: Channel
    period_start: datetime
    period_end: datetime
    built_at: datetime
    subject: str
    text: str
    html: str
    payload: dict[str, Any] = field(default_factory=dict)
    alert: Alert | None = None

    @classmethod
    def of_alert(
        cls,
        alert: Alert,
        channel: Channel,
        message_id: int,
        built_at: datetime,
        subject: str,
        text: str,
        html: str,
        payload: dict[str, Any],
    ) -> Outgoing:
        """An alert message (``message_id`` 0: a test, never stored) for one channel."""
        return cls(
            message_id, None, channel, built_at, built_at, built_at, subject, text, html, payload,
            alert,
        )  # fmt: skip

    @property
    def what(self) -> str:
        """``digest`` or ``alert``, for log lines."""
        return "alert" if self.alert is not None else "digest"

    @property
    def idempotency_key(self) -> str:
        """Stable for (digest, period, channel) or (alert message, channel): receivers
        de-duplicate retries with it."""
        if self.alert is not None:
            stored = str(self.run_id) if self.run_id else f"test-{self.built_at:%Y%m%dT%H%M%S}"
            return f"alert.{self.alert.id}.{stored}.{self.channel.id}"
        digest_id = self.digest.id if self.digest is not None else "digest"
        return f"{digest_id}.{self.period_end:%Y%m%dT%H%M%SZ}.{self.channel.id}"


@dataclass(frozen=True)
class SendResult:
    """What one send did. ``gone``: the endpoint asked never to be called again (HTTP 410).
    ``waiting``: nothing was sent for a reason on this side that the operator fixes (a secret
    not set): the delivery is not given up but waits, and is tried again."""

    ok: bool
    message_id: str | None = None
    error: str | None = None
    retryable: bool = True
    retry_after: float | None = None
    gone: bool = False
    attempts: int = 1
    waiting: bool = False


class Backend(Protocol):
    kind: ClassVar[str]

    def send(self, outgoing: Outgoing) -> SendResult: ...


def mask(text: str, secrets: Sequence[str | None]) -> str:
    """``text`` with every secret (of four characters or more) replaced by ``***``."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def url_secrets(url: str) -> list[str]:
    """The parts of a webhook URL that may carry its token: the whole, path and query."""
    parts = urlsplit(url)
    return [url, parts.path + (f"?{parts.query}" if parts.query else ""), parts.path, parts.query]


def redact_url(url: str) -> str:
    """``https://hooks.slack.com/services/T0/B0/XXXX`` → ``https://hooks.slack.com/…``.

    Webhook URLs of Slack, Discord and many receivers carry their token in the path or query.
    """
    match = re.match(r"^([a-z]+://[^/?#]+)", url, re.IGNORECASE)
    return f"{match[1]}/…" if match else "***"
