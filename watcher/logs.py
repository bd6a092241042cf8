"""Logging set-up: readable lines by default, one JSON object per line with --log-format json.

Context travels as ``extra=``: ``log.info("polled", extra={"event": "poll.done", "source": id,
"duration": 0.4})``. The JSON form always has ``time``, ``level``, ``event`` (the ``event`` extra,
else the message's template, which stays the same from one line to the next) and ``message``, plus
whichever context fields were given.

No secret reaches a log line: every line is passed through ``watcher.redact.redact``, which
masks the values of the environment variables the config names as secrets, the user info of
URLs and token-like query parameters.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from watcher.redact import redact, register_secrets

if TYPE_CHECKING:
    from watcher.config import Config

_CONTEXT_FIELDS = (
    "worker",
    "source",
    "url",
    "channel",
    "digest",
    "period",
    "job",
    "duration",
    "items",
    "status",
    "count",
)


def register_config_secrets(config: Config) -> None:
    """Mask the secrets a config refers to: webhook signing keys, the SMTP password, and the
    database password from ``$WATCHER_DATABASE_URL`` or ``database``."""
    names = [channel.secret_env for channel in config.channels]
    if config.smtp is not None:
        names.append(config.smtp.password_env)
    register_secrets(os.environ.get(name) for name in names if name)
    register_secrets([_url_password(config.database_url)])


def _url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
        return None if password is None else str(password)
    except Exception:  # an unparsable URL is reported by the store, not here
        return None


class TextFormatter(logging.Formatter):
    """``time level logger: message [key=value …]``, redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{k}={getattr(record, k)}" for k in _CONTEXT_FIELDS if hasattr(record, k)
        )
        if context:
            head, sep, rest = line.partition("\n")
            line = f"{head} [{context}]{sep}{rest}"
        return redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", None) or str(record.msg),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: getattr(record, k) for k in _CONTEXT_FIELDS if hasattr(record, k)})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        redacted = {k: redact(v) if isinstance(v, str) else v for k, v in entry.items()}
        return json.dumps(redacted, ensure_ascii=False, default=str)


def setup_logging(verbose: int = 0, log_format: str = "text") -> None:
    level = logging.WARNING - 10 * min(verbose, 2) if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(_skip_overlapping_ticks)
    root = logging.getLogger("watcher")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    scheduler = logging.getLogger("apscheduler")
    scheduler.handlers[:] = [handler]
    scheduler.setLevel(max(level, logging.WARNING))
    scheduler.propagate = False


def _skip_overlapping_ticks(record: logging.LogRecord) -> bool:
    """A poll tick still working through a backlog when the next one is due is normal: the next
    is skipped, and APScheduler's warning about it would repeat every tick."""
    return "maximum number of running instances reached" not in record.getMessage()
