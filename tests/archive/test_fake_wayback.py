"""The fake Wayback answers like the real CDX API, so tests built on it mean something."""

from __future__ import annotations

import json

import requests


def cdx(wayback, **params: str) -> requests.Response:
    return requests.get(f"{wayback.base_url}/cdx/search/cdx", params=params, timeout=5)


def test_prefix_match_ignores_scheme_www_port_and_case(wayback) -> None:
    wayback.add("20240101000000", "http://www.Twitter.com:80/Sama/status/1", body=b"a")
    wayback.add("20240102000000", "https://twitter.com/sama/status/2", body=b"b")
    wayback.add("20240103000000", "https://twitter.com/samaltman/status/3", body=b"c")
    rows = cdx(wayback, url="twitter.com/sama/status/*", output="json", fl="original").json()
    assert rows == [
        ["original"],
        ["http://www.Twitter.com:80/Sama/status/1"],
        ["https://twitter.com/sama/status/2"],
    ]
    exact = cdx(wayback, url="twitter.com/sama/status/2", output="json", fl="timestamp").json()
    assert exact == [["timestamp"], ["20240102000000"]]


def test_from_to_filter_and_collapse(wayback) -> None:
    for day, status, body in [("01", "200", b"x"), ("02", "200", b"x"), ("03", "302", b"y"),
                              ("04", "200", b"z"), ("05", "200", b"w")]:  # fmt: skip
        wayback.add(f"202405{day}120000", "https://x.com/a/status/1", body=body, statuscode=status)
    params = {"url": "x.com/a/status/*", "output": "json", "fl": "timestamp"}
    ok = cdx(wayback, **params, filter="statuscode:200", collapse="digest").json()
    assert [r[0] for r in ok[1:]] == ["20240501120000", "20240504120000", "20240505120000"]
    window = cdx(wayback, **params, **{"from": "20240502", "to": "20240504"}).json()
    assert [r[0] for r in window[1:]] == ["20240502120000", "20240503120000", "20240504120000"]
    redirects = cdx(wayback, **params, filter="!statuscode:200").json()
    assert [r[0] for r in redirects[1:]] == ["20240503120000"]


def test_resume_keys_page_through_everything_once(wayback) -> None:
    for n in range(5):
        wayback.add(f"2024050{n + 1}000000", f"https://x.com/a/status/{n}", body=str(n).encode())
    params = {"url": "x.com/a/status/*", "output": "json", "fl": "original", "limit": "2",
              "showResumeKey": "true"}  # fmt: skip
    seen, key, pages = [], None, 0
    while True:
        page = cdx(wayback, **params, **({"resumeKey": key} if key else {})).json()
        pages += 1
        key = page[-1][0] if len(page) > 2 and page[-2] == [] else None
        seen += [row[0] for row in (page[1:-2] if key else page[1:])]
        if not key:
            break
    assert pages == 3
    assert seen == [f"https://x.com/a/status/{n}" for n in range(5)]


def test_text_output_and_empty_json(wayback) -> None:
    wayback.add("20240501000000", "https://x.com/a/status/1", body=b"x")
    text = cdx(wayback, url="x.com/a/status/*", fl="timestamp,statuscode").text
    assert text == "20240501000000 200\n"
    assert json.loads(cdx(wayback, url="x.com/b/status/*", output="json").text) == []


def test_snapshots_are_served_raw_and_logged(wayback) -> None:
    wayback.add("20240501000000", "https://x.com/a/status/1?s=20", body=b"<html>post</html>")
    found = requests.get(
        f"{wayback.base_url}/web/20240501000000id_/https://x.com/a/status/1?s=20", timeout=5
    )
    assert found.status_code == 200 and found.content == b"<html>post</html>"
    missing = requests.get(f"{wayback.base_url}/web/20240502000000id_/https://x.com/a", timeout=5)
    assert missing.status_code == 404
    assert wayback.snapshots == [
        "20240501000000 https://x.com/a/status/1?s=20",
        "20240502000000 https://x.com/a",
    ]


def test_injected_failures_carry_retry_after(wayback) -> None:
    wayback.fail_next(1, status=429, retry_after="12")
    first = cdx(wayback, url="x.com/a/status/*")
    assert first.status_code == 429 and first.headers["Retry-After"] == "12"
    assert cdx(wayback, url="x.com/a/status/*").status_code == 200
