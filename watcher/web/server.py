"""Serving the web view: waitress (a production WSGI server) with tight limits, and the
search indexer beside it. ``start_web`` is what ``watcher run`` and ``watcher web`` call.

Limits: a request line and headers of at most 8 KB, no body past 1 KB (only GET and HEAD are
answered anyway), idle connections closed after 30 s, at most 64 connections, and requests
answered by a pool of 4 threads: a flood queues, it cannot take the process's memory or the
database's connections.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from watcher.clock import Clock, utcnow
from watcher.config import Config, Web
from watcher.config.models import parse_listen
from watcher.errors import WatcherError
from watcher.store import Store
from watcher.web.app import WebApp
from watcher.web.auth import check_listen, load_token
from watcher.web.indexer import SearchIndexer

log = logging.getLogger(__name__)

LIMITS: dict[str, Any] = {
    "threads": 4,
    "connection_limit": 64,
    "channel_timeout": 30,
    "max_request_header_size": 8192,
    "max_request_body_size": 1024,
    "cleanup_interval": 10,
    "asyncore_use_poll": True,
    "expose_tracebacks": False,
    "ident": "watcher",
}


class WebServer:
    """A waitress server on ``listen``, run in a thread (``start``) or in the caller's."""

    def __init__(self, app: WebApp, listen: str) -> None:
        try:
            host, port = parse_listen(listen)
        except ValueError as error:
            raise WatcherError(f"web.listen: {error}") from None
        try:
            # Any: waitress's type stubs know neither effective_port nor trigger
            self._server: Any = create_server(app, host=host, port=port, **LIMITS)
        except OSError as error:
            raise WatcherError(
                f"web.listen {listen!r}: cannot listen there ({error.strerror or error}); is "
                "another watcher running? Choose another port with web.listen or --listen"
            ) from None
        self._thread = threading.Thread(target=self.serve, name="web", daemon=True)
        self._interrupted = False

    @property
    def url(self) -> str:
        host, port = self._server.effective_host, self._server.effective_port
        return f"http://{f'[{host}]' if ':' in str(host) else host}:{port}"

    def serve(self) -> None:
        """Answer requests until ``stop``."""
        self._server.run()

    def start(self) -> WebServer:
        self._thread.start()
        return self

    def interrupt(self) -> None:
        """Make ``serve`` return: the loop closes the listening socket and every connection
        itself (safe from a signal handler or another thread)."""
        if not self._interrupted:
            self._interrupted = True
            server = self._server
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))

    def stop(self) -> None:
        """Interrupt, wait for the loop to end, then stop the worker threads. Safe twice."""
        self.interrupt()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._server.task_dispatcher.shutdown()


@dataclass
class WebView:
    """The web view: its server and its search indexer, started and stopped together."""

    server: WebServer
    indexer: SearchIndexer
    guarded: bool  # a token is required

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> WebView:
        """Serve in background threads (beside the daemon)."""
        self._announce()
        self.indexer.start()
        self.server.start()
        return self

    def serve(self) -> None:
        """Serve in this thread until ``stop`` is called from another (a signal handler)."""
        self._announce()
        self.indexer.start()
        self.server.serve()

    def stop(self) -> None:
        self.server.stop()
        self.indexer.stop()

    def _announce(self) -> None:
        guard = " (token required)" if self.guarded else ""
        log.info("serving the web view on %s%s", self.url, guard, extra={"event": "web.start"})


def open_web(
    store: Store,
    config: Callable[[], Config],
    *,
    listen: str | None = None,
    clock: Clock = utcnow,
) -> WebView:
    """The web view for ``config``'s ``web`` settings (``listen`` overrides its address),
    after refusing an open address without a token, or a token variable that is unset."""
    settings = config().web or Web()
    listen = listen or settings.listen
    check_listen(listen, settings.token_env)
    token = load_token(settings.token_env)
    app = WebApp(store, config, token=token, clock=clock)
    return WebView(WebServer(app, listen), SearchIndexer(store, clock=clock), token is not None)
