"""The exceptions watcher raises on purpose.

Every error carries enough context for the person running watcher to act on it:
the config file and line, the source id and URL, or the delivery channel.
The CLI turns any ``WatcherError`` into a clean message and a non-zero exit.
"""

from __future__ import annotations

from watcher.redact import redact


class WatcherError(Exception):
    """Base class: an error with a message a user can act on."""

    exit_code = 1


class ConfigError(WatcherError):
    """The config is invalid. ``problems`` holds every `FILE:LINE: message` found."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


TRANSIENT_STATUSES = frozenset({408, 425, 429})  # and every 5xx


class FetchError(WatcherError):
    """A source could not be fetched.

    ``status`` is the HTTP status when the server answered; ``retry_after`` its wish, in seconds.
    ``transient``: whether asking again later may succeed (a time-out, a lost connection, a
    429 or a 5xx), as opposed to a 404, a 403 or an address watcher refuses; by default it
    follows from ``status`` (no answer at all counts as transient).
    """

    def __init__(
        self,
        source_id: str,
        url: str,
        reason: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        transient: bool | None = None,
    ) -> None:
        self.source_id = source_id
        self.url = url
        self.reason = reason
        self.retry_after = retry_after
        self.status = status
        if transient is None:
            transient = status is None or status in TRANSIENT_STATUSES or status >= 500
        self.transient = transient
        super().__init__(f"source {source_id} ({redact(url)}): {reason}")


class StoreError(WatcherError):
    """The database cannot be opened or used (its path or URL, redacted, is in the message)."""

    exit_code = 3


class ParseError(WatcherError):
    """A fetched body yielded nothing usable."""

    def __init__(self, source_id: str, url: str, reason: str) -> None:
        self.source_id = source_id
        self.url = url
        self.reason = reason
        super().__init__(f"source {source_id} ({redact(url)}): {reason}")
