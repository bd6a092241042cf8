"""The FETCH stage: get a source's bytes over HTTP, safely.

``http`` (the conditional GET, caps, deadlines, Retry-After), ``guard`` (the address policy and
the deadline on every socket), ``archive`` (the Wayback CDX client and its rate limit),
``clients`` (the long-lived clients a job is given). It may import the base layer (config,
model, errors) only: what the bytes mean is the parse stage's business.

``http`` (and requests with it) loads on first use of what this package exports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.fetch.http import USER_AGENT, Fetcher, parse_retry_after

__all__ = ["USER_AGENT", "Fetcher", "parse_retry_after"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from watcher.fetch import http

        return getattr(http, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
