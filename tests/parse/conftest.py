"""Helpers for the parse tests: fixture feeds and a one-call parser with a fixed source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from watcher.model import ParsedFeed
from watcher.parse import parse_feed

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
FEED_URL = "https://example.org/feed"


def parse(body: bytes, content_type: str | None = None) -> ParsedFeed:
    return parse_feed(body, source_id="test", url=FEED_URL, content_type=content_type)


def rss(items: str, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    """A minimal RSS 2.0 document around ``items``."""
    return (
        f'{declaration}\n<rss version="2.0"><channel><title>T</title>'
        f"<link>https://example.org/</link>{items}</channel></rss>"
    )


@pytest.fixture
def feed_bytes() -> Callable[[str], bytes]:
    return lambda name: (FEEDS / name).read_bytes()
