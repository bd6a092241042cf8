"""Every file of the shared real-world corpus goes through parse_feed + normalise_entry.

Ill-formed files end as a ``ParseError`` or a partial result, never as a crash. Files the
manifest calls ``other`` (HTML pages, gzip bytes, non-feed XML) must be refused, and every real
publisher's RSS/Atom/JSON feed must be accepted.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.errors import ParseError
from watcher.normalise import normalise_entry
from watcher.parse import parse_feed

FEED_URL = "https://example.org/feed"
SEEN = datetime(2026, 1, 1, tzinfo=UTC)


def _manifest(corpus_dir: Path) -> list[dict[str, str]]:
    with (corpus_dir / "manifest.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.slow
def test_every_corpus_file_parses_and_normalises_without_crashing(corpus_dir: Path):
    outcomes: dict[str, str] = {}
    for row in _manifest(corpus_dir):
        body = (corpus_dir / row["path"]).read_bytes()
        try:
            feed = parse_feed(body, source_id="corpus", url=FEED_URL)
        except ParseError as error:
            assert error.reason.startswith("not a feed:"), row["path"]
            outcomes[row["path"]] = "refused"
            continue
        items = [
            normalise_entry(
                entry,
                source_id="corpus",
                feed_url=FEED_URL,
                seen_at=SEEN,
                owner=None,
                languages=["en", "ar"],
            )
            for entry in feed.entries
        ]
        for item in filter(None, items):
            assert item.key and item.published.tzinfo is not None, row["path"]
            assert not any(ch in item.title for ch in "\r\n\t"), row["path"]
        outcomes[row["path"]] = "accepted"
    rows = _manifest(corpus_dir)
    assert all(outcomes[r["path"]] == "refused" for r in rows if r["kind"] == "other")
    publishers = [r for r in rows if r["kind"] == "real-publisher" and r["format"] != "unknown"]
    assert all(outcomes[r["path"]] == "accepted" for r in publishers)
