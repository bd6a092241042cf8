"""The FETCH stage: get a source's bytes over HTTP, safely (``http``, guarded by ``guard``)."""

from watcher.fetch.http import USER_AGENT, Fetcher, parse_retry_after

__all__ = ["USER_AGENT", "Fetcher", "parse_retry_after"]
