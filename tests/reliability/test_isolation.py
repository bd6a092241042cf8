"""One hostile feed, link or server never stops the others, leaks a password or reaches inside.

Each case puts a hostile source beside two good ones on real local servers and polls as the
daemon does (in-process, through ``watcher.jobs``): the good ones are stored, the hostile one
is recorded as failing with a reason a user can read, and the next poll goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from tests.fetch.conftest import RawServer, running
from tests.reliability.conftest import send_body, serve_bytes
from tests.reliability.feeds import rss
from watcher.cli import cli
from watcher.config import Config
from watcher.fetch.clients import Clients
from watcher.jobs import poll as poll_job
from watcher.jobs.backfill import backfill
from watcher.jobs.poll import poll_once
from watcher.store import Store, open_store
from watcher.store.tables import ItemRow, SourceRow

GOOD = [
    ("Jan Leike resigns from OpenAI", "https://news.example/leike", "Leike on safety."),
    ("Sutskever leaves", "https://news.example/sutskever", "Sutskever says goodbye."),
]


@pytest.fixture
def server() -> Iterator[RawServer]:
    with running(RawServer()) as serving:
        serving.routes["/good-1.xml"] = serve_bytes(rss(GOOD[:1]))
        serving.routes["/good-2.xml"] = serve_bytes(rss(GOOD[1:]))
        yield serving


def _config(make_config: Callable[[str], Config], server: RawServer, hostile: str) -> Config:
    return make_config(
        f"""
        people: [{{id: leike, name: Jan Leike, aliases: [Leike, Sutskever]}}]
        stories: [{{id: exits, title: Exits, since: 2024-05-14, match: leike}}]
        sources:
          - {{id: good-1, feed: "{server.url("/good-1.xml")}"}}
          - {{id: hostile, feed: "{hostile}"}}
          - {{id: good-2, feed: "{server.url("/good-2.xml")}"}}
        """
    )


def _rows(store: Store) -> dict[str, SourceRow]:
    with store.session() as session:
        return {row.id: row for row in session.query(SourceRow)}


def _titles(store: Store) -> list[str]:
    with store.session() as session:
        return sorted(row.title for row in session.query(ItemRow))


def _good_stored_and_polling_goes_on(store: Store, config: Config) -> SourceRow:
    rows = _rows(store)
    assert rows["good-1"].last_success_at and rows["good-2"].last_success_at
    assert [t for t in _titles(store) if t in {g[0] for g in GOOD}] == sorted(g[0] for g in GOOD)
    again = poll_once(store, config, clock=lambda: datetime.now(UTC) + timedelta(days=2))
    assert again.polled == 3, "the next poll runs whole"
    return _rows(store)["hostile"]


def test_a_retry_after_of_ten_to_the_fourteen_seconds_fails_only_its_source(
    make_config: Callable[[str], Config], server: RawServer
) -> None:
    """Before: OverflowError building the backoff aborted the batch, every tick."""

    def too_many(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(429)
        handler.send_header("Retry-After", "99999999999999")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server.routes["/hostile.xml"] = too_many
    config = _config(make_config, server, server.url("/hostile.xml"))
    store = open_store(config.database_url)
    before = datetime.now(UTC)
    summary = poll_once(store, config)

    assert (summary.polled, summary.failed) == (3, 1)
    hostile = _rows(store)["hostile"]
    assert hostile.next_poll_at is not None
    assert hostile.next_poll_at - before <= config.fetch.max_backoff * 1.25  # the cap, jittered
    assert "429" in (hostile.last_error or "")
    _good_stored_and_polling_goes_on(store, config)


def test_a_source_the_store_refuses_is_recorded_alone(
    make_config: Callable[[str], Config], server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any error while storing one source is that source's failure, not the batch's."""
    server.routes["/hostile.xml"] = serve_bytes(rss([("Leike poison", "https://x.example/p", "p")]))
    config = _config(make_config, server, server.url("/hostile.xml"))
    store = open_store(config.database_url)
    real_insert = poll_job.insert_new_items

    def refuse_poison(session: Any, items: list[Any], *, now: datetime) -> dict[str, int]:
        if any(item.source_id == "hostile" for item, _ in items):
            raise ValueError("the database refused this row")
        return real_insert(session, items, now=now)

    monkeypatch.setattr(poll_job, "insert_new_items", refuse_poison)
    summary = poll_once(store, config)

    assert (summary.polled, summary.failed) == (3, 1)
    hostile = _good_stored_and_polling_goes_on(store, config)
    assert hostile.consecutive_failures >= 1
    assert "ValueError: the database refused this row" in (hostile.last_error or "")
    assert "Leike poison" not in _titles(store)


JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Hostile\u0000 feed",
    "items": [
        {
            "id": "n1",
            "url": "https://news.example/nul",
            "title": "Leike\u0000 speaks \u001b]0;owned\u0007\u001b[2J out",
            "content_text": "Leike\u0000 said \u009b31m more",
            "authors": [{"name": "Jane\u0000 Doe"}],
        }
    ],
}


def _nul_and_escapes(make_config: Callable[[str], Config], server: RawServer, url: str) -> None:
    server.routes["/hostile.json"] = serve_bytes(
        json.dumps(JSON_FEED).encode(), "application/feed+json"
    )
    config = _config(make_config, server, server.url("/hostile.json"))
    config = config.model_copy(update={"database": url})
    store = open_store(url)
    summary = poll_once(store, config)
    assert summary.failed == 0, summary.errors
    with store.session() as session:
        row = session.query(ItemRow).filter_by(url="https://news.example/nul").one()
        stored = [row.title, row.text, row.author or "", json.dumps(row.extra)]
    for value in stored:
        assert not any(ch in value for ch in "\x00\x1b\x07\x9b"), value
    assert row.title.startswith("Leike speaks")
    _good_stored_and_polling_goes_on(store, config)
    store.close()


def test_nul_and_terminal_escapes_are_never_stored_on_sqlite(
    make_config: Callable[[str], Config], server: RawServer, tmp_path: Any
) -> None:
    _nul_and_escapes(make_config, server, f"sqlite:///{tmp_path / 'nul.db'}")


@pytest.mark.postgres
def test_nul_never_stops_a_poll_on_postgresql(
    make_config: Callable[[str], Config], server: RawServer, postgres_url: str
) -> None:
    """Before: PostgreSQL refused the NUL and the whole poll failed, every tick."""
    _nul_and_escapes(make_config, server, postgres_url)


def test_terminal_output_never_carries_a_raw_escape(
    make_config: Callable[[str], Config], server: RawServer
) -> None:
    """A title holding escapes, stored by an older version, is shown escaped by the CLI."""
    server.routes["/hostile.json"] = serve_bytes(
        json.dumps(JSON_FEED).encode(), "application/feed+json"
    )
    config = _config(make_config, server, server.url("/hostile.json"))
    store = open_store(config.database_url)
    poll_once(store, config)
    with store.session() as session:  # as an older watcher would have stored it: raw SQL
        session.execute(
            text("UPDATE items SET title = :title WHERE url = :url"),
            {
                "title": "Leike \x1b]0;owned\x07\x1b[2J \x9b31m speaks",
                "url": "https://news.example/nul",
            },
        )
    runner = CliRunner()
    for args in (["items"], ["items", "--json"], ["explain", "https://news.example/nul"]):
        result = runner.invoke(cli, ["-c", str(config.path), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert not any(ch in result.output for ch in "\x1b\x07\x9b"), (args, result.output)


def test_a_huge_reason_phrase_is_kept_short_and_printable(
    make_config: Callable[[str], Config], server: RawServer
) -> None:
    """Before: a 5 KB reason phrase with escapes was stored whole in last_error."""

    def chatty(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 599 " + b"\x1b[31m" + b"x" * 5000 + b"\r\n")
        handler.wfile.write(b"Content-Length: 0\r\n\r\n")
        handler.close_connection = True

    server.routes["/hostile.xml"] = chatty
    config = _config(make_config, server, server.url("/hostile.xml"))
    store = open_store(config.database_url)
    poll_once(store, config)
    error = _good_stored_and_polling_goes_on(store, config).last_error or ""
    assert 0 < len(error) <= 500
    assert "\x1b" not in error


# --- links a feed chooses are untrusted ---------------------------------------------------------


def _paged(next_link: str) -> Callable[[BaseHTTPRequestHandler], None]:
    body = rss([("Leike, page one", "https://news.example/p1", "Leike.")]).replace(
        b"<channel>",
        b'<channel><atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="next" href="'
        + next_link.encode()
        + b'"/>',
    )
    return serve_bytes(body)


@pytest.fixture
def inside() -> Iterator[RawServer]:
    """A service on the machine itself that no feed may make watcher reach."""
    with running(RawServer()) as service:
        service.routes["/internal"] = serve_bytes(rss([("SECRET internal", "https://i/x", "s")]))
        yield service


def _backfill_one(config: Config, source_id: str) -> str | None:
    store = open_store(config.database_url)
    with Clients.open(config) as clients:
        (result,) = backfill(
            store, config, since=date(2000, 1, 1), clients=clients, source_ids=[source_id]
        )
    return result.error


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("inside", id="another-local-port"),
        pytest.param("http://169.254.169.254/latest/meta-data/", id="cloud-metadata"),
        pytest.param("redirect", id="same-host-redirecting-inside"),
    ],
)
def test_paging_never_reaches_a_private_address_the_feed_chose(
    make_config: Callable[[str], Config], server: RawServer, inside: RawServer, target: str
) -> None:
    """Before: backfill followed rel="next" anywhere and stored what it found."""
    internal = inside.url("/internal")
    if target == "redirect":

        def redirect(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(302)
            handler.send_header("Location", internal)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        server.routes["/page-2"] = redirect
        next_link = server.url("/page-2")
    else:
        next_link = internal if target == "inside" else target
    server.routes["/hostile.xml"] = _paged(next_link)
    config = _config(make_config, server, server.url("/hostile.xml"))

    error = _backfill_one(config, "hostile") or ""

    assert "refused" in error and "private address" in error, error
    assert "SECRET" not in error
    store = open_store(config.database_url)
    assert "SECRET internal" not in _titles(store)
    assert "Leike, page one" in _titles(store)  # the configured page itself was read


def test_paging_on_the_configured_host_is_followed(
    make_config: Callable[[str], Config], server: RawServer
) -> None:
    """A self-hosted feed paging on its own (private) server is the user's own choice."""
    server.routes["/page-2"] = serve_bytes(
        rss([("Leike, page two", "https://news.example/p2", "x")])
    )
    server.routes["/hostile.xml"] = _paged(server.url("/page-2"))
    config = _config(make_config, server, server.url("/hostile.xml"))

    assert _backfill_one(config, "hostile") is None
    assert "Leike, page two" in _titles(open_store(config.database_url))


def test_private_feed_credentials_stay_out_of_sources_and_digests(
    make_config: Callable[[str], Config], server: RawServer
) -> None:
    """The source URL is kept redacted; the digest names the outlet by host, not by user."""

    def private(handler: BaseHTTPRequestHandler) -> None:
        send_body(
            handler,
            rss([("Leike, privately", "https://p.example/l", "Leike.")]),
            "application/rss+xml",
        )

    server.routes["/private.xml"] = private
    url = server.url("/private.xml").replace("://", "://alice:Sup3r-Secret@") + "?token=t0k3n"
    config = _config(make_config, server, url)
    store = open_store(config.database_url)
    poll_once(store, config)
    result = CliRunner().invoke(cli, ["-c", str(config.path), "sources", "--json"])
    for leak in ("alice", "Sup3r-Secret", "t0k3n"):
        assert leak not in result.output
        assert leak not in (_rows(store)["hostile"].url or "")
    assert "127.0.0.1" in result.output
