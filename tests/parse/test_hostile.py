"""Hostile XML: entity expansion bombs, external entities (XXE), oversized feeds.

feedparser keeps only plain-text entity declarations and expat neither loads external entities
nor expands beyond its amplification limit; these tests keep those facts checked and measure
the peak memory with tracemalloc (no timing asserts).
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from watcher.errors import ParseError
from watcher.model import ParsedFeed
from watcher.parse.feed import MAX_ENTRIES

from .conftest import parse, rss

MiB = 1024 * 1024


def _laughs() -> str:
    """Nine levels of ten references each: 10⁹ "lol"s once expanded."""
    declarations = ['<!ENTITY lol0 "lol">']
    declarations += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return "\n".join(declarations)


def _parse_measured(body: bytes) -> tuple[ParsedFeed | ParseError, int]:
    tracemalloc.start()
    try:
        try:
            result: ParsedFeed | ParseError = parse(body)
        except ParseError as error:
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _all_text(feed: ParsedFeed) -> str:
    return " ".join(f"{e.title} {e.summary} {e.content}" for e in feed.entries)


@pytest.mark.parametrize("separator", ["\n", ""])
def test_billion_laughs_ends_safe_and_small(separator):
    declarations = _laughs().replace("\n", separator)
    body = rss(
        "<item><title>&lol9;</title><link>https://example.org/1</link></item>",
        declaration=f'<?xml version="1.0"?>\n<!DOCTYPE rss [{declarations}]>',
    ).encode()
    result, peak = _parse_measured(body)
    assert peak < 20 * MiB
    if isinstance(result, ParsedFeed):
        assert "lollollol" not in _all_text(result)


@pytest.mark.parametrize("separator", ["\n", ""])
def test_external_entity_never_reads_a_local_file(tmp_path: Path, separator):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doctype = f'<!DOCTYPE rss [{separator}<!ENTITY xxe SYSTEM "{secret.as_uri()}">{separator}]>'
    body = rss(
        "<item><title>&xxe;</title><description>a &xxe; b</description></item>",
        declaration=f'<?xml version="1.0"?>\n{doctype}',
    ).encode()
    result, _ = _parse_measured(body)
    assert "TOP-SECRET" not in (_all_text(result) if isinstance(result, ParsedFeed) else "")
    assert "TOP-SECRET" not in str(result)


def test_parameter_entity_to_a_local_file_is_not_loaded(tmp_path: Path):
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY leak "TOP-SECRET-CONTENT">')
    body = rss(
        "<item><title>&leak;</title></item>",
        declaration=f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY % ext SYSTEM '
        f'"{secret.as_uri()}"> %ext;]>',
    ).encode()
    result, _ = _parse_measured(body)
    assert "TOP-SECRET" not in (_all_text(result) if isinstance(result, ParsedFeed) else "")


@pytest.mark.slow
def test_a_hundred_thousand_entries_are_capped_with_bounded_memory():
    items = "".join(
        f"<item><title>Item {i}</title><link>https://example.org/{i}</link></item>"
        for i in range(100_000)
    )
    body = rss(items).encode()
    result, peak = _parse_measured(body)
    assert isinstance(result, ParsedFeed)
    assert len(result.entries) == MAX_ENTRIES
    assert result.entries[0].title == "Item 0"
    assert result.warning == f"only the first {MAX_ENTRIES} entries were read"
    assert peak < 40 * len(body) / MAX_ENTRIES * 100 + 64 * MiB


def test_capped_atom_and_rdf_stay_well_formed():
    from watcher.parse.feed import cap_entries

    atom = b'<feed xmlns="http://www.w3.org/2005/Atom">' + b"<entry><id>1</id></entry>" * 3
    cut, capped = cap_entries(atom + b"</feed>", limit=2)
    assert capped and cut == atom[: -len(b"<entry><id>1</id></entry>")] + b"</feed>"
    rdf = b"<?xml version='1.0'?><rdf:RDF><channel/>" + b"<item>x</item>" * 3 + b"</rdf:RDF>"
    cut, capped = cap_entries(rdf, limit=1)
    assert cut.endswith(b"<item>x</item></rdf:RDF>") and cut.count(b"<item>") == 1


def test_a_large_ill_formed_body_is_read_only_up_to_the_loose_limit():
    from watcher.parse.feed import LOOSE_MAX

    description = "word <b>unclosed</br> " * 1000
    items = "".join(
        f"<item><title>x {i}</title><description>{description}</description></item>"
        for i in range(3 * LOOSE_MAX // len(description))
    )
    feed = parse(rss(items).encode())
    assert 0 < len(feed.entries) <= LOOSE_MAX // len(description) + 1
    assert f"only the first {LOOSE_MAX // 1_000_000} MB of an ill-formed feed were read" in (
        feed.warning or ""
    )
