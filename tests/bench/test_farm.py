"""The benchmark's feed farm tells the truth: 304 only for an unchanged body, new validators
after a change, real failures where it says so. A few feeds, no timing."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

FARM = Path(__file__).resolve().parents[2] / "bench" / "farm.py"


class Farm:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port

    def get(self, path: str, **headers: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        connection.request(
            "GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = connection.getresponse()
        response.read()
        return response

    def body(self, path: str) -> tuple[http.client.HTTPResponse, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        connection.request("GET", path)
        response = connection.getresponse()
        return response, response.read()

    def control(self, path: str) -> object:
        return json.loads(self.body(f"/_control/{path}")[1])


@pytest.fixture(scope="module")
def farm() -> Iterator[Farm]:
    process = subprocess.Popen(
        [sys.executable, str(FARM), "serve", "--feeds=24", "--entries=5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("READY "), line
        yield Farm(line.split()[1])
    finally:
        process.terminate()
        process.wait(timeout=10)


def healthy_paths(farm: Farm) -> list[str]:
    manifest = farm.control("manifest")
    assert isinstance(manifest, list)
    return [feed["path"] for feed in manifest if feed["behaviour"] == "ok"]


def test_bodies_are_feeds_with_validators(farm: Farm) -> None:
    response, body = farm.body(healthy_paths(farm)[0])
    assert response.status == 200
    assert response.getheader("ETag") and response.getheader("Last-Modified")
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    assert len(parsed.entries) == 5


def test_304_only_when_the_validator_matches(farm: Farm) -> None:
    path = healthy_paths(farm)[1]
    first = farm.get(path)
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    assert farm.get(path, If_None_Match=etag).status == 304
    assert farm.get(path, If_Modified_Since=modified).status == 304
    assert farm.get(path, If_None_Match='"stale"').status == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2).
    assert farm.get(path, If_None_Match='"stale"', If_Modified_Since=modified).status == 200


def test_churn_changes_exactly_the_feeds_it_reports(farm: Farm) -> None:
    paths = healthy_paths(farm)
    before = {path: farm.get(path).getheader("ETag") for path in paths}
    changed = farm.control("churn?share=0.25&seed=3")
    assert isinstance(changed, dict)
    assert len(changed["changed"]) == round(len(paths) * 0.25)
    for path in paths:
        status = farm.get(path, If_None_Match=before[path]).status
        assert status == (200 if path in changed["changed"] else 304), path


def test_failing_feed_answers_500(farm: Farm) -> None:
    manifest = farm.control("manifest")
    assert isinstance(manifest, list)
    failing = [feed["path"] for feed in manifest if feed["behaviour"] == "error"]
    assert failing
    assert farm.get(failing[0]).status == 500
