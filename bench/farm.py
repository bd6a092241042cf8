"""The feed farm: generated feeds on 127.0.0.1, served from pre-rendered bytes.

Run it as its own process so its CPU is not charged to whatever is being measured::

    python bench/farm.py serve --feeds 2000 --entries 20 [--names names.txt]

It prints ``READY http://127.0.0.1:PORT`` once every body is rendered. Every response (200
identity or gzip, 304, 500) is prepared in advance: a request costs a header scan and a write.
Validators are honest: the ETag is a hash of the body, Last-Modified the time of its last
change, and a 304 is sent only when the client's validator matches the current body.

Control (plain GETs, so any client can drive it):

- ``/_control/manifest``: every feed (path, format, language, behaviour) as JSON;
- ``/_control/churn?share=0.1``: give that share of the ``ok`` feeds new entries;
- ``/_control/stats[?reset=1]``: responses counted by kind, and connections that asked for a
  feed, since the last reset.

``python bench/farm.py ceiling URL`` measures the requests/s a trivial client gets from it.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import http.client
import json
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from feeds import FeedSpec, Text, default_epoch, plan_feeds, render

SLOW_SECONDS = 2.0
HANG_SECONDS = 60.0  # a "timeout" feed answers nothing, then drops the connection


@dataclass(slots=True)
class Resource:
    """One feed's current version and every response it can give, ready to write."""

    spec: FeedSpec
    version: int = 0
    etag: str = ""
    last_modified: str = ""
    modified_at: datetime | None = None
    ok: bytes = b""
    ok_gzip: bytes = b""
    not_modified: bytes = b""


@dataclass
class Farm:
    specs: list[FeedSpec]
    entries: int
    text: Text
    seed: int = 1
    epoch: datetime = field(default_factory=lambda: default_epoch(20))
    resources: dict[str, Resource] = field(default_factory=dict)
    stats: Counter[str] = field(default_factory=Counter)

    def build(self) -> None:
        for spec in self.specs:
            resource = Resource(spec)
            published = self.epoch + timedelta(minutes=15 * (self.entries - 1))
            self._render(resource, published)
            self.resources[spec.path] = resource

    def churn(self, share: float, seed: int) -> list[str]:
        """Give ``share`` of the healthy feeds new entries (and new validators); return them."""
        healthy = [r for r in self.resources.values() if r.spec.behaviour == "ok"]
        rng = random.Random(seed)
        chosen = rng.sample(healthy, round(len(healthy) * share))
        now = datetime.now(self.epoch.tzinfo).replace(microsecond=0)
        for resource in chosen:
            resource.version += 1
            # A change is always a new second, so If-Modified-Since stays honest.
            previous = resource.modified_at or now
            self._render(resource, max(now, previous + timedelta(seconds=1)))
        return [r.spec.path for r in chosen]

    def _render(self, resource: Resource, modified_at: datetime) -> None:
        spec = resource.spec
        body = render(spec, resource.version, self.entries, self.text, self.epoch, self.seed)
        resource.etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        resource.modified_at = modified_at
        resource.last_modified = format_datetime(modified_at, usegmt=True)
        kind = "application/rss+xml" if spec.format == "rss" else "application/atom+xml"
        validators = f"ETag: {resource.etag}\r\nLast-Modified: {resource.last_modified}\r\n"
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        resource.ok = _response(200, body, f"Content-Type: {kind}\r\n{validators}")
        resource.ok_gzip = _response(
            200, packed, f"Content-Type: {kind}\r\nContent-Encoding: gzip\r\n{validators}"
        )
        resource.not_modified = _response(304, b"", validators)

    def answer(self, path: str, headers: dict[bytes, bytes]) -> tuple[str, bytes | None]:
        """(kind of response, bytes to send); ``None`` bytes means: do not answer."""
        resource = self.resources.get(path)
        if resource is None:
            return "404", NOT_FOUND
        behaviour = resource.spec.behaviour
        if behaviour == "error":
            return "500", SERVER_ERROR
        if behaviour == "timeout":
            return "timeout", None
        if _not_modified(resource, headers):
            return "304", resource.not_modified
        kind = "slow" if behaviour == "slow" else "200"
        if b"gzip" in headers.get(b"accept-encoding", b""):
            return kind, resource.ok_gzip
        return kind, resource.ok

    def control(self, target: str) -> bytes:
        url = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/_control/manifest":
            payload: object = [
                {
                    "path": s.path,
                    "format": s.format,
                    "language": s.language,
                    "behaviour": s.behaviour,
                }
                for s in self.specs
            ]
        elif url.path == "/_control/churn":
            changed = self.churn(float(query.get("share", "0.1")), int(query.get("seed", "1")))
            payload = {"changed": changed}
        elif url.path == "/_control/stats":
            payload = dict(self.stats)
            if query.get("reset"):
                self.stats.clear()
        else:
            return NOT_FOUND
        body = json.dumps(payload).encode()
        return _response(200, body, "Content-Type: application/json\r\n")


def _not_modified(resource: Resource, headers: dict[bytes, bytes]) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = headers.get(b"if-none-match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.decode("latin-1").split(",")}
        return resource.etag in tags or "*" in tags
    since = headers.get(b"if-modified-since")
    if since is None or resource.modified_at is None:
        return False
    if since.decode("latin-1") == resource.last_modified:
        return True
    try:
        return parsedate_to_datetime(since.decode("latin-1")) >= resource.modified_at
    except (TypeError, ValueError):
        return False


_REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found", 500: "Internal Server Error"}


def _response(status: int, body: bytes, headers: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\n{headers}"
        f"Content-Length: {len(body)}\r\nServer: watcher-bench-farm\r\n\r\n"
    )
    return head.encode("latin-1") + body


NOT_FOUND = _response(404, b"not found\n", "Content-Type: text/plain\r\n")
SERVER_ERROR = _response(500, b"simulated failure\n", "Content-Type: text/plain\r\n")


class FarmProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, GET only; just enough for feed clients."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.counted = False  # counted among the connections that asked for a feed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            self._handle(head)

    def _handle(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        try:
            _method, target, version = lines[0].split(b" ", 2)
        except ValueError:
            self._send(SERVER_ERROR, close=True)
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        close = version == b"HTTP/1.0" or headers.get(b"connection", b"").lower() == b"close"
        path = target.decode("latin-1")
        if path.startswith("/_control/"):
            self._send(self.farm.control(path), close)
            return
        kind, response = self.farm.answer(path.split("?", 1)[0], headers)
        self.farm.stats[kind] += 1
        if not self.counted:  # fewer connections than requests: the client keeps them alive
            self.farm.stats["connections"] += 1
            self.counted = True
        loop = asyncio.get_running_loop()
        if response is None:
            loop.call_later(HANG_SECONDS, self._close)
        elif kind == "slow":
            loop.call_later(SLOW_SECONDS, self._send, response, close)
        else:
            self._send(response, close)

    def _send(self, response: bytes, close: bool) -> None:
        if self.transport is None:
            return
        self.transport.write(response)
        if close:
            self._close()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def serve(farm: Farm, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: FarmProtocol(farm), host, port, backlog=1024)
    bound = server.sockets[0].getsockname()
    print(f"READY http://{bound[0]}:{bound[1]}", flush=True)
    async with server:
        await server.serve_forever()


# --- the ceiling: what a trivial client gets from the farm -----------------------------------


def ceiling(base: str, seconds: float, threads: int) -> dict[str, float]:
    """Requests/s of keep-alive ``http.client`` GETs over the healthy feeds, full bodies.

    Runs in its own process (see ``main``) so client and farm each have their own interpreter.
    """
    manifest = json.loads(_get(base, "/_control/manifest"))
    paths = [f["path"] for f in manifest if f["behaviour"] == "ok"]
    host, port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port or 80
    done: list[tuple[int, int]] = []
    deadline = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        count = size = 0
        while time.perf_counter() < deadline:
            conn.request("GET", paths[(offset + count * threads) % len(paths)])
            size += len(conn.getresponse().read())
            count += 1
        done.append((count, size))

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    requests = sum(c for c, _ in done)
    return {
        "requests_per_s": round(requests / seconds, 1),
        "mb_per_s": round(sum(s for _, s in done) / seconds / 1e6, 1),
        "threads": threads,
    }


def _get(base: str, path: str) -> bytes:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{base}{path}: HTTP {response.status}")
    return body


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="generate the feeds and serve them")
    run.add_argument("--feeds", type=int, default=2000)
    run.add_argument("--entries", type=int, default=20)
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--names", type=Path, help="names to mention, one per line")
    run.add_argument("--mention-share", type=float, default=0.25, help="of entries, mentioning")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=0)
    measure = commands.add_parser("ceiling", help="requests/s a trivial client gets")
    measure.add_argument("url")
    measure.add_argument("--seconds", type=float, default=3.0)
    measure.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    if args.command == "ceiling":
        print(json.dumps(ceiling(args.url, args.seconds, args.threads)))
        return
    names = args.names.read_text(encoding="utf-8").split("\n") if args.names else []
    farm = Farm(
        plan_feeds(args.feeds, args.seed),
        args.entries,
        Text.from_names([n.strip() for n in names if n.strip()], args.mention_share),
        seed=args.seed,
        epoch=default_epoch(args.entries),
    )
    farm.build()
    try:
        asyncio.run(serve(farm, args.host, args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
