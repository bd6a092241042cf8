"""What feedparser is given is bounded: tags no denser than a real feed's, an ill-formed body
read once.

feedparser spends 7-14 µs on each tag, and reads a body expat refuses twice (strict to the
error, then loose). ``bound_tags`` cuts a body denser in tags than any real feed; inside
``sax.refusing`` the strict parse fails at once with the error expat already found. Neither may
change what a real feed reads as: checked on ill-formed samples here and on the whole shared
corpus.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from watcher.model import ParsedFeed
from watcher.parse import sax
from watcher.parse.feed import (
    FEEDPARSER_TAGS,
    bound_tags,
    parse_prepared,
    prepare_xml,
)

URL = "https://news.example/feed.xml"
ILL_FORMED = [
    b'<rss version="2.0"><channel><title>t</title><item><title>Leike<br></title>'
    b"<link>https://news.example/a</link></item></channel></rss>",
    b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
    b'<entry><title>x</title><link href="/a"/><summary><p>open</summary></entry></feed>',
    b"<rss><channel><item><title>unbound</title><x:y>z</x:y></item></channel></rss>",
]


def _read_twice(prepared_body: bytes, monkeypatch: pytest.MonkeyPatch) -> ParsedFeed | None:
    """feedparser as it reads without ``refusing``: strict to the error, then loose."""
    with monkeypatch.context() as patch:
        patch.setattr(sax, "refusing", lambda _error: contextlib.nullcontext())
        return parse_prepared(prepare_xml(prepared_body), url=URL)


@pytest.mark.parametrize("body", ILL_FORMED)
def test_an_ill_formed_body_read_once_reads_as_when_read_twice(
    body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    once = parse_prepared(prepare_xml(body), url=URL)
    assert once is not None and once.warning and once.warning.startswith("ill-formed feed:")
    assert once == _read_twice(body, monkeypatch)


def test_refusing_lasts_only_for_its_block() -> None:
    body = b'<rss version="2.0"><channel><item><title>x<br></title></item></channel></rss>'
    parse_prepared(prepare_xml(body), url=URL)
    well_formed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    )
    feed = parse_prepared(prepare_xml(well_formed), url=URL)
    assert feed is not None and feed.warning is None and feed.title == "t"


def test_a_body_denser_in_tags_than_a_feed_is_cut_at_an_entry_end() -> None:
    entries = b"".join(b"<item><title>%d</title>%s</item>" % (n, b"<x/>" * 40) for n in range(2000))
    data = b'<rss version="2.0"><channel>' + entries + b"</channel></rss>"
    cut, notes = bound_tags(data)
    assert FEEDPARSER_TAGS < cut.count(b"<") < data.count(b"<")
    assert cut.endswith(b"</item></channel></rss>")
    assert notes and "tags" in notes[0]
    feed = parse_prepared(prepare_xml(data), url=URL)
    assert feed is not None and feed.entries[0].title == "0"
    assert feed.warning and "denser in tags than any real one" in feed.warning


def test_a_real_feed_is_never_cut(corpus_dir: Path) -> None:
    files = [path for path in corpus_dir.rglob("*") if path.suffix not in (".md", ".tsv")]
    cut = [path.name for path in files if path.is_file() and bound_tags(path.read_bytes())[1]]
    assert len(files) > 100
    assert cut == []
