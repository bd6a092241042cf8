"""Email delivery: one multipart/alternative message (plain text, then HTML) over SMTP.

Headers are built by the stdlib ``email`` package with the SMTP policy, which refuses a header
value containing a line break, so feed text can never add a header; the subject is one line by
construction (``watcher.digest.render``) and addresses are validated when the config loads.
The Message-ID is derived from (digest, period, channel): a retry after a crash re-sends the same
message, which mail clients and many servers recognise as a duplicate.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import ClassVar

from watcher.config import Channel, Digest, Smtp
from watcher.deliver.backend import Outgoing, SendResult, mask
from watcher.text import one_line

log = logging.getLogger(__name__)


def message_id(outgoing: Outgoing, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "watcher.invalid"
    return f"<watcher.{outgoing.idempotency_key}@{domain}>"


def build_message(outgoing: Outgoing, sender: str, recipients: list[str]) -> EmailMessage:
    """The MIME message for one run (or alert) and channel: the same meaning on every retry."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = one_line(outgoing.subject)
    message["Date"] = format_datetime(outgoing.built_at)
    message["Message-ID"] = message_id(outgoing, sender)
    message["Auto-Submitted"] = "auto-generated"
    if outgoing.digest is not None:  # an alert is one short message, not a list
        _list_headers(message, outgoing.digest)
    message.set_content(outgoing.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(outgoing.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def _list_headers(message: EmailMessage, digest: Digest) -> None:
    if digest.list_id:
        label = one_line(digest.title or digest.id).replace('"', "")
        message["List-Id"] = f'"{label}" <{one_line(digest.list_id).strip("<> ")}>'
    if digest.unsubscribe:
        unsubscribe = "".join(digest.unsubscribe.split())
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        if unsubscribe.startswith("https://"):
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"


class EmailBackend:
    """SMTP with STARTTLS (port 587) or implicit TLS (465); auth from ``password_env``."""

    kind: ClassVar[str] = "email"

    def __init__(self, channel: Channel, smtp: Smtp, *, tls_context: ssl.SSLContext | None = None):
        self.channel = channel
        self.smtp = smtp
        self.tls_context = tls_context or ssl.create_default_context()

    def send(self, outgoing: Outgoing) -> SendResult:
        recipients = list(self.channel.email or [])
        message = build_message(outgoing, self.smtp.sender, recipients)
        password = os.environ.get(self.smtp.password_env) if self.smtp.password_env else None
        if self.smtp.password_env and not password:
            return self._failed(
                f"the environment variable {self.smtp.password_env} (SMTP password) is not set",
                waiting=True,
            )
        if self.smtp.password_in_clear:  # the config check refuses it too
            return self._failed(
                f"refused to send the SMTP password in clear to {self.smtp.host}: set "
                "smtp.starttls or smtp.tls (or smtp.allow_plaintext_auth: true)",
                retryable=False,
            )
        try:
            refused = self._deliver(message, recipients, password)
        except smtplib.SMTPRecipientsRefused as error:
            refused = ", ".join(f"{a}: {c} {m!r}" for a, (c, m) in error.recipients.items())
            return self._failed(f"recipients refused: {refused}", retryable=False)
        except smtplib.SMTPAuthenticationError as error:
            return self._failed(f"SMTP login refused ({error.smtp_code}): check the password")
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            reply = error.smtp_error
            text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
            return self._failed(f"SMTP {error.smtp_code}: {text}", retryable=not permanent)
        except (OSError, smtplib.SMTPException) as error:
            return self._failed(f"cannot reach {self.smtp.host}:{self.smtp.port}: {error}")
        log.info(
            "sent %s by email", outgoing.what, extra={"channel": self.channel.id, "event": "sent"}
        )
        return SendResult(ok=True, message_id=str(message["Message-ID"]), error=refused)

    def _deliver(
        self, message: EmailMessage, recipients: list[str], password: str | None
    ) -> str | None:
        """Send; return what the server said of recipients it refused while taking the others
        (still a delivery: sending again would duplicate it for those who got it)."""
        timeout = self.smtp.timeout.total_seconds()
        client: smtplib.SMTP
        if self.smtp.tls:
            client = smtplib.SMTP_SSL(
                self.smtp.host, self.smtp.port, timeout=timeout, context=self.tls_context
            )
        else:
            client = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=timeout)
        with client:
            client.ehlo(socket.getfqdn())
            if self.smtp.starttls and not self.smtp.tls:
                client.starttls(context=self.tls_context)
                client.ehlo(socket.getfqdn())
            if self.smtp.username and password:
                client.login(self.smtp.username, password)
            envelope_from = Address(addr_spec=parseaddr(self.smtp.sender)[1]).addr_spec
            refused = client.send_message(
                message, from_addr=envelope_from, to_addrs=[parseaddr(r)[1] for r in recipients]
            )
        if not refused:
            return None
        described = ", ".join(
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in refused.items()
        )
        log.warning(
            "channel %s: recipients refused by the server: %s",
            self.channel.id,
            described,
            extra={"channel": self.channel.id},
        )
        return f"sent, but recipients refused: {described}"

    def _failed(self, reason: str, *, retryable: bool = True, waiting: bool = False) -> SendResult:
        secret = os.environ.get(self.smtp.password_env) if self.smtp.password_env else None
        reason = mask(reason, [secret])
        log.warning(
            "email delivery failed on channel %s: %s",
            self.channel.id,
            reason,
            extra={"channel": self.channel.id, "event": "delivery_failed"},
        )
        return SendResult(ok=False, error=reason, retryable=retryable, waiting=waiting)
