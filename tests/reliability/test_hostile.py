"""Hostile and broken feeds, end to end: ``watcher poll --once`` against real local servers.

Each case puts one hostile source next to a healthy "canary" source and runs a real
``poll --once`` in a child process. It must end with a clear error on the hostile source (what
``watcher sources`` shows) or a safe result, the canary's item stored all the same (one bad
source never stops the rest), within bounded time and peak memory (the child's RSS, from the
kernel). The fetcher's and parser's own unit tests cover the mechanisms; these prove that the
whole pipeline, CLI to database, holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.fetch.conftest import RawServer
from tests.reliability.conftest import send_body, serve_bytes, serving
from tests.reliability.feeds import (
    HOSTILE_HTML,
    entity_bomb,
    external_entities,
    many_entries,
    rss,
)
from tests.reliability.harness import Project, Run
from tests.reliability.hostile import (
    ITEM_CHUNK,
    MB,
    Handler,
    endless,
    gzip_bomb,
    gzip_bombing,
    one_byte_a_second,
    redirect,
)

RSS_LIMIT_MB = 400  # the interpreter, lingua and SQLAlchemy take ~100 MB before any feed
TIME_LIMIT = 90  # seconds for one poll --once, on a shared two-core machine
CANARY = ("Canary: Jan Leike still polled", "https://news.example/canary", "Leike canary.")


def _recent(hours: float = 1) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(hours=hours), usegmt=True)


@dataclass(frozen=True)
class Outcome:
    run: Run
    sources: dict[str, dict[str, Any]]

    def status(self, source_id: str) -> str:
        return str(self.sources[source_id]["status"])

    def error(self, source_id: str) -> str:
        return str(self.sources[source_id]["last_error"] or "")


def poll_hostile(
    project: Project,
    feeds: RawServer,
    hostile: dict[str, Handler | str],
    figures: dict[str, dict[str, Any]],
    case: str,
    *,
    settings: str = "",
    archives: dict[str, str] | None = None,
) -> Outcome:
    """Serve ``hostile`` (source id → handler, or a URL elsewhere) beside the canary, with
    ``archives`` (source id → x.com/HANDLE) if any; poll once."""
    feeds.routes["/canary.xml"] = serve_bytes(rss([CANARY], dates=[_recent()]))
    urls = {"canary": feeds.url("/canary.xml")}
    for source_id, target in hostile.items():
        if isinstance(target, str):
            urls[source_id] = target
        else:
            feeds.routes[f"/{source_id}"] = target
            urls[source_id] = feeds.url(f"/{source_id}")
    sources = "\n".join(f'  - {{id: {sid}, feed: "{url}"}}' for sid, url in urls.items())
    sources += "".join(
        f"\n  - {{id: {sid}, archive: {at}}}" for sid, at in (archives or {}).items()
    )
    project.write(
        f"""\
fetch: {{timeout: 5s, connect_timeout: 2s, max_bytes: {10 * MB}}}
{settings}
people:
  - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike"]}}
stories:
  - {{id: exits, title: Exits, since: 2024-01-01, match: leike}}
sources:
{sources}
"""
    )
    run = project.run("poll", "--once", timeout=TIME_LIMIT * 2)
    outcome = Outcome(run, project.sources())
    failed = any(outcome.status(source_id).startswith("failing") for source_id in outcome.sources)
    assert run.returncode == (1 if failed else 0), str(run)  # poll exits 1 when a source failed
    figures[f"hostile:{case}"] = {
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "seconds": round(run.seconds, 1),
        "outcome": {sid: outcome.status(sid) for sid in [*hostile, *(archives or {})]},
        "errors": {s: outcome.error(s) for s in [*hostile, *(archives or {})] if outcome.error(s)},
    }
    assert outcome.status("canary") == "ok", str(run)
    assert project.item_count("canary") == 1
    assert run.peak_rss_mb < RSS_LIMIT_MB, str(run)
    assert run.seconds < TIME_LIMIT, str(run)
    for source_id in hostile:
        assert not outcome.error(source_id).startswith("unexpected error"), outcome.error(source_id)
    return outcome


def _stored_text(project: Project, source_id: str) -> str:
    rows = project.query(
        "SELECT i.title, i.text, i.summary, i.summary_html FROM items i "
        "JOIN item_sources s ON s.item_id = i.id WHERE s.source_id = ?",
        source_id,
    )
    return " ".join(" ".join(str(value) for value in row) for row in rows)


# --- XML bombs and external entities -----------------------------------------------------------


def test_billion_laughs_is_not_expanded(project, feeds, figures) -> None:
    outcome = poll_hostile(
        project, feeds, {"laughs": serve_bytes(entity_bomb())}, figures, "laughs"
    )
    assert "lollollol" not in _stored_text(project, "laughs")
    assert outcome.status("laughs") == "ok" or outcome.error("laughs")


def test_external_entities_read_no_file_and_fetch_no_dtd(
    project, feeds, figures, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("XXE-LOCAL-FILE-CONTENT-5d1c")
    fetched: list[str] = []
    feeds.routes["/evil.dtd"] = lambda handler: (
        fetched.append(handler.path),
        send_body(handler, b'<!ENTITY leak "XXE-REMOTE-DTD-CONTENT">', "application/xml-dtd"),
    )
    body = external_entities(secret.as_uri(), feeds.url("/evil.dtd"))
    outcome = poll_hostile(project, feeds, {"xxe": serve_bytes(body)}, figures, "xxe")

    assert fetched == [], "the parser fetched a DTD named by the feed"
    database = project.db_path.read_bytes()
    for marker in (b"XXE-LOCAL-FILE-CONTENT", b"XXE-REMOTE-DTD-CONTENT"):
        assert marker not in database
        assert marker.decode() not in outcome.run.output
    assert outcome.status("xxe") == "ok" or outcome.error("xxe")


# --- bodies that would fill memory -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "streamed"])
def test_a_200_mb_body_stops_at_the_cap(project, feeds, figures, declare: bool) -> None:
    case = f"200MB-{'declared' if declare else 'streamed'}"
    handler = endless(ITEM_CHUNK, 200 * MB, declare=declare)
    outcome = poll_hostile(project, feeds, {"huge": handler}, figures, case)
    assert outcome.status("huge").startswith("failing")
    assert "body larger than 10 MB" in outcome.error("huge")


@pytest.mark.slow
def test_a_gzip_bomb_stops_at_the_cap(project, feeds, figures) -> None:
    assert len(gzip_bomb()) < 2 * MB
    outcome = poll_hostile(project, feeds, {"bomb": gzip_bombing}, figures, "gzip-bomb")
    assert outcome.status("bomb").startswith("failing")
    assert "body larger than 10 MB" in outcome.error("bomb")


@pytest.mark.slow
def test_100k_entries_are_capped_not_choked_on(project, feeds, figures) -> None:
    outcome = poll_hostile(
        project,
        feeds,
        {"big": serve_bytes(many_entries(100_000))},
        figures,
        "100k-entries",
        settings="",
    )
    assert outcome.status("big") == "ok", outcome.error("big")
    stored = project.item_count("big")
    assert 0 < stored <= 2000
    assert "entries" in str(outcome.sources["big"]["warning"] or "")


# --- servers that stall or walk us around ------------------------------------------------------


def test_a_server_sendingone_byte_a_second_is_cut_off(project, feeds, figures) -> None:
    outcome = poll_hostile(project, feeds, {"slow": one_byte_a_second}, figures, "slow-server")
    assert outcome.status("slow").startswith("failing")
    assert "timed out after 5 s" in outcome.error("slow")
    assert outcome.run.seconds < 5 + 30  # the deadline, plus start-up on a busy machine


def test_a_redirect_loop_is_an_error(project, feeds, figures) -> None:
    feeds.routes["/loop-b"] = redirect("/loop-a")
    outcome = poll_hostile(
        project, feeds, {"loop-a": redirect("/loop-b")}, figures, "redirect-loop"
    )
    assert outcome.status("loop-a").startswith("failing")
    assert "redirect loop" in outcome.error("loop-a")


@pytest.fixture
def elsewhere() -> Any:
    """A feed on 127.0.0.2 (another private address than the configured 127.0.0.1)."""
    with serving("127.0.0.2") as server:
        server.routes["/feed.xml"] = serve_bytes(
            rss([("Leike via redirect", "https://news.example/redirected", "r")])
        )
        yield server


@pytest.fixture
def ipv6_loopback() -> Any:
    try:
        context = serving("::1")
        server = context.__enter__()
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    server.routes["/feed.xml"] = serve_bytes(rss([("v6", "https://news.example/v6", "v6")]))
    yield server
    context.__exit__(None, None, None)


def test_redirects_to_private_addresses_are_refused(
    project, feeds, figures, elsewhere: RawServer, ipv6_loopback: RawServer
) -> None:
    """A public-looking feed may not walk watcher into the machine or its network; the user's
    own localhost source (the canary, on 127.0.0.1) is still fetched."""
    hostile = {
        "to-127-0-0-2": redirect(elsewhere.url("/feed.xml")),
        "to-10-x": redirect("http://10.0.0.1/feed.xml"),
        "to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "to-ipv6-loopback": redirect(ipv6_loopback.url("/feed.xml")),
    }
    outcome = poll_hostile(project, feeds, hostile, figures, "private-redirects")
    for source_id in hostile:
        assert outcome.status(source_id).startswith("failing"), source_id
        assert "refused" in outcome.error(source_id), outcome.error(source_id)
        assert "allow_private_networks" in outcome.error(source_id)
        assert project.item_count(source_id) == 0


def test_allow_private_networks_lets_the_redirect_through(
    project, feeds, figures, elsewhere: RawServer
) -> None:
    hostile = {"to-127-0-0-2": redirect(elsewhere.url("/feed.xml"))}
    outcome = poll_hostile(
        project, feeds, hostile, figures, "private-allowed", settings="allow_private_networks: true"
    )
    assert outcome.status("to-127-0-0-2") == "ok", outcome.error("to-127-0-0-2")
    assert project.item_count("to-127-0-0-2") == 1


# --- encodings, markup, headers, dates ---------------------------------------------------------

ARABIC_TITLE = "يان لايكه يستقيل من أوبن إيه آي"
ARABIC_TEXT = "ويقول إن ثقافة السلامة وعملياتها تراجعت لصالح المنتجات اللامعة في الشركة"


def _arabic_declared_latin1() -> bytes:
    """Arabic saved as windows-1256 by a CMS that declares ISO-8859-1."""
    body = rss([(ARABIC_TITLE, "https://news.example/ar", ARABIC_TEXT)], encoding="windows-1256")
    return body.replace(b'encoding="windows-1256"', b'encoding="iso-8859-1"')


def test_broken_and_lying_encodings_end_safe(project, feeds, figures) -> None:
    invalid = rss([("Leike XX resigns", "https://news.example/invalid", "d")]).replace(
        b"XX", b"\xff\xfe\xc3("
    )
    arabic = _arabic_declared_latin1()
    latin = rss([("Café Leike", "https://news.example/cafe", "d")], encoding="latin-1").replace(
        b'encoding="latin-1"', b'encoding="utf-8"'
    )
    hostile = {
        "invalid-utf8": serve_bytes(invalid),
        "arabic-as-latin1": serve_bytes(arabic),
        "latin1-as-utf8": serve_bytes(latin),
    }
    outcome = poll_hostile(project, feeds, hostile, figures, "encodings")
    for source_id in hostile:
        assert outcome.status(source_id) == "ok", (source_id, outcome.error(source_id))
        assert project.item_count(source_id) == 1, source_id
    assert "Leike" in _stored_text(project, "invalid-utf8")
    assert "Café" in _stored_text(project, "latin1-as-utf8")
    assert ARABIC_TITLE in _stored_text(project, "arabic-as-latin1")


FORBIDDEN_IN_DIGEST = (
    "<script", "onclick", "onmouseover", "onerror", "onload", "javascript:", "data:text",
    "expression(", "tracker.example", "evil.example", "<iframe", "<style", "<svg",
)  # fmt: skip


def test_hostile_html_and_header_injection_never_reach_a_digest(project, feeds, figures) -> None:
    """Scripts, handlers, javascript:/data: links, CSS expressions, tracking pixels; a title
    with CR/LF that tries to add a Bcc header to the digest mail."""
    body = rss(
        [
            ("Jan Leike <b>resigns</b>", "https://news.example/html", HOSTILE_HTML),
            (
                "Leike\r\nBcc: victim@example.com\r\nX-Injected: 1",
                "https://news.example/crlf",
                "Leike said\r\nmore.",
            ),
        ],
        dates=[_recent(), _recent()],
    )
    outcome = poll_hostile(project, feeds, {"html": serve_bytes(body)}, figures, "html-crlf")
    assert outcome.status("html") == "ok", outcome.error("html")
    titles = [row["title"] for row in project.query("SELECT title FROM items")]
    assert all("\r" not in title and "\n" not in title for title in titles), titles

    project.append(
        """
        channels:
          - {id: inbox, email: ["reader@example.com"]}
        smtp: {host: 127.0.0.1, port: 2525, sender: "watcher@example.net"}
        digests:
          - {id: daily, at: "07:00", send_to: [inbox]}
        """
    )
    out = project.root / "preview"
    project.ok("digest", "preview", "--since", "7d", "--out", str(out))
    html = (out / "digest.html").read_text(encoding="utf-8")
    assert "resigns" in html and "Canary" in html, "the items are in the digest"
    lowered = html.lower()
    for forbidden in FORBIDDEN_IN_DIGEST:
        assert forbidden not in lowered, forbidden
    mail = message_from_bytes((out / "digest.eml").read_bytes())
    assert mail["Bcc"] is None and mail["X-Injected"] is None
    headers = (out / "digest.eml").read_bytes().split(b"\r\n\r\n", 1)[0].split(b"\n")
    assert not any(line.lstrip().lower().startswith((b"bcc:", b"x-injected:")) for line in headers)


EXTREME_DATES = [
    "Sat, 01 Jan 0000 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Mon, 01 Jan 0001 00:00:00 -1200",
    "Fri, 31 Dec 9999 23:59:59 +1400",
    "not a date at all",
]


def test_dates_in_year_0_and_9999_end_safe(project, feeds, figures) -> None:
    entries = [
        (f"Leike date {n}", f"https://news.example/date/{n}", "d")
        for n in range(len(EXTREME_DATES))
    ]
    body = rss(entries, dates=EXTREME_DATES)
    outcome = poll_hostile(project, feeds, {"dates": serve_bytes(body)}, figures, "dates")
    assert outcome.status("dates") == "ok", outcome.error("dates")
    assert project.item_count("dates") == len(EXTREME_DATES)
    now = datetime.now(UTC).replace(tzinfo=None)
    for row in project.query("SELECT published_at FROM items"):
        published = datetime.fromisoformat(str(row["published_at"]))
        assert published <= now + timedelta(days=1), "a 9999 date is clamped to first seen"
    items = project.json_lines("items")
    assert len(items) == len(EXTREME_DATES) + 1
    project.ok("items")
    project.append(
        """
        timezone: Pacific/Kiritimati
        channels:
          - {id: hook, webhook: "http://127.0.0.1:9/hook"}
        digests:
          - {id: daily, at: "07:00", send_to: [hook]}
        """
    )
    project.ok("digest", "preview", "--since", "30d", "--out", str(project.root / "p"))


# --- archives answering garbage ----------------------------------------------------------------


def _garbage(handler: BaseHTTPRequestHandler) -> None:
    send_body(handler, b"\x00\xffNOT CDX {[<<<\n" * 1000, "text/plain")


def test_an_archive_answering_garbage_is_an_error_on_its_source(project, feeds, figures) -> None:
    feeds.routes["/cdx/search/cdx"] = _garbage
    base_url = feeds.url("").rstrip("/")
    outcome = poll_hostile(
        project,
        feeds,
        {},
        figures,
        "archive-garbage",
        settings=f'archive: {{base_url: "{base_url}"}}',
        archives={"archived": "x.com/janleike"},
    )
    assert outcome.status("archived").startswith("failing"), outcome.sources["archived"]
    error = outcome.error("archived")
    assert error and not error.startswith("unexpected error"), error


# --- the real-world corpus ---------------------------------------------------------------------

CONTENT_TYPES = {".json": "application/feed+json", ".atom": "application/atom+xml"}


@pytest.mark.slow
def test_every_corpus_file_through_poll_once(project, feeds, figures, corpus_dir: Path) -> None:
    files = sorted(
        path
        for path in corpus_dir.rglob("*")
        if path.is_file() and path.name not in {"manifest.tsv", "SOURCES.md"}
    )
    hostile: dict[str, Handler | str] = {}
    for index, path in enumerate(files):
        body = path.read_bytes()
        content_type = CONTENT_TYPES.get(path.suffix, "application/xml")
        hostile[f"c{index:04d}"] = serve_bytes(body, content_type)
    outcome = poll_hostile(project, feeds, hostile, figures, "corpus")
    failing = {sid: outcome.error(sid) for sid in hostile if outcome.error(sid)}
    ok = [sid for sid in hostile if outcome.status(sid) == "ok"]
    figures["hostile:corpus"] = {
        "peak_rss_mb": figures["hostile:corpus"]["peak_rss_mb"],
        "seconds": figures["hostile:corpus"]["seconds"],
        "files": len(files),
        "ok": len(ok),
        "failing": sorted(set(failing.values())),
    }
    assert len(ok) + len(failing) == len(files), "every corpus source was polled"
    assert project.item_count() > len(files)
