"""Main-text extraction: accuracy and CPU per page of trafilatura (what watcher uses) and,
when it is installed, readability-lxml, on the test pages in ``tests/fixtures/articles``.

    .venv/bin/python bench/extraction.py             # trafilatura, as watcher calls it
    .venv/bin/pip install readability-lxml && .venv/bin/python bench/extraction.py

Accuracy is token-level precision and recall against each page's ``.txt``; CPU is the mean
process time of ``ROUNDS`` extractions, and "large" is the first page with 400 more reader
comments and a 100 kB inline script (~250 kB, the size of a heavy news page).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.parse.test_article import CHARSETS, NAMES, PAGES, accuracy  # noqa: E402
from watcher.parse.article import extract_main_text  # noqa: E402

ROUNDS = 20
Extractor = Callable[[bytes, str | None], str]


def watcher_trafilatura(body: bytes, content_type: str | None) -> str:
    return extract_main_text(body, url="https://example.org/page", content_type=content_type)


def readability_lxml() -> Extractor | None:
    try:
        from lxml import html
        from readability import Document
    except ImportError:
        return None

    def extract(body: bytes, content_type: str | None) -> str:
        summary = Document(body).summary(html_partial=True)
        return " ".join(html.fromstring(summary).text_content().split())

    return extract


def large_page() -> bytes:
    page = (PAGES / "en-circuit.html").read_text(encoding="utf-8")
    comment = re.search(r'<li class="comment">.*?</li>', page, re.S)
    assert comment is not None
    page = page.replace('<ol class="comment-list">', '<ol class="comment-list">' + comment[0] * 400)
    script = "<script>var x='" + "a" * 100_000 + "';</script></head>"
    return page.replace("</head>", script).encode("utf-8")


def cpu_ms(extract: Extractor, body: bytes, content_type: str | None) -> float:
    started = time.process_time()
    for _ in range(ROUNDS):
        extract(body, content_type)
    return (time.process_time() - started) / ROUNDS * 1000


def measure(name: str, extract: Extractor) -> None:
    print(f"\n{name}\n{'page':12} {'precision':>9} {'recall':>7} {'CPU ms':>7}")
    totals = [0.0, 0.0, 0.0]
    for page in NAMES:
        body = (PAGES / f"{page}.html").read_bytes()
        content_type = CHARSETS.get(page, "text/html; charset=utf-8")
        expected = (PAGES / f"{page}.txt").read_text(encoding="utf-8")
        precision, recall = accuracy(extract(body, content_type), expected)
        cpu = cpu_ms(extract, body, content_type)
        for index, value in enumerate((precision, recall, cpu)):
            totals[index] += value
        print(f"{page:12} {precision:9.3f} {recall:7.3f} {cpu:7.1f}")
    mean = [total / len(NAMES) for total in totals]
    print(f"{'mean':12} {mean[0]:9.3f} {mean[1]:7.3f} {mean[2]:7.1f}")
    print(f"{'large':12} {'':9} {'':7} {cpu_ms(extract, large_page(), None):7.1f}")


def main() -> None:
    measure("trafilatura (watcher.parse.article)", watcher_trafilatura)
    other = readability_lxml()
    if other is None:
        print("\nreadability-lxml is not installed: pip install readability-lxml to compare")
    else:
        measure("readability-lxml", other)


if __name__ == "__main__":
    main()
