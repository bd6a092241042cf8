"""A fake Wayback Machine on 127.0.0.1: the CDX API and raw snapshots, from fixture files.

Reusable by any test package: the ``wayback`` fixture gives an empty ``FakeWayback`` (add
captures with ``add``), ``story_wayback`` one loaded with the OpenAI departure captures
(``add_story_captures``). Elsewhere, re-export the fixtures from a conftest with
``from tests.archive.conftest import story_config, story_wayback, wayback, wayback_server``. Every CDX query and snapshot request is logged (``cdx_queries``,
``snapshots``) and failures can be injected (``fail_next``), so tests assert what was asked.

What the CDX endpoint understands, as the real one does: ``url`` with a trailing ``*`` (prefix
match, scheme and ``www.`` ignored, case-insensitive) or ``matchType``; ``from``/``to`` (1-14
digit timestamps); ``output=json`` (header row first) or space-separated lines; ``fl``;
``filter`` (``[!]field:regex``, repeatable); ``collapse`` (``field[:N]``, adjacent rows);
``limit``; ``showResumeKey`` (an empty row, then the key) and ``resumeKey``. Rows come in SURT
order (URL key, then timestamp). Snapshots are served at ``/web/{timestamp}id_/{original}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import textwrap
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from watcher.config import Config

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "archive"
ALL_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


@dataclass
class FakeCapture:
    timestamp: str
    original: str
    body: bytes = b""
    statuscode: str = "200"
    mimetype: str = "text/html"
    snapshot_status: int = 200  # what /web/ answers (404: listed but not retrievable)

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()

    @property
    def urlkey(self) -> str:
        return surt(self.original)

    def field(self, name: str) -> str:
        if name == "length":
            return str(len(self.body))
        return str(getattr(self, name))


def canonical(url: str) -> str:
    """Scheme, default port and ``www.`` dropped, lower-cased: how the CDX server compares URLs."""
    url = re.sub(r"^[a-z]+://", "", url.strip().lower())
    url = re.sub(r"^([^/]+?):(?:80|443)(?=/|$)", r"\1", url)  # default ports, as SURT drops them
    return url.removeprefix("www.")


def surt(url: str) -> str:
    """``https://www.x.com/Sama/status/1?s=2`` → ``com,x)/sama/status/1?s=2``."""
    host, _, rest = canonical(url).partition("/")
    return ",".join(reversed(host.split("."))) + ")/" + rest


@dataclass
class FakeWayback:
    server: HTTPServer
    captures: list[FakeCapture] = field(default_factory=list)
    cdx_queries: list[dict[str, str]] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    failures: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.server.expect_request("/cdx/search/cdx").respond_with_handler(self._cdx)
        self.server.expect_request(re.compile(r"^/web/")).respond_with_handler(self._snapshot)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def add(
        self,
        timestamp: str,
        original: str,
        fixture: str | None = None,
        *,
        body: bytes = b"",
        **options: object,
    ) -> FakeCapture:
        if fixture is not None:
            body = (FIXTURES / fixture).read_bytes()
            if fixture.endswith(".json"):
                options.setdefault("mimetype", "application/json")
        capture = FakeCapture(timestamp, original, body, **options)  # type: ignore[arg-type]
        self.captures.append(capture)
        return capture

    def fail_next(self, times: int = 1, status: int = 503, retry_after: str | None = "0") -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.failures.extend([(status, headers)] * times)

    def froms(self) -> list[str | None]:
        """The ``from`` of every CDX query so far."""
        return [query.get("from") for query in self.cdx_queries]

    # --- the two endpoints -----------------------------------------------------------------

    def _failure(self) -> Response | None:
        if not self.failures:
            return None
        status, headers = self.failures.popleft()
        return Response("slow down", status=status, headers=headers)

    def _cdx(self, request: Request) -> Response:
        self.cdx_queries.append({k: ",".join(request.args.getlist(k)) for k in request.args})
        if failure := self._failure():
            return failure
        args = request.args
        rows = sorted(self._matching(args), key=lambda c: (c.urlkey, c.timestamp))
        rows = _collapse(rows, args.get("collapse"))
        if resume := args.get("resumeKey"):
            rows = [c for c in rows if f"{c.urlkey} {c.timestamp}" > resume]
        fields = args.get("fl", ",".join(ALL_FIELDS)).split(",")
        limit = int(args.get("limit", "0") or 0)
        key = None
        if limit and len(rows) > limit:
            rows = rows[:limit]
            if args.get("showResumeKey") == "true":
                key = f"{rows[-1].urlkey} {rows[-1].timestamp}"
        table = [[c.field(name) for name in fields] for c in rows]
        if args.get("output") == "json":
            document = [fields, *table] if table else []
            if key:
                document += [[], [key]]
            return Response(json.dumps(document), content_type="application/json")
        lines = [" ".join(row) for row in table] + (["", key] if key else [])
        return Response("\n".join(lines) + "\n", content_type="text/plain")

    def _matching(self, args: object) -> Iterator[FakeCapture]:
        get = args.get  # type: ignore[attr-defined]
        url = get("url", "")
        prefix = url.endswith("*") or get("matchType") == "prefix"
        wanted = canonical(url.rstrip("*"))
        start = (get("from") or "").ljust(14, "0")
        end = (get("to") or "").ljust(14, "9") if get("to") else "99999999999999"
        filters = [_filter(text) for text in args.getlist("filter")]  # type: ignore[attr-defined]
        for capture in self.captures:
            here = canonical(capture.original)
            if not (here.startswith(wanted) if prefix else here == wanted):
                continue
            if start <= capture.timestamp <= end and all(test(capture) for test in filters):
                yield capture

    def _snapshot(self, request: Request) -> Response:
        match = re.match(r"^/web/(\d{1,14})id_/(.+)$", request.path)
        query = request.query_string.decode()
        original = (match[2] if match else "") + (f"?{query}" if query else "")
        self.snapshots.append(f"{match[1] if match else '?'} {original}")
        if failure := self._failure():
            return failure
        for capture in self.captures:
            if match and capture.timestamp == match[1] and capture.original == original:
                if capture.snapshot_status != 200:
                    return Response("not in archive", status=capture.snapshot_status)
                return Response(capture.body, content_type=capture.mimetype)
        return Response("not in archive", status=404)


def _filter(text: str) -> Callable[[FakeCapture], bool]:
    negate = text.startswith("!")
    name, _, pattern = text.lstrip("!").partition(":")
    return lambda c: bool(re.fullmatch(pattern, c.field(name))) != negate


def _collapse(rows: list[FakeCapture], spec: str | None) -> list[FakeCapture]:
    if not spec:
        return rows
    name, _, width = spec.partition(":")
    kept: list[FakeCapture] = []
    previous = None
    for row in rows:
        value = row.field(name)[: int(width)] if width else row.field(name)
        if value != previous:
            kept.append(row)
        previous = value
    return kept


@pytest.fixture(scope="session")
def wayback_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def wayback(wayback_server: HTTPServer) -> Iterator[FakeWayback]:
    """An empty fake Wayback Machine (one server for the session, cleared for each test)."""
    wayback_server.clear()
    yield FakeWayback(wayback_server)
    wayback_server.clear()


def add_story_captures(wayback: FakeWayback) -> None:
    """Jan Leike's departure thread, Altman's reply, the joint post: captures of several eras."""
    add = wayback.add
    leike = "1791498174659715494"
    # one post, three captures under the x.com, twitter.com and mobile.twitter.com forms
    add(
        "20240517160512",
        f"https://x.com/janleike/status/{leike}",
        "x2024-janleike-" + leike + ".html",
    )
    add(
        "20240518093544",
        f"https://twitter.com/janleike/status/{leike}",
        "twitter2024-janleike-" + leike + ".html",
    )
    add(
        "20240601120000",
        f"https://mobile.twitter.com/janleike/status/{leike}?s=20",
        "x2024-janleike-" + leike + ".html",
    )
    add(
        "20240517190002",
        "https://x.com/janleike/status/1791540958431506563",
        "api-v2-janleike-1791540958431506563.json",
    )
    add(
        "20240520000000",
        "https://x.com/janleike/status/1791540958431506563/photo/1",
        statuscode="302",
    )
    add("20240520000001", "https://x.com/janleike/status/1790000000000000000", statuscode="404")
    add(
        "20240519101010", "https://x.com/janleike/status/1795000000000000000", "x2024-js-shell.html"
    )
    # Altman's reply, captured four days after it was posted; a profile page under a status URL
    add(
        "20240521093012",
        "https://twitter.com/sama/status/1791543264090472660",
        "x2024-sama-1791543264090472660.html",
    )
    add(
        "20240519120000", "https://x.com/sama/status/1790000000000000000", "x2024-sama-profile.html"
    )
    add(
        "20160927001122",
        "http://twitter.com/sama/status/780524627036459009",
        "legacy2016-sama-780524627036459009.html",
    )
    add(
        "20131111213000",
        "http://twitter.com/sama/status/400000000000000000",
        "legacy2013-sama-400000000000000000.html",
    )
    # the joint post: first captured cut short, then in full under another URL form
    add(
        "20240518170212",
        "https://x.com/gdb/status/1791869138132218351",
        "x2024-gdb-1791869138132218351-truncated.html",
    )
    add(
        "20240522080000",
        "https://twitter.com/gdb/status/1791869138132218351?s=46",
        "x2024-gdb-1791869138132218351-full.html",
    )
    add(
        "20240523000000",
        "https://x.com/gdb/status/1791900000000000000",
        body=b"<html>gone</html>",
        snapshot_status=404,
    )


@pytest.fixture
def story_wayback(wayback: FakeWayback) -> FakeWayback:
    add_story_captures(wayback)
    return wayback


STORY_CONFIG = """\
    allow_private_networks: true
    archive: {{base_url: "{base_url}", rate: 1000}}
    people:
      - id: leike
        name: Jan Leike
        accounts: {{x: janleike, bluesky: janleike.bsky.social}}
      - id: altman
        name: Sam Altman
        accounts: {{x: "@sama"}}
      - id: brockman
        name: Greg Brockman
        accounts: {{x: "https://x.com/gdb", mastodon: "@gdb@mastodon.social"}}
    organizations:
      - id: openai
        name: OpenAI
    stories:
      - id: departures
        title: OpenAI safety departures
        since: 2024-05-15
        match: leike OR "superalignment"
        followups:
          - id: altman-replies
            title: Altman responds
            by: [altman]
          - id: joint-post
            title: Brockman and Altman explain
            by: [brockman, altman]
    sources:
      - {{id: x-janleike, archive: x.com/janleike}}
      - {{id: x-sama, archive: twitter.com/sama}}
      - {{id: x-gdb, archive: "https://x.com/gdb"}}
"""


@pytest.fixture
def story_config(make_config: Callable[[str], Config], story_wayback: FakeWayback) -> Config:
    """The departure story's config, its archive pointed at ``story_wayback``."""
    return make_config(textwrap.dedent(STORY_CONFIG).format(base_url=story_wayback.base_url))
