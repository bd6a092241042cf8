"""Webhook delivery: a small, versioned JSON payload, signed per Standard Webhooks.

The standard payload::

    {"type": "digest.v1", "timestamp": "<when the digest was built, ISO 8601>",
     "data": {"digest", "title", "language", "subject", "period": {"start", "end"},
              "counts": {"items", "entries", "fulfilled"},
              "stories": [{"id", "title", "followups": [...], "entries": [...], "more"}],
              "mentions": [{"entity", "name", "count"}],
              "problems": {"failing_sources": [...], "failed_deliveries": [...]},
              "truncated"}}

It is signed as https://www.standardwebhooks.com says (headers ``webhook-id``,
``webhook-timestamp``, ``webhook-signature``; HMAC-SHA256 over ``id.timestamp.body`` with the
``whsec_`` secret read from ``secret_env``). ``webhook-id`` is the same on every retry of one
(digest, period, channel), so a receiver de-duplicates by it. ``format: slack`` and
``format: discord`` post those services' own message shapes instead (unsigned: they
authenticate by the secret URL, which is therefore never logged).

Retries within one send: exponential backoff with jitter on connection errors, timeouts, 429
(honouring Retry-After) and 502/503/504; none on other 4xx; 410 Gone tells the outbox to
disable the channel. A wait longer than ``max_inline_wait`` is left to the outbox's schedule.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from markupsafe import Markup
from standardwebhooks import Webhook
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from watcher import __version__
from watcher.config import Channel
from watcher.config.channels import usable_webhook_secret
from watcher.deliver.backend import MAX_RETRY, Outgoing, SendResult, mask, redact_url, url_secrets
from watcher.fetch.http import parse_retry_after, root_cause

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 64_000
RETRY_STATUSES = {429, 502, 503, 504}


class _RetryError(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class WebhookBackend:
    kind: ClassVar[str] = "webhook"

    def __init__(
        self,
        channel: Channel,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 4,
        max_inline_wait: float = 60.0,
        timeout: tuple[float, float] = (10.0, 30.0),
    ) -> None:
        self.channel = channel
        self.session = session or requests.Session()
        self.sleep = sleep
        self.clock = clock
        self.max_attempts = max_attempts
        self.max_inline_wait = max_inline_wait
        self.timeout = timeout

    @property
    def url(self) -> str:
        return self.channel.webhook or ""

    def send(self, outgoing: Outgoing) -> SendResult:
        secret = os.environ.get(self.channel.secret_env) if self.channel.secret_env else None
        if self.channel.secret_env and not secret:
            return self._failed(
                f"the environment variable {self.channel.secret_env} (webhook secret) is not set",
                waiting=True,
            )
        if secret and not usable_webhook_secret(secret):
            return self._failed(
                f"the secret in {self.channel.secret_env} is not a Standard Webhooks secret "
                "(whsec_ followed by base64)",
                waiting=True,
            )
        body = json.dumps(
            render_payload(outgoing, self.channel.format), ensure_ascii=False, separators=(",", ":")
        )
        message_id = f"msg_{outgoing.idempotency_key}"
        attempts = 0
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_RetryError),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    result = self._post(body, message_id, secret)
        except _RetryError as error:
            return self._failed(error.reason, retry_after=error.retry_after, attempts=attempts)
        if result.ok:
            log.info(
                "sent %s to webhook %s",
                outgoing.what,
                redact_url(self.url),
                extra={"channel": self.channel.id, "event": "sent"},
            )
        else:
            self._log_failure(result.error or "")
        return SendResult(
            ok=result.ok,
            message_id=message_id,
            error=result.error,
            retryable=result.retryable,
            retry_after=result.retry_after,
            gone=result.gone,
            attempts=attempts,
        )

    def _post(self, body: str, message_id: str, secret: str | None) -> SendResult:
        """One POST; raises ``_RetryError`` for what is worth retrying right away."""
        headers = {
            "content-type": "application/json",
            "user-agent": f"watcher/{__version__}",
            "webhook-id": message_id,
        }
        if self.channel.format == "standard":
            timestamp = int(self.clock())
            headers["webhook-timestamp"] = str(timestamp)
            if secret:
                headers["webhook-signature"] = sign(secret, message_id, timestamp, body)
        try:
            response = self.session.post(
                self.url, data=body.encode("utf-8"), headers=headers, timeout=self.timeout,
                allow_redirects=False,
            )  # fmt: skip
        except requests.Timeout:
            raise _RetryError(f"{redact_url(self.url)} timed out") from None
        except requests.ConnectionError as error:
            reason = mask(root_cause(error), [*url_secrets(self.url), secret])
            raise _RetryError(f"cannot reach {redact_url(self.url)}: {reason}") from None
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(ok=True)
        reason = f"{redact_url(self.url)} answered HTTP {status}"
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(
                response.headers.get("retry-after"),
                datetime.fromtimestamp(self.clock(), UTC),
                cap=MAX_RETRY.total_seconds(),
            )
            if retry_after is not None and retry_after > self.max_inline_wait:
                return SendResult(ok=False, error=reason, retry_after=retry_after)
            raise _RetryError(reason, retry_after)
        if status == 410:
            return SendResult(ok=False, error=reason + " (Gone)", retryable=False, gone=True)
        return SendResult(ok=False, error=reason, retryable=status >= 500)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _RetryError) and error.retry_after is not None:
            return error.retry_after
        return float(wait_random_exponential(multiplier=1, max=30)(state))

    def _failed(
        self,
        reason: str,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
        attempts: int = 0,
        waiting: bool = False,
    ) -> SendResult:
        self._log_failure(reason)
        return SendResult(
            ok=False,
            error=reason,
            retryable=retryable,
            retry_after=retry_after,
            attempts=attempts,
            waiting=waiting,
        )

    def _log_failure(self, reason: str) -> None:
        log.warning(
            "webhook delivery failed on channel %s: %s",
            self.channel.id,
            reason,
            extra={"channel": self.channel.id, "event": "delivery_failed"},
        )


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value (``v1,<base64 HMAC-SHA256>``)."""
    return Webhook(secret).sign(message_id, datetime.fromtimestamp(timestamp, UTC), body)


# --- payloads -------------------------------------------------------------------------------


def render_payload(outgoing: Outgoing, format: str = "standard") -> dict[str, Any]:
    if outgoing.alert is not None:
        return alert_payload(outgoing, format)
    data = digest_data(outgoing)
    if format == "slack":
        return slack_payload(data)
    if format == "discord":
        return discord_payload(data)
    return {"type": "digest.v1", "timestamp": outgoing.built_at.isoformat(), "data": data}


def alert_payload(outgoing: Outgoing, format: str = "standard") -> dict[str, Any]:
    """``alert.v1``: the stored alert data (item, items, follow-up); Slack and Discord get the
    digest's message shapes, with the follow-up and the items as their lines."""
    data = outgoing.payload
    if format == "standard":
        return {"type": "alert.v1", "timestamp": outgoing.built_at.isoformat(), "data": data}
    followup = data.get("followup")
    first = data.get("item") or {}
    story = {
        "followups": [
            {"status": "fulfilled", "title": followup["title"], "url": first.get("url")}
        ]
        if followup
        else [],
        "entries": [] if followup and data.get("count") == 1 else [
            {**item, "also_in": []} for item in data.get("items", [])
        ],
    }  # fmt: skip
    shaped = {"subject": data.get("subject", ""), "title": None, "digest": data.get("alert")}
    shaped["stories"] = [story]
    return slack_payload(shaped) if format == "slack" else discord_payload(shaped)


def digest_data(outgoing: Outgoing) -> dict[str, Any]:
    """The digest as small JSON: titles and links, no HTML; trimmed under MAX_PAYLOAD_BYTES."""
    digest = outgoing.digest
    if digest is None:
        raise ValueError("digest_data needs a digest run")
    content = outgoing.payload
    stories = [_story(section) for section in content.get("sections", [])]
    data = {
        "digest": digest.id,
        "title": content.get("title") or digest.title,
        "language": digest.language,
        "subject": outgoing.subject,
        "period": {
            "start": outgoing.period_start.isoformat(),
            "end": outgoing.period_end.isoformat(),
        },
        "counts": {
            "items": content.get("item_count", 0),
            "entries": sum(len(s["entries"]) + s["more"] for s in stories),
            "fulfilled": sum(f["status"] == "fulfilled" for s in stories for f in s["followups"]),
        },
        "stories": stories,
        "mentions": [
            {k: c[k] for k in ("entity", "name", "count")} for c in content.get("counts", [])
        ],
        "problems": {
            "failing_sources": content.get("failing_sources", []),
            "failed_deliveries": content.get("failed_deliveries", []),
        },
        "truncated": False,
    }  # fmt: skip
    while len(json.dumps(data, ensure_ascii=False)) > MAX_PAYLOAD_BYTES and _drop_last(stories):
        data["truncated"] = True
    return data


def _story(section: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": section.get("id"),
        "title": section.get("title") or None,
        "followups": [
            {k: v for k, v in f.items() if v is not None} for f in section.get("followups", [])
        ],
        "entries": [
            {
                "title": Markup(entry["title_html"]).striptags(),
                "url": entry.get("url"),
                "source": entry.get("source"),
                "published": entry.get("published"),
                "language": entry.get("lang") or None,
                "by": entry.get("by"),
                "answers": entry.get("answers"),
                "also_in": [outlet["source"] for outlet in entry.get("also_in", [])],
            }
            for entry in section.get("entries", [])
        ],
        "more": len(section.get("more", [])) + section.get("hidden", 0),
    }


def _drop_last(stories: list[dict[str, Any]]) -> bool:
    for story in reversed(stories):
        if story["entries"]:
            story["entries"].pop()
            story["more"] += 1
            return True
    return False


def _entry_lines(data: dict[str, Any], link: Callable[[str, str | None], str]) -> list[str]:
    lines = []
    for story in data["stories"]:
        for followup in story["followups"]:
            if followup["status"] == "fulfilled":
                lines.append(f"✓ {link(followup['title'], followup.get('url'))}")
        for entry in story["entries"][:10]:
            also = f" (+{len(entry['also_in'])})" if entry["also_in"] else ""
            lines.append(f"• {link(entry['title'], entry.get('url'))} — {entry['source']}{also}")
    return lines


# Characters that end or split a link in Slack's <url|text> or Discord's [text](url), or a
# line: percent-encoded in a URL, which means the same address to a web server.
_URL_BREAKERS = str.maketrans(
    {char: f"%{ord(char):02X}" for char in '<>|()[]"` \t\r\n'}
    | {chr(code): f"%{code:02X}" for code in range(32)}
)


def link_target(url: str | None) -> str | None:
    """A feed's URL made safe to put inside a chat service's link markup: http(s) only, the
    characters that would close the link (``)``, ``>``, ``|``…) percent-encoded; None when
    the URL is not a web address (``javascript:``…) and the title is shown without a link."""
    url = (url or "").strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # "http://[broken"
        return None
    return url.translate(_URL_BREAKERS) if scheme in ("http", "https") else None


def _one_line(text: str) -> str:
    """A title on one line: a newline in it would start a line of its own in the message."""
    return " ".join(text.split())


def slack_payload(data: dict[str, Any]) -> dict[str, Any]:
    """Slack incoming-webhook blocks: a header, then the news as mrkdwn, within Slack's limits.
    Text escapes ``&``, ``<`` and ``>`` as Slack asks; so does a link's URL, whose ``|`` and
    brackets are percent-encoded (``link_target``)."""

    def escape(text: str) -> str:
        return _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def link(title: str, url: str | None) -> str:
        target = link_target(url)
        return f"<{escape(target)}|{escape(title)}>" if target else escape(title)

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": data["subject"][:150]}}
    ]
    text = ""
    for line in _entry_lines(data, link):
        if len(text) + len(line) > 2900:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
            text = ""
        text += line + "\n"
    if text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return {"text": data["subject"], "blocks": blocks[:50]}


def discord_payload(data: dict[str, Any]) -> dict[str, Any]:
    """A Discord webhook message: the subject, one embed of links; nobody gets pinged."""

    def escape(text: str) -> str:
        return "".join(f"\\{c}" if c in "\\*_~`|[]()<>#@" else c for c in _one_line(text))

    def link(title: str, url: str | None) -> str:
        target = link_target(url)
        return f"[{escape(title)}]({target})" if target else escape(title)

    description = ""
    for line in _entry_lines(data, link):
        if len(description) + len(line) > 4000:
            break
        description += line + "\n"
    embed = {"title": (data["title"] or data["digest"])[:256], "description": description}
    return {"content": data["subject"][:2000], "embeds": [embed], "allowed_mentions": {"parse": []}}
