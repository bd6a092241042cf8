"""The operator's window: ``/healthz`` (is this worker doing its job?) and ``/metrics``.

A small stdlib HTTP server in a daemon thread, started by ``watcher run`` when the config has
``metrics: {listen: HOST:PORT}``. ``/healthz`` answers 200 only when the scheduler runs, the
database answers, not every source is failing, and some source has succeeded within twice its
own polling interval; it always explains itself in a JSON body, so a failing probe tells the
operator why.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watcher import metrics
from watcher.errors import WatcherError
from watcher.schedule.httpserver import BoundedHTTPServer, PrereadHandler

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Health:
    """One health check's findings; ``ok`` decides the status code."""

    now: datetime
    started_at: datetime
    scheduler_running: bool
    last_tick_at: datetime  # the poll loop's latest sign of life
    stall_after: timedelta  # a tick silent this long is stuck (a batch outlived its lease)
    database_error: str | None
    active_sources: int
    failing_sources: int
    last_success_at: datetime | None
    fresh_sources: int  # sources whose last success is within twice their own interval
    worker: str
    failing_deliveries: int = 0  # shown, not part of ``ok``: a mail server's outage is not ours
    given_up_deliveries: int = 0
    waiting_deliveries: int = 0  # shown: a secret not set holds them (see watcher deliveries)

    @property
    def scheduler(self) -> str:
        if not self.scheduler_running:
            return "stopped"
        return "stalled" if self.now - self.last_tick_at > self.stall_after else "running"

    @property
    def polling(self) -> str:
        """``ok`` while some source succeeded within twice its interval (or, just started, the
        first polls may still be under way: ``starting``); ``all failing`` when every source's
        last poll failed; ``stale`` when no source has succeeded for twice its interval."""
        if self.active_sources == 0:
            return "no sources"
        if self.failing_sources >= self.active_sources:
            return "all failing"
        if self.fresh_sources > 0:
            return "recent"
        return "starting" if self.now - self.started_at <= self.stall_after else "stale"

    @property
    def ok(self) -> bool:
        healthy_parts = self.scheduler == "running" and self.database_error is None
        return healthy_parts and self.polling in ("recent", "starting", "no sources")

    def as_dict(self) -> dict[str, Any]:
        age = (self.now - self.last_success_at).total_seconds() if self.last_success_at else None
        return {
            "status": "ok" if self.ok else "failing",
            "worker": self.worker,
            "scheduler": self.scheduler,
            "last_tick_at": self.last_tick_at.isoformat(),
            "database": self.database_error or "ok",
            "polling": self.polling,
            "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
            "last_success_age_seconds": round(age, 1) if age is not None else None,
            "active_sources": self.active_sources,
            "failing_sources": self.failing_sources,
            "fresh_sources": self.fresh_sources,
            "failing_deliveries": self.failing_deliveries,
            "given_up_deliveries": self.given_up_deliveries,
            "waiting_deliveries": self.waiting_deliveries,
            "started_at": self.started_at.isoformat(),
        }


class HealthServer:
    """Serves ``/healthz`` from ``check()`` and ``/metrics`` from ``watcher.metrics``, with a
    bounded pool of threads that idle or slow clients cannot hold (``BoundedHTTPServer``)."""

    def __init__(self, listen: str, check: Callable[[], Health], **limits: Any) -> None:
        host, port = parse_listen(listen)
        handler = type("Handler", (_Handler,), {"check": staticmethod(check)})
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._server = BoundedHTTPServer((host, port), handler, family=family, **limits)
        except OSError as error:
            raise WatcherError(
                f"metrics.listen {listen!r}: cannot listen there ({error.strerror or error}); "
                "is another watcher running? Choose another port in the config's metrics.listen"
            ) from None
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{f'[{name}]' if ':' in name else name}:{port}"

    def start(self) -> HealthServer:
        self._thread.start()
        log.info("serving /healthz and /metrics on %s", self.url, extra={"event": "health.start"})
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def parse_listen(listen: str) -> tuple[str, int]:
    """``127.0.0.1:9464``, ``:9464`` (all interfaces), ``[::1]:9464`` → (host, port)."""
    host, sep, port = listen.strip().rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise WatcherError(
            f"metrics.listen {listen!r} is not HOST:PORT; write it like 127.0.0.1:9464"
        )
    return host.strip("[]") or "0.0.0.0", int(port)


class _Handler(PrereadHandler):
    check: Callable[[], Health]
    server_version = "watcher"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._health()
        elif path == "/metrics":
            self._send(200, *metrics.exposition())
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n")

    def _health(self) -> None:
        try:
            health = self.check()
        except Exception as error:  # a probe must get an answer, not a reset
            log.exception("health check failed")
            failure = {"status": "failing", "error": f"{error.__class__.__name__}: {error}"}
            self._send(503, "application/json", json.dumps(failure).encode())
            return
        body = json.dumps(health.as_dict(), indent=2).encode() + b"\n"
        self._send(200 if health.ok else 503, "application/json", body)

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)
