"""canonical_url keeps, exactly, the semantics of the w3lib-based version it replaced.

That version resolved the link (``urljoin``), dropped user info, default port and fragment,
removed tracking fields (``url_query_cleaner``) and then ran w3lib's ``canonicalize_url``. w3lib
is no longer a dependency, so its answers are pinned:

- ``data/canonical_urls.jsonl``: hostile URLs, one ``[url, base, expected]`` a line:
  percent-escapes, Unicode paths and hosts, repeated, empty and blank query keys, ``;params``,
  IPv6, ports, odd schemes, control characters, relative links;
- ``data/canonical_corpus.tsv``: for each file of the shared corpus, how many URL-like strings
  it holds (attributes, link elements, bare URLs in text) and a digest of their canonical forms,
  with the corpus feed URL as base and without one (skipped when the corpus is absent).

Both were written by the old implementation (w3lib 2.5.0, Python 3.11), which a hypothesis
property test over generated URLs (the strategies of ``tests/reliability/test_url_properties.py``
and nastier ones) found equal to this one before it was removed, as it did on the corpus.
IPv4-mapped IPv6 hosts are left out: Python 3.13 writes them differently, before and after.

After an intended change of behaviour, re-pin with ``python tests/normalise/test_canonical_reference.py``.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
import sys
from pathlib import Path

import pytest

from watcher.urls import canonical_url

DATA = Path(__file__).resolve().parent / "data"
TABLE = DATA / "canonical_urls.jsonl"
CORPUS_PIN = DATA / "canonical_corpus.tsv"
CORPUS_BASE = "https://example.org/feed"

_ATTRIBUTE = re.compile(
    r"""\b(?:href|src|url|uri|resource|about|domain|xml:base)\s*=\s*(?:"([^"]*)"|'([^']*)')""",
    re.IGNORECASE,
)
_ELEMENT = re.compile(
    r"<((?:\w+:)?(?:link|guid|id|comments|loc|url|uri|icon|logo|docs))\b[^>]*>([^<]*)</\1\s*>",
    re.IGNORECASE,
)
_BARE = re.compile(r"""https?://[^\s"'<>]+""", re.IGNORECASE)


def _table() -> list[tuple[str, str | None, str | None]]:
    with TABLE.open(encoding="ascii") as handle:
        return [tuple(json.loads(line)) for line in handle]  # type: ignore[misc]


@pytest.mark.parametrize(("url", "base", "expected"), _table())
def test_the_pinned_table(url: str, base: str | None, expected: str | None) -> None:
    assert canonical_url(url, base) == expected


def corpus_urls(body: bytes) -> list[str]:
    """Every URL-like string of one corpus file, found in its bytes (not through parse, whose
    choices are not under test here), entities decoded, sorted."""
    text = body.decode("utf-8", "replace")
    found: set[str] = set()
    for markup in (text, html.unescape(text)):  # hrefs inside escaped HTML content too
        found.update(a or b for a, b in _ATTRIBUTE.findall(markup))
        found.update(value for _, value in _ELEMENT.findall(markup))
        found.update(_BARE.findall(markup))
    return sorted({html.unescape(url) for url in found})


def corpus_digest(urls: list[str]) -> str:
    lines = (f"{url}\t{canonical_url(url)}\t{canonical_url(url, CORPUS_BASE)}" for url in urls)
    return hashlib.blake2b("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _pinned() -> dict[str, tuple[int, str]]:
    with CORPUS_PIN.open(encoding="utf-8") as handle:
        rows = csv.reader(handle, delimiter="\t")
        return {path: (int(count), digest) for path, count, digest in rows}


def _corpus_files(corpus_dir: Path) -> list[str]:
    with (corpus_dir / "manifest.tsv").open(encoding="utf-8") as handle:
        return [row["path"] for row in csv.DictReader(handle, delimiter="\t")]


@pytest.mark.slow
def test_every_corpus_url_canonicalises_as_pinned(corpus_dir: Path) -> None:
    pinned = _pinned()
    compared = changed = 0
    for path in _corpus_files(corpus_dir):
        if path not in pinned:
            continue  # a file added to the corpus after the pin
        urls = corpus_urls((corpus_dir / path).read_bytes())
        compared += len(urls)
        if (len(urls), corpus_digest(urls)) != pinned[path]:
            changed += 1
            print(f"{path}: canonical forms differ from the pin")
    assert compared > 20_000 and changed == 0


def pin(corpus_dir: Path) -> None:
    """Rewrite the table's expectations and ``canonical_corpus.tsv`` from ``canonical_url``."""
    rows = [[url, base, canonical_url(url, base)] for url, base, _ in _table()]
    TABLE.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="ascii")
    with CORPUS_PIN.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        for path in _corpus_files(corpus_dir):
            urls = corpus_urls((corpus_dir / path).read_bytes())
            writer.writerow([path, len(urls), corpus_digest(urls)])


if __name__ == "__main__":
    pin(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/corpus/realworld"))
