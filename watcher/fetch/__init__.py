"""The FETCH stage: get a source's bytes over HTTP, safely.

``http`` (the conditional GET, caps, deadlines, Retry-After), ``guard`` (the address policy and
the deadline on every socket), ``archive`` (the Wayback CDX client and its rate limit),
``clients`` (the long-lived clients a job is given). It may import the base layer (config,
model, errors) only: what the bytes mean is the parse stage's business.
"""

from watcher.fetch.http import USER_AGENT, Fetcher, parse_retry_after

__all__ = ["USER_AGENT", "Fetcher", "parse_retry_after"]
