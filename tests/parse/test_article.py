"""Main-text extraction of article pages (``watcher.parse.article``), served from 127.0.0.1.

The pages in ``tests/fixtures/articles`` carry what real news pages carry around an article:
cookie banners, navigation, ads inside the text, "read more" links, related stories, author
boxes, newsletter forms and reader comments, in English and Arabic (one in windows-1256 that
says so only in its ``<meta>``). Each ``.txt`` beside a page is its main text, a paragraph a
line. Accuracy is token-level precision and recall of the extracted text against it; run
``pytest tests/parse/test_article.py -s`` to see the table.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from watcher.config import FetchSettings, Source
from watcher.fetch.article import PageFetcher
from watcher.fetch.http import Fetcher
from watcher.model import FULL_TEXT, Item
from watcher.parse.article import (
    ELEMENTS_MAX,
    ArticleReader,
    NoMainText,
    extract_main_text,
)

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
NAMES = sorted(path.stem for path in PAGES.glob("*.html"))
CHARSETS = {"ar-wasat": "text/html"}  # declared only in the page's <meta>
PUBLISHED = datetime(2024, 5, 18, tzinfo=UTC)


def tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.casefold()))


def accuracy(extracted: str, expected: str) -> tuple[float, float]:
    """Token-level (precision, recall) of ``extracted`` against ``expected``."""
    got, want = tokens(extracted), tokens(expected)
    overlap = sum((got & want).values())
    return overlap / max(1, got.total()), overlap / max(1, want.total())


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchSettings()) as opened:
        yield opened


def _serve_pages(httpserver: HTTPServer) -> None:
    for name in NAMES:
        body = (PAGES / f"{name}.html").read_bytes()
        content_type = CHARSETS.get(name, "text/html; charset=utf-8")
        httpserver.expect_request(f"/{name}").respond_with_data(body, content_type=content_type)


def _source(httpserver: HTTPServer) -> Source:
    return Source(id="site", feed=httpserver.url_for("/feed.xml"), full_text=True)


def test_extraction_finds_each_pages_main_text_and_leaves_the_rest(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    _serve_pages(httpserver)
    reader = ArticleReader(PageFetcher(fetcher, burst=len(NAMES)))
    source = _source(httpserver)
    scores = {}
    for name in NAMES:
        text = reader.read(httpserver.url_for(f"/{name}"), source)
        scores[name] = accuracy(text, (PAGES / f"{name}.txt").read_text(encoding="utf-8"))
    for name, (precision, recall) in scores.items():
        print(f"{name:12} precision {precision:.3f} recall {recall:.3f}")
    mean_precision = sum(p for p, _ in scores.values()) / len(scores)
    mean_recall = sum(r for _, r in scores.values()) / len(scores)
    print(f"{'mean':12} precision {mean_precision:.3f} recall {mean_recall:.3f}")
    assert all(recall >= 0.98 for _, recall in scores.values()), scores
    assert all(precision >= 0.9 for precision, _ in scores.values()), scores
    assert mean_precision >= 0.95


@pytest.mark.parametrize(
    ("name", "kept", "dropped"),
    [
        ("en-circuit", "safety culture and processes", ["Accept all", "Most popular", "M. Okafor"]),
        ("en-wire", "Ilya Sutskever", ["842 partners", "Rail strikes", "Hedgehog_42"]),
        ("en-blog", "sailing against the wind", ["Anonymous", "rounding error"]),
        ("en-teasers", "non-disparagement", ["laundry", "We value your privacy"]),
        ("ar-akhbar", "ثقافة السلامة", ["ملفات تعريف الارتباط", "الأكثر قراءة", "خبر متوقع"]),
        ("ar-wasat", "يان لايكه", ["نستخدم الكوكيز", "أسعار الذهب", "تنظيم دولي"]),
        ("ar-nahar", "اتفاقيات سرية", ["قبول الكل", "النشرة البريدية", "هواوي"]),
    ],
)
def test_boilerplate_around_the_article_stays_out(name: str, kept: str, dropped: list[str]) -> None:
    body = (PAGES / f"{name}.html").read_bytes()
    content_type = CHARSETS.get(name, "text/html; charset=utf-8")
    text = extract_main_text(body, url=f"https://example.org/{name}", content_type=content_type)
    assert kept in text
    assert [phrase for phrase in dropped if phrase in text] == []
    assert "\n" not in text  # one line, like every item's text


def test_a_script_never_reaches_the_text() -> None:
    body = (PAGES / "en-circuit.html").read_bytes()
    text = extract_main_text(body, url="https://example.org/a")
    assert "dataLayer" not in text and "Sponsored content" not in text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not a readable HTML page"),
        (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "no main text"),
        (b"\x00\x01\x02 binary junk", "no main text"),
    ],
)
def test_a_page_without_an_article_says_so(body: bytes, reason: str) -> None:
    with pytest.raises(NoMainText, match=reason):
        extract_main_text(body, url="https://example.org/x")


def test_hostile_pages_are_refused_or_read_within_a_bounded_time() -> None:
    wide = b"<html><body>" + b"<p>word word word</p>" * (ELEMENTS_MAX + 1) + b"</body></html>"
    deep = b"<html><body>" + b"<div>" * 100_000 + b"<p>deep</p>" + b"</div>" * 100_000
    scripts = b"<html><body><p>Real text here.</p>" + b"<script>var a=1;</script>" * 200_000
    started = time.process_time()
    with pytest.raises(NoMainText, match="page too large"):
        extract_main_text(wide, url="https://example.org/wide")
    for body in (deep, scripts):  # a word or three of text: no article
        with pytest.raises(NoMainText, match="no main text"):
            extract_main_text(body, url="https://example.org/hostile")
    assert time.process_time() - started < 20  # generous: a few seconds on a slow machine


def test_a_failed_page_leaves_the_item_as_it_was_and_says_why(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    httpserver.expect_request("/gone").respond_with_data("gone", status=404)
    httpserver.expect_request("/menu").respond_with_data(
        "<html><body><nav>Home</nav></body></html>", content_type="text/html"
    )
    httpserver.expect_request("/photo").respond_with_data(b"\x89PNG", content_type="image/png")
    reader = ArticleReader(PageFetcher(fetcher))
    source = _source(httpserver)
    outcomes = {}
    for path in ("/gone", "/menu", "/photo"):
        item = Item(path, httpserver.url_for(path), "T", "teaser", "site", PUBLISHED)
        reader.add_full_text(item, source)
        assert item.text == "teaser"
        outcomes[path] = item.extra[FULL_TEXT]
    assert outcomes == {
        "/gone": "failed: HTTP 404 Not Found",
        "/menu": "failed: no main text found on the page",
        "/photo": "failed: not an HTML page (image/png)",
    }


def test_a_page_read_again_is_asked_for_conditionally(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    body = (PAGES / "en-wire.html").read_bytes()
    httpserver.expect_ordered_request("/story").respond_with_data(
        body, content_type="text/html", headers={"ETag": '"v1"'}
    )
    httpserver.expect_ordered_request(
        "/story", headers={"If-None-Match": '"v1"'}
    ).respond_with_data("", status=304, headers={"ETag": '"v1"'})
    reader = ArticleReader(PageFetcher(fetcher))
    source = _source(httpserver)
    first = reader.read(httpserver.url_for("/story"), source)
    second = reader.read(httpserver.url_for("/story"), source)
    assert first == second and "Ilya Sutskever" in second
    httpserver.check_assertions()
