"""Proof that the lxml fast path gives exactly feedparser's result wherever it accepts a body.

Every file of the shared real-world corpus (manifest.tsv) and every XML fixture in
tests/fixtures/feeds/ is prepared once (``prepare_xml``: the decoding both paths share) and read
by both paths. Wherever ``parse_fast`` accepts, its ``ParsedFeed`` must EQUAL the feedparser
path's (``parse_prepared``) as dataclasses: feed ``title``, ``link``, ``language``,
``warning``, ``next_page``, and for every entry, in order, ``guid``, ``link``, ``title``,
``summary``, ``content`` (the raw HTML strings, character for character: no normalisation
leeway is needed or given), ``author``, ``published``, ``updated``, ``language`` and ``extra``.
Where the two would differ, the fast path must refuse (``NotForFastPathError``), never this test
bend. The share of files it accepts is checked too, so a fast path that refuses everything
cannot pass.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pytest

from watcher.parse.fast import NotForFastPathError, parse_fast
from watcher.parse.feed import parse_prepared, prepare_xml

from .conftest import FEED_URL, FEEDS

MIN_CORPUS_ACCEPTED = 0.40  # of the corpus's XML files; measured 0.42 and rising


def _accepted_equal(body: bytes, name: str) -> bool:
    """True when the fast path accepts ``body`` (and then asserts equality), False if it refuses."""
    prepared = prepare_xml(body)
    try:
        fast = parse_fast(prepared, url=FEED_URL)
    except NotForFastPathError:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # feedparser's updated→published
        slow = parse_prepared(prepared, url=FEED_URL)
    assert slow is not None, name
    assert (fast.title, fast.link, fast.language, fast.warning, fast.next_page) == (
        slow.title,
        slow.link,
        slow.language,
        slow.warning,
        slow.next_page,
    ), name
    assert len(fast.entries) == len(slow.entries), name
    for number, (mine, theirs) in enumerate(zip(fast.entries, slow.entries, strict=True)):
        assert mine == theirs, f"{name} entry {number}"
    assert fast == slow, name
    return True


@pytest.mark.parametrize("path", sorted(FEEDS.glob("*.xml")), ids=lambda path: path.name)
def test_fixtures_read_alike_by_both_paths(path: Path):
    assert _accepted_equal(path.read_bytes(), path.name)


@pytest.mark.slow
def test_every_corpus_file_the_fast_path_accepts_reads_alike(corpus_dir: Path):
    with (corpus_dir / "manifest.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    outcomes = {}
    for row in rows:
        body = (corpus_dir / row["path"]).read_bytes()
        if body.lstrip()[:1] in (b"{", b"["):
            continue  # JSON Feed: neither XML path reads it
        outcomes[row["path"]] = _accepted_equal(body, row["path"])
    accepted = sum(outcomes.values())
    assert accepted >= MIN_CORPUS_ACCEPTED * len(outcomes), f"{accepted}/{len(outcomes)}"
