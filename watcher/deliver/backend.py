"""The contract every delivery backend meets: ``send(Outgoing) -> SendResult``.

A backend describes itself with class attributes (``kind``), turns one stored digest run into
whatever its channel wants (a MIME message, a signed JSON POST), and reports what happened in a
``SendResult``: it logs and returns rather than raising, so one broken channel never stops the
others. Secrets (SMTP passwords, webhook secrets, the token part of webhook URLs) are masked in
everything a backend logs or returns. The outbox (``watcher.deliver.outbox``) decides retries,
giving up and recording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from watcher.config import Channel, Digest

MAX_RETRY = timedelta(hours=2)  # the longest wait between two attempts of one delivery


@dataclass(frozen=True)
class Outgoing:
    """One built digest run on its way to one channel; identical on every retry."""

    run_id: int
    digest: Digest
    channel: Channel
    period_start: datetime
    period_end: datetime
    built_at: datetime
    subject: str
    text: str
    html: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        """Stable for (digest, period, channel): receivers de-duplicate retries with it."""
        return f"{self.digest.id}.{self.period_end:%Y%m%dT%H%M%SZ}.{self.channel.id}"


@dataclass(frozen=True)
class SendResult:
    """What one send did. ``gone``: the endpoint asked never to be called again (HTTP 410)."""

    ok: bool
    message_id: str | None = None
    error: str | None = None
    retryable: bool = True
    retry_after: float | None = None
    gone: bool = False
    attempts: int = 1


class Backend(Protocol):
    kind: ClassVar[str]

    def send(self, outgoing: Outgoing) -> SendResult: ...


def mask(text: str, secrets: list[str | None]) -> str:
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
