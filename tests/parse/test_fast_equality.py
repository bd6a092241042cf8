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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watcher.parse.fast import NotForFastPathError, parse_fast
from watcher.parse.feed import parse_prepared, prepare_xml

from .conftest import FEED_URL, FEEDS

MIN_CORPUS_ACCEPTED = 0.70  # of the corpus's XML files; measured 0.74 (278 of 377)


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


# --- generated feeds: random mixes of the elements whose order and repetition feedparser's
# state machine is sensitive to ------------------------------------------------------------------

_TEXTS = [
    "",
    " x ",
    "a &amp; b",
    "&lt;b&gt;b&lt;/b&gt;",
    "caf\u00c3\u00a9",
    "\u0092q",
    "نص",
    "<![CDATA[<p>c</p>]]>",
]
_RSS_PARTS = [
    "<title>{t}</title>", "<dc:title>{t}</dc:title>", "<media:title>{t}</media:title>",
    "<description>{t}</description>", "<itunes:summary>{t}</itunes:summary>",
    "<content:encoded>{t}</content:encoded>", "<atom:content type='html'>{t}</atom:content>",
    "<link>https://e.example/{n}?a=1&amp;b=2</link>", "<link></link>", "<link>/rel/{n}</link>",
    "<atom:link rel='alternate' type='{k}' href='/a/{n}'/>", "<atom:link rel='next' href='?p={n}'/>",
    "<guid>https://e.example/g{n}</guid>", "<guid isPermaLink='false'>g{n}</guid>",
    "<guid isPermaLink='True'>/g{n}</guid>", "<pubDate>Wed, 0{n} May 2024 08:00:00 +0200</pubDate>",
    "<dc:date>2024-05-0{n}T00:00:00Z</dc:date>", "<pubDate>{t}</pubDate>",
    "<author>a{n}@b.example (Ann {n})</author>", "<dc:creator>{t}</dc:creator>",
    "<itunes:author>Bo</itunes:author>", "<dc:language>fr-CA</dc:language>", "<source url='s'>{t}</source>",
    "<media:content url='u'><media:title>{t}</media:title><media:description>{t}</media:description></media:content>",
    "<enclosure url='https://e.example/a.mp3' type='audio/mpeg'/>", "<category>c</category>",
]  # fmt: skip
_NS = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:atom="http://www.w3.org/2005/Atom"'
)


@st.composite
def _rss_feeds(draw: st.DrawFn) -> str:
    def part() -> str:
        template = draw(st.sampled_from(_RSS_PARTS))
        text = draw(st.sampled_from(_TEXTS))
        kind = draw(st.sampled_from(["text/html", "html", "application/pdf"]))
        return template.format(t=text, n=draw(st.integers(1, 9)), k=kind)

    channel = "".join(part() for _ in range(draw(st.integers(0, 3))))
    items = []
    for _ in range(draw(st.integers(0, 3))):
        language = draw(
            st.sampled_from(
                ["", ' xml:lang="ar"', ' xml:lang=""', ' xml:base="https://b.example/d/"']
            )
        )
        items.append(
            f"<item{language}>"
            + "".join(part() for _ in range(draw(st.integers(0, 7))))
            + "</item>"
        )
    lang = draw(st.sampled_from(["", ' xml:lang="en_US"']))
    return f'<rss version="2.0" {_NS}{lang}><channel>{channel}{"".join(items)}</channel></rss>'


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rss_feeds())
def test_generated_feeds_read_alike_wherever_the_fast_path_accepts(body: str):
    _accepted_equal(body.encode(), body)
