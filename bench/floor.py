"""The floor: what any feedparser-based poller must at least spend on the same feeds.

A pool of threads GETs every feed (conditionally, with the validators a previous pass saved)
and parses each 200 body; nothing is normalised, matched or stored. Run as its own process so
its CPU can be measured alone::

    python bench/floor.py URL --state floor.json [--workers 8] [--parser fastfeedparser]

It prints one JSON line: how many feeds answered 200, 304 or failed, and the entries parsed.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

Validators = dict[str, str]


def parser_for(name: str) -> Callable[[bytes, dict[str, str]], int]:
    """A function body → number of entries, with the named library."""
    if name == "fastfeedparser":
        import fastfeedparser

        return lambda body, _headers: len(fastfeedparser.parse(body).entries)
    import feedparser

    return lambda body, headers: len(feedparser.parse(body, response_headers=headers).entries)


def poll(
    urls: list[str],
    state: dict[str, Validators],
    workers: int,
    timeout: float,
    parse: Callable[[bytes, dict[str, str]], int],
) -> Counter[str]:
    """One pass over ``urls``; ``state`` is read for validators and updated in place."""
    local = threading.local()

    def one(url: str) -> tuple[str, int]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        headers = {}
        known = state.get(url, {})
        if "etag" in known:
            headers["If-None-Match"] = known["etag"]
        if "last_modified" in known:
            headers["If-Modified-Since"] = known["last_modified"]
        try:
            response = session.get(url, headers=headers, timeout=timeout)
        except requests.RequestException:
            return "failed", 0
        if response.status_code == 304:
            return "304", 0
        if response.status_code != 200:
            return "failed", 0
        content_type = response.headers.get("content-type", "")
        entries = parse(response.content, {"content-type": content_type})
        state[url] = {
            key: value
            for key, value in (
                ("etag", response.headers.get("etag")),
                ("last_modified", response.headers.get("last-modified")),
            )
            if value
        }
        return "200", entries

    counts: Counter[str] = Counter()
    with ThreadPoolExecutor(workers) as pool:
        for outcome, entries in pool.map(one, urls):
            counts[outcome] += 1
            counts["entries"] += entries
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the farm, like http://127.0.0.1:8000")
    parser.add_argument("--state", type=Path, required=True, help="validators, read and written")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--parser", choices=["feedparser", "fastfeedparser"], default="feedparser")
    args = parser.parse_args(argv)
    response = requests.get(f"{args.url}/_control/manifest", timeout=60)
    manifest: list[dict[str, Any]] = response.json()
    state = json.loads(args.state.read_text()) if args.state.exists() else {}
    urls = [args.url + feed["path"] for feed in manifest]
    counts = poll(urls, state, args.workers, args.timeout, parser_for(args.parser))
    args.state.write_text(json.dumps(state))
    print(json.dumps(dict(counts)))


if __name__ == "__main__":
    main()
