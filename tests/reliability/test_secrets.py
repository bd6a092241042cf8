"""Secrets never leave the environment variables that hold them.

A user's SMTP password and webhook signing secret are set in the environment, then watcher is
run as a user runs it (``check``, ``poll --once``, ``digest send`` that succeeds and one that
fails against a mail server quoting the password back, ``deliveries``, ``sources``) at every
log level and in both log formats. Nothing it prints, stores or sends may contain them: not the
logs, not the SQLite file (with its WAL), not the mail or the webhook body. The data directory
and database are private to the user: 0700 and 0600.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from tests.fetch.conftest import RawServer
from tests.reliability.conftest import (
    SMTP_PASSWORD,
    WEBHOOK_SECRET,
    HookServer,
    SmtpServer,
    send_body,
    serve_bytes,
)
from tests.reliability.feeds import rss
from tests.reliability.harness import Project, Run

HOOK_PATH_TOKEN = "T0-hook-path-token-b7e1"
FEED_USER, FEED_PASSWORD = "feed-reader-u5er", "Feed-Pa55word-9d2c"  # a private feed's URL
HOOK_USER, HOOK_PASSWORD = "hook-u5er", "Hook-Pa55word-41be"  # a webhook URL with user info
FEED_TOKEN = "feed-query-token-e3a1"  # ...?token= in a feed URL


def _forms(secret: str) -> list[str]:
    """The secret as written, and the encodings a leak would most likely take."""
    forms = [secret, base64.b64encode(secret.encode()).decode()]
    if secret.startswith("whsec_"):
        forms.append(secret.removeprefix("whsec_"))
        forms.append(base64.b64decode(secret.removeprefix("whsec_")).decode("latin-1"))
    return forms


SECRETS = [
    *_forms(SMTP_PASSWORD),
    base64.b64encode(f"\0watcher\0{SMTP_PASSWORD}".encode()).decode(),  # AUTH PLAIN
    *_forms(WEBHOOK_SECRET),
    *_forms(FEED_PASSWORD),
    *_forms(HOOK_PASSWORD),
    FEED_USER,
    HOOK_USER,
    FEED_TOKEN,
]


def _private_feed(body: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
    """A feed that answers only with the credentials of its URL (HTTP basic auth)."""
    expected = "Basic " + base64.b64encode(f"{FEED_USER}:{FEED_PASSWORD}".encode()).decode()

    def serve(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Authorization") != expected:
            handler.send_response(401)
            handler.send_header("WWW-Authenticate", 'Basic realm="feeds"')
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        send_body(handler, body, "application/rss+xml")

    return serve


def _config(project: Project, feeds: RawServer, smtp: SmtpServer, webhook: HookServer) -> None:
    feeds.routes["/feed.xml"] = serve_bytes(
        rss([("Jan Leike resigns", "https://news.example/leike", "Leike on safety.")])
    )
    feeds.routes["/private.xml"] = _private_feed(
        rss([("Leike writes again", "https://private.example/leike", "Leike, privately.")])
    )
    private = feeds.url("/private.xml").replace("://", f"://{FEED_USER}:{FEED_PASSWORD}@")
    hook = webhook.url(f"/hook/{HOOK_PATH_TOKEN}").replace(
        "://", f"://{HOOK_USER}:{HOOK_PASSWORD}@"
    )
    project.write(
        f"""
        people:
          - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike"]}}
        stories:
          - {{id: exits, title: Exits, since: 2024-05-14, match: leike}}
        sources:
          - {{id: wire, feed: "{feeds.url("/feed.xml")}"}}
          - {{id: broken, feed: "{feeds.url("/missing.xml")}"}}
          - {{id: private, feed: "{private}"}}
          - {{id: private-broken, feed: "{private.replace("private.xml", "gone.xml")}?token={FEED_TOKEN}"}}
        smtp:
          host: 127.0.0.1
          port: {smtp.port}
          starttls: false
          username: watcher
          password_env: WATCHER_RELIABILITY_SMTP_PASSWORD
          sender: "Watcher <watcher@example.net>"
          timeout: 5s
        channels:
          - {{id: inbox, email: ["reader@example.com"]}}
          - id: hook
            webhook: "{hook}"
            secret_env: WATCHER_RELIABILITY_WEBHOOK_SECRET
        digests:
          - {{id: daily, at: "07:00", send_to: [inbox, hook]}}
          - {{id: weekly, cron: "0 7 * * 1", send_to: [inbox, hook]}}
        """
    )


def _runs(project: Project, smtp: SmtpServer, webhook: HookServer) -> list[Run]:
    """Everything a user would run, in both log formats at -vv (which shows every level)."""
    runs = [project.ok("check"), project.ok("sources")]
    for flags in (["-vv"], ["-vv", "--log-format", "json"]):
        runs.append(project.ok(*flags, "check"))
        runs.append(project.run(*flags, "poll", "--once"))  # exit 1: two sources fail
    runs.append(project.ok("-vv", "digest", "send", "--digest", "daily"))
    smtp.mailbox.echo_auth = True
    webhook.hook.default = 500
    runs.append(project.run("-vv", "digest", "send", "--digest", "weekly"))
    runs.append(project.ok("-vv", "--log-format", "json", "deliveries"))
    runs.append(project.ok("deliveries", "--json"))
    return runs


@pytest.mark.slow
def test_secrets_never_appear_in_output_database_or_messages(
    project: Project, feeds: RawServer, smtp: SmtpServer, webhook: HookServer
) -> None:
    _config(project, feeds, smtp, webhook)
    runs = _runs(project, smtp, webhook)

    assert project.item_count("private") == 1, "the private feed was read with its credentials"
    assert smtp.mailbox.messages, "the successful digest reached the mail server"
    assert webhook.hook.accepted(), "the successful digest reached the webhook"
    assert smtp.mailbox.logins >= 2, "the failing send really tried the password"
    failures = project.query("SELECT last_error FROM deliveries WHERE state != 'sent'")
    assert failures and all(row["last_error"] for row in failures)
    assert any('"level": "warning"' in run.stderr for run in runs), "JSON logs were written"
    assert any(" WARNING " in run.stderr for run in runs), "text logs were written"

    database = b"".join(
        path.read_bytes() for path in project.data_dir.iterdir() if path.name.startswith("watcher")
    )
    sent = [message.as_bytes() for message in smtp.mailbox.messages]
    sent += [body for _, body in webhook.hook.received]
    for secret in SECRETS:
        for run in runs:
            assert secret not in run.output, f"{secret!r} leaked in:\n{run}"
        assert secret.encode() not in database, f"{secret!r} is in the database"
        for body in sent:
            assert secret.encode() not in body, f"{secret!r} was sent to a receiver"
    for run in runs:
        assert HOOK_PATH_TOKEN not in run.output, f"the webhook URL's token leaked in:\n{run}"


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_data_directory_and_database_are_private(
    project: Project, feeds: RawServer, umask: int
) -> None:
    """0700 and 0600 whatever the umask (a container's is often 000); the WAL too."""
    feeds.routes["/feed.xml"] = serve_bytes(rss([("A", "https://news.example/a", "a")]))
    project.write(f'sources:\n  - {{id: wire, feed: "{feeds.url("/feed.xml")}"}}\n')
    previous = os.umask(umask)
    try:
        project.ok("poll", "--once")
    finally:
        os.umask(previous)

    assert stat.S_IMODE(project.data_dir.stat().st_mode) == 0o700
    files = [p for p in project.data_dir.iterdir() if p.name.startswith("watcher.db")]
    assert project.db_path in files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


SECRET_IN_PLACE_OF_A_NAME = [
    pytest.param(
        "smtp: {host: 127.0.0.1, sender: a@example.net, password_env: 'Hunter2 Secret!'}",
        "Hunter2 Secret!",
        id="password-instead-of-its-variable",
    ),
    pytest.param(
        "smtp: {host: 127.0.0.1, sender: a@example.net, password: 'Hunter2-Secret-Value'}",
        "Hunter2-Secret-Value",
        id="password-written-in-the-config",
    ),
    pytest.param(
        f"channels: [{{id: h, webhook: 'https://hooks.example/x', secret_env: '{WEBHOOK_SECRET}'}}]",
        WEBHOOK_SECRET,
        id="webhook-secret-instead-of-its-variable",
    ),
]


@pytest.mark.parametrize(("line", "secret"), SECRET_IN_PLACE_OF_A_NAME)
def test_check_refuses_a_secret_in_the_config_without_printing_it(
    project: Project, line: str, secret: str
) -> None:
    project.write(line + "\n")
    checked = project.run("check")
    assert checked.returncode == 2, str(checked)
    assert secret not in checked.output, str(checked)
