"""SMTP over STARTTLS and implicit TLS, against aiosmtpd with a throw-away certificate."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from watcher.config import Channel, Digest, Smtp
from watcher.deliver.backend import Outgoing
from watcher.deliver.email import EmailBackend

BUILT = datetime(2024, 5, 29, 4, 1, tzinfo=UTC)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class TlsServer:
    mode: str
    port: int
    messages: list[Any] = field(default_factory=list)
    secure: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        self.secure.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 OK"


@pytest.fixture(params=["starttls", "implicit"])
def tls_server(request: Any, certificate: tuple[Path, Path]) -> Iterator[TlsServer]:
    from aiosmtpd.controller import Controller

    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = TlsServer(request.param, port)
    if request.param == "starttls":
        controller = Controller(
            server, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
        )
    else:
        controller = Controller(server, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    yield server
    controller.stop()


def test_mail_goes_over_tls_and_the_certificate_is_checked(
    tls_server: TlsServer, certificate: tuple[Path, Path]
) -> None:
    smtp = Smtp(
        host="127.0.0.1", port=tls_server.port, starttls=tls_server.mode == "starttls",
        tls=tls_server.mode == "implicit", sender="watcher@example.net", timeout=timedelta(seconds=5),
    )  # fmt: skip
    channel = Channel(id="inbox", email=["reader@example.com"])
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    outgoing = Outgoing(
        run_id=1, digest=Digest(id="daily", send_to=["inbox"]), channel=channel,
        period_start=BUILT, period_end=BUILT, built_at=BUILT, subject="Digest", text="text",
        html="<p>html</p>",
    )  # fmt: skip

    result = EmailBackend(channel, smtp, tls_context=trusting).send(outgoing)
    assert result.ok, result.error
    assert tls_server.secure == [True]
    mail = message_from_bytes(tls_server.messages[0].content, policy=default)
    assert mail["Subject"] == "Digest"

    refused = EmailBackend(channel, smtp).send(outgoing)  # the system CAs do not know this one
    assert not refused.ok and refused.retryable
    assert "CERTIFICATE_VERIFY_FAILED" in (refused.error or "")
    assert len(tls_server.messages) == 1
