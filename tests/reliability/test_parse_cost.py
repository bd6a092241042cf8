"""Parsing costs CPU time linear in what a hostile feed sends, whatever its shape.

Each shape of tests/reliability/shapes.py is parsed the way a poll parses it (``parse_feed``:
the fast path, feedparser where it refuses) under a CPU budget of 1 s per MB plus a constant.
Found quadratic and fixed (issue 12): one element with 100,000 attributes (lxml and the
standard SAX reader both looked each value up by name), XHTML 250 deep (generators nested per
level), and a non-UTF-8 body of repeated ``<?xml`` (an unanchored regex in decoding).
feedparser alone reads the shapes denser in tags than a feed; they cost 5-7 CPU-s per MB until
feedparser was given at most a real feed's density of tags and an ill-formed body was read once.
"""

from __future__ import annotations

import gc
import time
from contextlib import suppress
from typing import Any

import feedparser.api
import pytest

from tests.fetch.conftest import RawServer
from tests.parse.test_fast_equality import _accepted_equal
from tests.reliability.conftest import serve_bytes
from tests.reliability.feeds import rss
from tests.reliability.harness import Project
from tests.reliability.hostile import Handler
from tests.reliability.shapes import SHAPES, body
from tests.reliability.test_hostile import poll_hostile
from watcher.errors import ParseError
from watcher.parse import parse_feed
from watcher.parse.feed import parse_prepared, prepare_xml

MB = 1_000_000
QUICK = 200_000  # bytes: before the fixes, each quadratic shape already blew its budget here
PER_MB = 1.0  # CPU-s per MB
CONSTANT = 0.4  # CPU-s: start-up of the parsers, noise of a shared machine
Figures = dict[str, dict[str, Any]]
ATTRIBUTE_SHAPES = [name for name in SHAPES if name.startswith("attributes-on")]


def _parse_cpu_seconds(data: bytes) -> float:
    """CPU time of the parse alone: what the test process holds is frozen out of the garbage
    collector's way."""
    gc.collect()
    gc.freeze()
    started = time.process_time()
    try:
        with suppress(ParseError):
            parse_feed(data, source_id="shape", url="https://news.example/feed.xml")
    finally:
        seconds = time.process_time() - started
        gc.unfreeze()
    return seconds


def _check_budget(name: str, size: int, figures: Figures) -> None:
    data = body(name, size)
    seconds = _parse_cpu_seconds(data)
    megabytes = len(data) / MB
    budget = PER_MB * megabytes + CONSTANT
    figures[f"parse-cost:{name}:{size}"] = {
        "megabytes": round(megabytes, 2),
        "cpu_seconds": round(seconds, 3),
        "budget": round(budget, 2),
    }
    assert seconds <= budget, f"{name}: {seconds:.2f} CPU-s for {megabytes:.2f} MB"


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_shape_parses_within_its_budget(name: str, figures: Figures) -> None:
    _check_budget(name, QUICK, figures)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_shape_at_1_mb_parses_within_its_budget(name: str, figures: Figures) -> None:
    _check_budget(name, MB, figures)


@pytest.mark.parametrize("name", ATTRIBUTE_SHAPES)
def test_many_attributes_are_read_by_the_fast_path_as_feedparser_reads_them(name: str) -> None:
    """5,000 attributes take the fast path's linear branch; the result is feedparser's."""
    assert _accepted_equal(body(name, 50_000), name)


def test_feedparser_reads_alike_through_the_linear_sax_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The indexed attributes change feedparser's cost, never what it reads."""
    attributes = " ".join(f'a{n}="{n}"' for n in range(40))
    data = (
        '<?xml version="1.0"?><!DOCTYPE rss><rss version="2.0" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title>'
        f'<item {attributes} xml:lang="ar"><title {attributes}>x</title>'
        f'<atom:link {attributes} REL="Alternate" href="/a" atom:type="text/html"/>'
        f'<guid isPermaLink="false" {attributes}>g</guid></item></channel></rss>'
    ).encode()
    prepared = prepare_xml(data)
    linear = parse_prepared(prepared, url="https://news.example/feed.xml")
    monkeypatch.setattr(feedparser.api, "PREFERRED_XML_PARSERS", [])
    monkeypatch.setattr("watcher.parse.sax.use", lambda: None)
    standard = parse_prepared(prepared, url="https://news.example/feed.xml")
    assert linear == standard
    assert linear is not None and linear.entries[0].language == "ar"


@pytest.mark.slow
def test_costly_shapes_beside_two_good_feeds_leave_polling_going(
    project: Project, feeds: RawServer, figures: Figures
) -> None:
    """An attribute bomb, deep XHTML and a lying declaration in one poll: the good feeds are
    stored, every hostile source is read (they are valid feeds) within the poll's time limit."""
    hostile: dict[str, Handler | str] = {
        name: serve_bytes(body(name, MB))
        for name in ("attributes-on-item", "attributes-with-doctype", "xhtml-deep-and-wide")
    }
    hostile["declarations-not-utf8"] = serve_bytes(body("declarations-not-utf8", MB))
    second = ("Leike, second good feed", "https://news.example/second", "Leike again.")
    hostile["second-good"] = serve_bytes(rss([second]))
    outcome = poll_hostile(project, feeds, hostile, figures, "parse-cost")
    assert outcome.status("second-good") == "ok"
    assert project.item_count("second-good") == 1
    for name in ("attributes-on-item", "attributes-with-doctype", "xhtml-deep-and-wide"):
        assert outcome.status(name) == "ok", (name, outcome.error(name))
