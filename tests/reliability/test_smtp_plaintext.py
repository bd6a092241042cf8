"""The SMTP password never crosses a network in clear unless the user says so.

Before issue 12, ``starttls: false`` with a username logged in to any host in clear without a
word. Now ``watcher check`` refuses it for a host other than this machine (FILE:LINE, exit 2)
unless ``allow_plaintext_auth: true`` is set, and the email backend refuses it again at send
time. A server on loopback (a local relay) is allowed, and gets the mail.
"""

from __future__ import annotations

from tests.deliver.test_webhook import outgoing
from tests.reliability.conftest import SMTP_PASSWORD, SmtpServer
from tests.reliability.harness import Project
from watcher.config import Channel
from watcher.config.models import Smtp
from watcher.deliver.email import EmailBackend

PASSWORD_ENV = "WATCHER_RELIABILITY_SMTP_PASSWORD"
CONFIG = """\
channels:
  - {{id: inbox, email: ["reader@example.com"]}}
digests:
  - {{id: daily, at: "07:00", send_to: [inbox]}}
smtp:
  host: {host}
  port: {port}
  starttls: false
  username: watcher
  password_env: WATCHER_RELIABILITY_SMTP_PASSWORD
  sender: "watcher@example.net"
{extra}"""


def _smtp_line(project: Project) -> int:
    lines = project.config_path.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith("smtp:"))


def test_check_refuses_a_password_in_clear_to_another_host(project: Project) -> None:
    project.write(CONFIG.format(host="mail.example.com", port=25, extra=""))
    run = project.run("check")
    assert run.returncode == 2, str(run)
    assert "Traceback" not in run.output
    expected = (
        f"{project.config_path}:{_smtp_line(project)}: smtp: logging in to mail.example.com "
        "without TLS would send the password in clear"
    )
    assert expected in run.stderr, run.stderr
    assert "allow_plaintext_auth: true" in run.stderr


def test_allow_plaintext_auth_accepts_the_risk(project: Project) -> None:
    extra = "  allow_plaintext_auth: true\n"
    project.write(CONFIG.format(host="mail.example.com", port=25, extra=extra))
    project.ok("check")


def test_a_loopback_server_without_tls_is_allowed_and_gets_the_mail(
    project: Project, smtp: SmtpServer
) -> None:
    project.write(CONFIG.format(host="127.0.0.1", port=smtp.port, extra=""))
    project.ok("check")
    channel = Channel(id="inbox", email=["reader@example.com"])
    settings = Smtp(
        host="127.0.0.1", port=smtp.port, starttls=False, username="watcher",
        password_env=PASSWORD_ENV, sender="watcher@example.net", timeout="5s",
    )  # fmt: skip
    result = EmailBackend(channel, settings).send(outgoing(channel))
    assert result.ok, result.error
    assert smtp.mailbox.logins == 1 and len(smtp.mailbox.messages) == 1


def test_the_backend_refuses_a_password_in_clear_at_send_time(
    project: Project, smtp: SmtpServer
) -> None:
    """Defence in depth: settings that skipped the config check still never log in."""
    channel = Channel(id="inbox", email=["reader@example.com"])
    settings = Smtp.model_construct(
        host="smtp.invalid", port=smtp.port, starttls=False, tls=False, username="watcher",
        password_env=PASSWORD_ENV, sender="watcher@example.net", allow_plaintext_auth=False,
    )  # fmt: skip
    result = EmailBackend(channel, settings).send(outgoing(channel))
    assert not result.ok and not result.retryable
    assert "refused to send the SMTP password in clear to smtp.invalid" in (result.error or "")
    assert SMTP_PASSWORD not in (result.error or "")
    assert smtp.mailbox.logins == 0
