"""Safe by default: hostile feed text escaped everywhere, a strict policy on every answer, the
token and binding rules, read-only, and bounded requests."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import feedparser
import pytest
import requests
from click.testing import CliRunner

from tests.web.conftest import TOKEN, XSS_TITLE, Site, write_config
from watcher.cli import cli
from watcher.config import load_config
from watcher.errors import ConfigError
from watcher.web import auth

PAGES = [
    "/",
    "/stories/exits",
    "/stories/exits?lang=ar",
    "/stories/exits?entity=leike",
    "/items",
    "/items?q=leike",
    "/items?q=safety&lang=ar",
    "/sources",
    "/deliveries",
    "/digests",
]
FEEDS = ["/stories/exits.atom", "/followups.atom"]


def _pages(site: Site) -> list[str]:
    return [*PAGES, f"/items/{site.item_id('Leike <script>')}"]


def _assert_inert(body: str) -> None:
    """No markup, handler, script URL or reordering character from the hostile item."""
    assert "<script" not in body.lower()
    assert not re.search(r"<img[^>]*onerror", body, re.I)
    assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*javascript:""", body, re.I)
    assert "\u202e" not in body and "\u202c" not in body


def test_a_hostile_title_is_escaped_on_every_page(site: Site) -> None:
    for path in _pages(site):
        page = site.get(path)
        assert page.status_code == 200, path
        _assert_inert(page.text)
        if path not in ("/", "/items?q=safety&lang=ar", "/sources", "/deliveries", "/digests"):
            assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page.text, path
            assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page.text, path


def test_a_hostile_title_is_escaped_in_the_feeds(site: Site) -> None:
    feed = site.get("/stories/exits.atom")
    _assert_inert(feed.text)
    parsed = feedparser.parse(feed.content)
    titles = [entry.title for entry in parsed.entries]
    assert XSS_TITLE.replace("\u202e", "").replace("\u202c", "") in titles
    hostile = next(e for e in parsed.entries if e.title.startswith("Leike <script>"))
    assert hostile.link.startswith(site.url + "/items/")  # its javascript: link is not used


def test_request_parameters_are_escaped_where_they_are_echoed(site: Site) -> None:
    hostile = '"><script>alert(1)</script>'
    for path, params in [
        ("/items", {"q": hostile}),
        ("/items", {"q": f"leike AND ({hostile}"}),  # malformed: echoed in the error
        ("/", {"x": hostile}),  # kept in the language switch link
        ("/stories/exits", {"entity": hostile}),
    ]:
        page = site.get(path, params=params)
        assert page.status_code in (200, 400)
        _assert_inert(page.text)
        assert "<script>alert(1)" not in page.text


def test_every_answer_carries_the_security_headers(site: Site) -> None:
    for path in [*PAGES, *FEEDS, "/api/items", "/static/web.css", "/nope", "/items/0"]:
        headers = site.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "style-src 'self'" in policy, path
        assert "unsafe-inline" not in policy and "script-src" not in policy, path
        assert "frame-ancestors 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Server"] == "watcher"


def test_pages_have_no_inline_script_or_style(site: Site) -> None:
    for path in _pages(site):
        body = site.get(path).text
        assert not re.search(r"<script|<style|<[a-z][^>]*\s(?:on[a-z]+|style)\s*=", body, re.I)
        for href in re.findall(r'href="([^"]*)"', body):
            assert href.startswith(("/", "http://", "https://")), (path, href)


# --- the token ----------------------------------------------------------------------------------


def test_without_the_token_every_request_is_refused(guarded_site: Callable[..., Site]) -> None:
    site = guarded_site()
    for path in [*PAGES, *FEEDS, "/api/items", "/static/web.css", "/nope"]:
        for headers, params in [
            ({}, {}),
            ({"Authorization": "Bearer wrong-token-of-some-length"}, {}),
            ({"Authorization": f"Basic {TOKEN}"}, {}),
            ({}, {"token": TOKEN[:-1]}),
            ({}, {"token": ""}),
        ]:
            answer = site.get(path, headers=headers, params=params)
            assert answer.status_code == 401, (path, headers, params)
            assert answer.headers["WWW-Authenticate"] == 'Bearer realm="watcher"'
            assert TOKEN not in answer.text and "wire" not in answer.text


def test_the_bearer_header_or_the_query_opens_every_page(guarded_site: Callable[..., Site]) -> None:
    site = guarded_site()
    for path in [*PAGES, "/api/items"]:
        assert site.get(path, headers=site.auth()).status_code == 200, path
        joiner = "&" if "?" in path else "?"
        assert site.get(f"{path}{joiner}token={TOKEN}").status_code == 200, path


def test_links_keep_the_token_only_when_it_came_by_query(guarded_site: Callable[..., Site]) -> None:
    site = guarded_site()
    by_query = site.get("/", params={"token": TOKEN}).text
    by_header = site.get("/", headers=site.auth()).text

    assert f'href="/stories/exits?token={TOKEN}"' in by_query
    assert f'href="/static/web.css?token={TOKEN}"' in by_query
    assert TOKEN not in by_header and 'href="/stories/exits"' in by_header


def test_a_feed_reader_subscribes_with_the_token_in_the_address(
    guarded_site: Callable[..., Site],
) -> None:
    site = guarded_site()
    feed = feedparser.parse(site.get("/stories/exits.atom", params={"token": TOKEN}).content)
    assert feed.bozo == 0 and len(feed.entries) == 8


def test_the_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = auth.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert auth.access(TOKEN, f"Bearer {TOKEN}", None).allowed
    assert not auth.access(TOKEN, None, "x" * len(TOKEN)).allowed
    assert compared == [(TOKEN.encode(), TOKEN.encode()), (b"x" * len(TOKEN), TOKEN.encode())]


@pytest.fixture
def watcher_logs() -> Iterator[list[str]]:
    """Every line the watcher and waitress loggers emit, formatted, at DEBUG."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("watcher", "waitress")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_the_token_is_never_logged(
    guarded_site: Callable[..., Site], watcher_logs: list[str]
) -> None:
    site = guarded_site()
    site.get("/", params={"token": TOKEN})
    site.get("/items", params={"token": TOKEN, "q": "leike AND ("})
    site.get("/nope", headers=site.auth())
    requests.post(f"{site.url}/?token={TOKEN}", timeout=10)

    assert any("web.request" in line or "GET /" in line for line in watcher_logs)
    assert not [line for line in watcher_logs if TOKEN in line]


# --- where it may listen ------------------------------------------------------------------------


def test_an_open_address_without_a_token_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "watch.yaml"
    path.write_text('timezone: UTC\nweb:\n  listen: "0.0.0.0:8080"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert error.value.problems == [
        f"{path}:2: web: listening on '0.0.0.0:8080' without 'token_env' would show what you "
        "follow to anyone who can reach that address: add token_env: NAME (an environment "
        "variable holding a long random token), or listen on 127.0.0.1"
    ]
    result = CliRunner().invoke(cli, ["-c", str(path), "check"])  # main() exits with 2
    assert isinstance(result.exception, ConfigError) and result.exception.exit_code == 2


@pytest.mark.parametrize(
    "listen", ["0.0.0.0:8080", ":8080", "[::]:8080", "192.0.2.7:8080", "example.org:80"]
)
def test_only_loopback_addresses_go_without_a_token(tmp_path: Path, listen: str) -> None:
    path = tmp_path / "watch.yaml"
    path.write_text(f'web: {{listen: "{listen}"}}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="without 'token_env'"):
        load_config(path)
    for loopback in ("127.0.0.1:8080", "[::1]:8080", "localhost:8080", "127.0.0.2:80"):
        path.write_text(f'web: {{listen: "{loopback}"}}\n', encoding="utf-8")
        assert load_config(path).web is not None


def test_the_web_key_defaults_to_loopback_and_checks_its_address(tmp_path: Path) -> None:
    path = tmp_path / "watch.yaml"
    path.write_text("web: {}\n", encoding="utf-8")
    web = load_config(path).web
    assert web is not None and web.listen == "127.0.0.1:8080" and web.token_env is None
    path.write_text('web:\n  listen: "localhost"\n  token_env: "whsec_abc"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert any(p.startswith(f"{path}:3: web.token_env: ") for p in error.value.problems)


def test_watcher_web_refuses_an_open_listen_option_without_a_token(
    filled: tuple[Path, dict[str, str]],
) -> None:
    path, _ = filled
    result = CliRunner().invoke(cli, ["-c", str(path), "web", "--listen", "0.0.0.0:0"])
    assert result.exit_code == 1
    assert "web: listening on '0.0.0.0:0' without 'token_env'" in str(result.exception)


def test_watcher_web_refuses_a_token_variable_that_is_unset(
    filled: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, urls = filled
    monkeypatch.delenv("WATCHER_WEB_TOKEN", raising=False)
    guarded = write_config(path.parent, urls, "web: {token_env: WATCHER_WEB_TOKEN}", "-unset")
    result = CliRunner().invoke(cli, ["-c", str(guarded), "web", "--listen", "127.0.0.1:0"])
    assert result.exit_code == 1
    assert "web.token_env names WATCHER_WEB_TOKEN, which is not set" in str(result.exception)
    monkeypatch.setenv("WATCHER_WEB_TOKEN", "short")
    result = CliRunner().invoke(cli, ["-c", str(guarded), "web", "--listen", "127.0.0.1:0"])
    assert "which is not a usable token" in str(result.exception)


def test_with_a_token_it_may_listen_on_every_interface(guarded_site: Callable[..., Site]) -> None:
    site = guarded_site("0.0.0.0:0")
    port = site.url.rsplit(":", 1)[1]
    local = f"http://127.0.0.1:{port}/"
    assert requests.get(local, timeout=10).status_code == 401
    assert requests.get(local, headers=site.auth(), timeout=10).status_code == 200


# --- read-only and bounded ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_only_get_and_head_are_answered(guarded_site: Callable[..., Site], method: str) -> None:
    site = guarded_site()
    for path in ["/", "/items", "/api/items", "/stories/exits.atom"]:
        answer = requests.request(method, site.url + path, headers=site.auth(), timeout=10)
        assert answer.status_code == 405, (method, path)
        assert answer.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/items?limit=201", 400, "'limit' must be a whole number from 1 to 200"),
        ("/api/items?limit=0", 400, "'limit' must be a whole number from 1 to 200"),
        ("/items?limit=ten", 400, "'limit' must be a whole number"),
        ("/deliveries?page=10001", 400, "'page' must be a whole number from 1 to 10000"),
        ("/api/items?before=99999", 400, "no item 99999"),
        ("/items?q=" + "leike%20OR%20" * 60 + "x", 400, "'q' is too long (541 characters; at most 500)"),
        ("/items?language=a%25", 400, "is not a language code"),
        ("/items?x=" + "y" * 2100, 414, "over 2048 bytes"),
    ],
)  # fmt: skip
def test_parameters_are_bounded(site: Site, path: str, status: int, message: str) -> None:
    answer = site.get(path)
    assert answer.status_code == status
    assert message in answer.text.replace("&#39;", "'")


def test_the_api_reports_its_errors_as_json(site: Site) -> None:
    answer = site.get("/api/items", params={"limit": 500})
    assert answer.status_code == 400
    assert answer.json() == {"error": "'limit' must be a whole number from 1 to 200", "status": 400}


def test_oversized_requests_are_refused_by_the_server(site: Site) -> None:
    huge_header = site.get("/", headers={"X-Padding": "a" * 9000})
    assert huge_header.status_code == 431
    with_body = requests.get(site.url + "/", data=b"x" * 5000, timeout=10)
    assert with_body.status_code == 413


def test_an_idle_connection_does_not_hold_a_worker(site: Site) -> None:
    """Four idle sockets (the pool's size) and the view still answers at once."""
    host, port = site.url.removeprefix("http://").rsplit(":", 1)
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(4)]
    try:
        for connection in idle:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        assert site.get("/sources").status_code == 200
    finally:
        for connection in idle:
            connection.close()
