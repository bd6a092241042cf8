"""The fetch stage's long-lived clients, opened once by whoever runs the jobs.

A ``Clients`` holds the pooled HTTP ``Fetcher``, the archive client with its rate limit and
the article pages' fetcher with its per-host rates, so every source polled through it shares
one connection pool and one politeness budget. The daemon's runtime owns one (and replaces it
on reload); a CLI command opens one for its run.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.config import Config
from watcher.fetch.archive import ArchiveClient
from watcher.fetch.article import PageFetcher
from watcher.fetch.http import Fetcher


@dataclass(frozen=True)
class Clients:
    http: Fetcher
    archive: ArchiveClient
    pages: PageFetcher

    @classmethod
    def open(cls, config: Config, fetcher: Fetcher | None = None) -> Clients:
        """Clients for ``config``; ``fetcher`` when given (tests pass one with short limits)."""
        http = fetcher or Fetcher(
            config.fetch, allow_private_networks=config.allow_private_networks
        )
        return cls(http, ArchiveClient(config.archive, http), PageFetcher(http))

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()
