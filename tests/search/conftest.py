"""The fake engines, a story corpus in English and Arabic, and configs built on the bundled one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_httpserver import HTTPServer

from tests.pipeline.conftest import rss
from tests.search.engines import ALL, Article, FakeEngines

REPO = Path(__file__).resolve().parents[2]
STORY = "openai-safety-exits"
SHARED_URL = "https://news.example.org/2024/05/superalignment-dissolved"


@pytest.fixture
def engines(httpserver: HTTPServer) -> FakeEngines:
    return FakeEngines(httpserver, corpus=story_corpus(datetime.now(UTC)))


def story_corpus(now: datetime) -> list[Article]:
    """What the engines know: the story in English and Arabic, one article a listed feed also
    carries, and results that only name the story's people in passing (or too early)."""

    def ago(hours: float) -> datetime:
        return (now - timedelta(hours=hours)).replace(microsecond=0)

    return [
        Article(
            "https://www.theverge.com/2024/5/17/24159095/jan-leike-resigns-openai",
            "Jan Leike resigns from OpenAI, saying safety culture took a backseat",
            ago(5),
            outlet="The Verge",
            domain="theverge.com",
            summary="The co-lead of the superalignment team posted a thread on X.",
        ),
        Article(
            "https://www.nytimes.com/2024/05/14/technology/ilya-sutskever-leaving-openai.html",
            "Ilya Sutskever, OpenAI co-founder, is leaving the company",
            ago(6),
            outlet="The New York Times",
            domain="nytimes.com",
        ),
        Article(
            "https://www.aljazeera.net/tech/2024/5/18/leike-openai",
            "يان لايكي يستقيل من أوبن إيه آي وينتقد ثقافة الأمان",
            ago(4),
            outlet="الجزيرة نت",
            domain="aljazeera.net",
            language="Arabic",
            country="Qatar",
            engines=frozenset({"google_news"}),
            opaque=True,  # a new-style Google News ID: the URL stays Google's
        ),
        Article(
            "https://www.alarabiya.net/technology/2024/05/15/sutskever-leaves",
            "سوتسكيفر يغادر أوبن إيه آي بعد عقد على تأسيسها",
            ago(3),
            outlet="العربية",
            domain="alarabiya.net",
            language="Arabic",
            country="Saudi Arabia",
        ),
        Article(
            f"{SHARED_URL}?utm_source=search&utm_medium=referral",
            "OpenAI dissolves its superalignment team after the exits",
            ago(2),
            outlet="Example News",
            domain="news.example.org",
        ),
        Article(
            "https://www.reuters.com/markets/chip-stocks-rally",
            "Markets close higher as chip stocks rally",
            ago(1),
            outlet="Reuters",
            domain="reuters.com",
            body="Investors shrugged off news that Ilya Sutskever had left OpenAI.",
        ),
        Article(
            "https://www.aleqt.com/2024/05/18/oil",
            "أسعار النفط ترتفع مع تراجع المخزونات الأمريكية",
            ago(1.5),
            outlet="الاقتصادية",
            domain="aleqt.com",
            language="Arabic",
            country="Saudi Arabia",
            body="في خبر آخر، استقال يان لايكي من أوبن إيه آي.",
        ),
        Article(
            "https://www.axios.com/2024/05/17/openai-alignment-head-quits",
            "OpenAI's head of alignment quits",  # the name is only in the body
            ago(7),
            outlet="Axios",
            domain="axios.com",
            body="Jan Leike said he had been disagreeing with leadership for some time.",
        ),
        Article(
            "https://www.wired.com/story/jan-leike-alignment-research",
            "Jan Leike on the future of alignment research",
            datetime(2024, 4, 1, 12, tzinfo=UTC),  # before the story began
            outlet="WIRED",
            domain="wired.com",
            engines=ALL - {"gdelt"},  # older than GDELT's three months
        ),
        Article(
            "https://www.cnbc.com/2024/05/18/altman-responds-safety",
            "Sam Altman responds to criticism of OpenAI's AI safety work",
            ago(0.5),
            outlet="CNBC",
            domain="cnbc.com",
            body="Altman said the company would do more on AI safety.",
        ),
    ]


WIRE_ITEMS = (
    (
        "OpenAI dissolves its superalignment team",
        f"{SHARED_URL}?utm_source=rss&amp;utm_medium=feed",
        "The team led by Sutskever and Leike is gone.",
    ),
    ("Weather: a hot week ahead", "https://news.example.org/weather", "Sunny."),
)


@pytest.fixture
def story_config(tmp_path: Path, engines: FakeEngines) -> Callable[..., Path]:
    """The bundled config's people and story, with the given sources, on the fake engines."""

    def write(sources: list[dict[str, Any]], **settings: Any) -> Path:
        bundled = yaml.safe_load((REPO / "config" / "watch.yaml").read_text(encoding="utf-8"))
        keep = ("timezone", "languages", "people", "organizations", "topics", "stories")
        data = {key: bundled[key] for key in keep}
        base = engines.base_url
        data["search"] = {
            name: {"base_url": base, "rate": 1000} for name in ("gdelt", "google_news", "bing_news")
        }
        data["database"] = f"sqlite:///{tmp_path / 'watcher.db'}"
        data["sources"] = sources
        data |= settings
        path = tmp_path / "watch.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return path

    return write


def serve_wire(engines: FakeEngines) -> str:
    """A listed feed that also carries the shared article (with its own tracking parameters)."""
    engines.server.expect_request("/feeds/wire.xml").respond_with_data(
        rss(*WIRE_ITEMS, title="Example News"), content_type="application/rss+xml"
    )
    return engines.server.url_for("/feeds/wire.xml")


BUNDLED_SEARCHES = [
    {"id": "gdelt-exits", "search": {"engine": "gdelt", "story": STORY}},
    {"id": "gnews-en", "search": {"engine": "google_news", "story": STORY, "language": "en"}},
    {
        "id": "gnews-ar",
        "search": {"engine": "google_news", "story": STORY, "language": "ar", "region": "SA"},
    },
    {"id": "bing-en", "search": {"engine": "bing_news", "story": STORY, "language": "en"}},
]
