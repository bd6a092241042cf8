"""Apprise delivery: any of the hundred-odd services Apprise reaches (ntfy, Telegram, Matrix,
Pushover, Signal, …), from one URL in ``apprise`` or in the variable ``url_env`` names.

An optional extra (``pip install 'watcher[apprise]'``): without it an Apprise channel waits, as
it does for an unset ``url_env`` or a URL Apprise does not accept (``watcher check`` says so
first). The notification is the message's subject as its title and its plain text as its body.
Apprise reports no status codes, so a failed send is retried on the outbox's schedule until
``give_up_after``. The URL holds tokens: it is never logged, and Apprise's own log lines are
masked before they are kept.
"""

from __future__ import annotations

import logging
import os
import re
from typing import ClassVar

from watcher.config import Channel
from watcher.config.channels import apprise_problem
from watcher.deliver.backend import Outgoing, SendResult, mask

log = logging.getLogger(__name__)

TIMEOUT = 30.0  # seconds for one notification, whatever the service


class AppriseBackend:
    kind: ClassVar[str] = "apprise"

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def url(self) -> str | None:
        if self.channel.apprise:
            return self.channel.apprise
        return os.environ.get(self.channel.url_env) if self.channel.url_env else None

    def send(self, outgoing: Outgoing) -> SendResult:
        url = self.url()
        if not url:
            return self._failed(
                f"the environment variable {self.channel.url_env} (channel {self.channel.id}'s "
                "Apprise URL) is not set",
                waiting=True,
            )
        if problem := apprise_problem(url):
            return self._failed(problem, waiting=True)
        import apprise

        notifier = apprise.Apprise()
        notifier.add(url)
        result = notifier.notify(
            body=outgoing.text,
            title=outgoing.subject,
            body_format=apprise.NotifyFormat.TEXT,
            timeout=TIMEOUT,
        )
        if result:
            log.info(
                "sent %s through Apprise",
                outgoing.what,
                extra={"channel": self.channel.id, "event": "sent"},
            )
            return SendResult(ok=True, message_id=outgoing.idempotency_key)
        said = "; ".join(entry.message for entry in result.logs() if entry.level != "DEBUG")
        reason = mask(said or "the service did not take the notification", url_pieces(url))
        return self._failed(f"Apprise could not deliver: {reason}")

    def _failed(self, reason: str, *, waiting: bool = False) -> SendResult:
        log.warning(
            "Apprise delivery failed on channel %s: %s",
            self.channel.id,
            reason,
            extra={"channel": self.channel.id, "event": "delivery_failed"},
        )
        return SendResult(ok=False, error=reason, waiting=waiting, attempts=0 if waiting else 1)


def url_pieces(url: str) -> list[str]:
    """Everything in an Apprise URL that may be a token: the URL, and each piece of it but the
    scheme and dotted host names (a Telegram bot token sits where a host would)."""
    rest = url.split("://", 1)[-1]
    pieces = [piece for piece in re.split(r"[/?&=:@#]+", rest) if piece]
    return [
        url,
        rest,
        *(piece for piece in pieces if not re.fullmatch(r"[\w-]+(\.[\w-]+)+", piece)),
    ]
