"""The fetch stage's long-lived clients, opened once by whoever runs the jobs.

A ``Clients`` holds the pooled HTTP ``Fetcher``, the archive client, the news-search engines'
clients and the article pages' fetcher, each with its rate limit, so every source polled
through it shares one connection pool and one politeness budget per service. The daemon's
runtime owns one (and replaces it on reload); a CLI command opens one for its run.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.config import Config
from watcher.fetch.archive import ArchiveClient
from watcher.fetch.article import PageFetcher
from watcher.fetch.http import Fetcher
from watcher.fetch.search import EngineClients


@dataclass(frozen=True)
class Clients:
    http: Fetcher
    archive: ArchiveClient
    search: EngineClients
    pages: PageFetcher

    @classmethod
    def open(cls, config: Config, fetcher: Fetcher | None = None) -> Clients:
        """Clients for ``config``; ``fetcher`` when given (tests pass one with short limits)."""
        http = fetcher or Fetcher(
            config.fetch, allow_private_networks=config.allow_private_networks
        )
        return cls(
            http,
            ArchiveClient(config.archive, http),
            EngineClients.build(config.search, http),
            PageFetcher(http),
        )

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()
