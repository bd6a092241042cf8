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


class FetchError(WatcherError):
    """A source could not be fetched.

    ``status`` is the HTTP status when the server answered; ``retry_after`` its wish, in seconds.
    """

    def __init__(
        self,
        source_id: str,
        url: str,
        reason: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        self.source_id = source_id
        self.url = url
        self.reason = reason
        self.retry_after = retry_after
        self.status = status
        super().__init__(f"source {source_id} ({redact(url)}): {reason}")


class ParseError(WatcherError):
    """A fetched body yielded nothing usable."""

    def __init__(self, source_id: str, url: str, reason: str) -> None:
        self.source_id = source_id
        self.url = url
        self.reason = reason
        super().__init__(f"source {source_id} ({redact(url)}): {reason}")
