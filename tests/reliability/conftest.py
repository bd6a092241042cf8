"""Real local servers for the reliability suite: feeds, an SMTP sink, a webhook receiver.

Every server runs in this (the test) process on 127.0.0.1 while watcher runs in a child process,
so what watcher does to them is observed from outside, as a user's mail server or a peer would.
The feed server is the fetch tests' ``RawServer`` (routes are plain functions that may write
anything to the socket); the SMTP sink and webhook receiver count what they accepted and can be
told to fail, to test recovery.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fetch.conftest import RawServer, running
from tests.reliability.harness import Project

SMTP_PASSWORD = "Smtp-Pa55word-7f3a9c"
WEBHOOK_SECRET = "whsec_cmVsaWFiaWxpdHktd2ViaG9vay1zZWNyZXQtOTk="
SECRETS_ENV = {
    "WATCHER_RELIABILITY_SMTP_PASSWORD": SMTP_PASSWORD,
    "WATCHER_RELIABILITY_WEBHOOK_SECRET": WEBHOOK_SECRET,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project whose secrets are set for its watcher children and for in-process calls."""
    for name, value in SECRETS_ENV.items():
        monkeypatch.setenv(name, value)
    return Project(tmp_path, env=SECRETS_ENV)


def serving(host: str = "127.0.0.1") -> AbstractContextManager[RawServer]:
    """A ``RawServer`` on ``host`` for the duration of the block."""
    return running(RawServer(host))


@pytest.fixture
def feeds() -> Iterator[RawServer]:
    """A feed server on 127.0.0.1; add routes with ``feeds.routes[path] = handler``."""
    with serving() as server:
        yield server


@pytest.fixture(scope="session")
def figures() -> Iterator[dict[str, dict[str, Any]]]:
    """Measured figures by case (peak RSS, seconds, outcome), written as JSON at the end of
    the session to $WATCHER_RELIABILITY_FIGURES when it is set: the numbers of the report."""
    collected: dict[str, dict[str, Any]] = {}
    yield collected
    target = os.environ.get("WATCHER_RELIABILITY_FIGURES")
    if target and collected:
        path = Path(target)
        merged = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**merged, **collected}, indent=2, sort_keys=True))


def send_body(handler: BaseHTTPRequestHandler, body: bytes, content_type: str, **headers: str):
    """Answer 200 with ``body`` (and a Content-Length unless a header says otherwise)."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    if "Transfer-Encoding" not in {k.replace("_", "-") for k in headers}:
        handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def serve_bytes(body: bytes, content_type: str = "application/rss+xml") -> Callable[..., None]:
    return lambda handler: send_body(handler, body, content_type)


# --- SMTP -----------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the SMTP sink accepted, and how it should behave next.

    ``refuse``: recipients answered 550; ``down``: every message answered 421 (a server that
    is there but not accepting); ``echo_auth``: refuse logins with a reply quoting the password
    (a hostile or buggy server), to prove watcher does not repeat it.
    """

    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, ...]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    down: bool = False
    echo_auth: bool = False
    logins: int = 0

    def receipts(self) -> Counter[tuple[str, str]]:
        """Deliveries per (Message-ID, recipient): any count above one is a duplicate."""
        return Counter(
            (str(message["Message-ID"]), recipient)
            for message, recipients in zip(self.messages, self.envelopes, strict=True)
            for recipient in recipients
        )

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.down:
            return "421 4.3.2 service not available, try later"
        self.messages.append(message_from_bytes(envelope.original_content))
        self.envelopes.append(tuple(envelope.rcpt_tos))
        return "250 OK"


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        mailbox = self.mailbox

        def authenticate(server, session, envelope, mechanism, data) -> Any:
            mailbox.logins += 1
            password = data.password.decode()
            if mailbox.echo_auth:
                return AuthResult(
                    success=False, handled=False, message=f"535 5.7.8 bad password {password}"
                )
            return AuthResult(success=password == SMTP_PASSWORD)

        self.controller = Controller(
            mailbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticate,
            auth_require_tls=False,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(Mailbox(), free_port())
    server.start()
    yield server
    server.stop()


# --- webhooks --------------------------------------------------------------------------------------


@dataclass
class Hook:
    """What the webhook receiver got, and what it answers next (a queue of status codes, then
    ``default``). ``hang`` makes it accept and never answer (a timeout for the client)."""

    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default: int = 200
    hang: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receipts(self) -> Counter[str]:
        """Accepted deliveries per ``webhook-id``: any count above one is a duplicate."""
        return Counter(headers.get("webhook-id", "") for headers, _ in self.accepted())

    def accepted(self) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for h, b in self.received if h.get("x-answered") == "2xx"]


class _HookHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HookServer

    def do_POST(self) -> None:
        hook = self.server.hook
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if hook.hang.is_set():
            hook.release.wait(60)
            self.close_connection = True
            return
        with hook.lock:
            status, extra = hook.answers.pop(0) if hook.answers else (hook.default, {})
            headers["x-answered"] = "2xx" if 200 <= status < 300 else str(status)
            hook.received.append((headers, body))
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, hook: Hook) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.hook = hook

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def webhook() -> Iterator[HookServer]:
    server = HookServer(Hook())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.hook.release.set()
    server.shutdown()
    server.server_close()
