"""A store seeded with one realistic digest period for the bundled config's story.

Rows go straight into the tables, as the pipeline would have left them: items first seen in the
period ending 2024-05-29 07:00 Asia/Riyadh, with their sources, mentions, story and follow-up
matches, one fulfilment, near-duplicates across outlets (English and Arabic), one item whose
feed HTML is hostile, and one source failing for days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.config import Config, load_config
from watcher.store import Store
from watcher.store.tables import (
    FollowupMatchRow,
    FulfilmentRow,
    ItemRow,
    ItemSourceRow,
    MentionRow,
    SourceRow,
    StoryMatchRow,
)

REPO = Path(__file__).resolve().parents[2]
PERIOD_END = datetime(2024, 5, 29, 4, 0, tzinfo=UTC)  # 07:00 in Asia/Riyadh
PERIOD_START = PERIOD_END - timedelta(days=1)
STORY = "openai-safety-exits"
HOSTILE_HTML = (
    '<p style="position:fixed" onmouseover="steal()">Leike on <b>safety</b>'
    '<script>alert("x")</script><img src="https://tracker.example/p.gif" onerror="x()">'
    '<a href="javascript:alert(1)">click</a><a href="data:text/html,hi">data</a>'
    '<iframe src="https://evil.example/"></iframe><form action="https://evil.example/">'
    '<input name="q"></form><a href="https://example.org/read?utm_source=feed&id=7">more</a></p>'
)

# (key, source, other sources, title, summary, language, hours into the period, by, mentions)
ITEMS = [
    (
        "x:1795503",
        "janleike-on-x",
        [],
        "I'm excited to join Anthropic to continue the superalignment mission!",
        "My new team will work on scalable oversight, "
        "weak-to-strong generalization, and automated alignment research.",
        "en",
        2,
        "leike",
        ["leike", "anthropic", "superalignment"],
    ),
    (
        "https://www.theverge.com/2024/5/28/leike-anthropic",
        "verge-ai",
        [],
        "Jan Leike, who quit OpenAI over safety concerns, joins rival Anthropic",
        "Jan Leike, the former co-lead of OpenAI's superalignment team who resigned this month "
        "citing safety concerns, said on Tuesday he has joined Anthropic to continue the "
        "superalignment mission.",
        "en",
        3,
        None,
        ["leike", "openai", "anthropic", "superalignment"],
    ),
    (
        "https://techcrunch.com/2024/05/28/leike-joins-anthropic",
        "techcrunch-ai",
        ["wired-ai"],
        "Former OpenAI safety lead Jan Leike joins Anthropic",
        "Jan Leike, the former co-lead of OpenAI's superalignment team who resigned earlier this "
        "month citing safety concerns, said Tuesday he has joined Anthropic to continue the "
        "superalignment mission.",
        "en",
        4,
        None,
        ["leike", "openai", "anthropic", "superalignment"],
    ),
    (
        "https://www.bbc.com/arabic/articles/leike",
        "bbc-arabic",
        [],
        "يان لايكه ينضم إلى أنثروبيك بعد استقالته من أوبن إيه آي",
        "أعلن يان لايكه، الرئيس المشارك السابق لفريق التوافق الفائق في أوبن إيه آي، انضمامه إلى "
        "شركة أنثروبيك المنافسة لمواصلة أبحاث سلامة الذكاء الاصطناعي بعد استقالته هذا الشهر.",
        "ar",
        5,
        None,
        ["leike", "openai", "anthropic", "superalignment"],
    ),
    (
        "https://www.aljazeera.net/tech/leike-anthropic",
        "aljazeera-arabic",
        [],
        "بعد استقالته من أوبن إيه آي.. يان لايكه ينضم إلى أنثروبيك",
        "أعلن يان لايكه، الرئيس المشارك السابق لفريق التوافق الفائق في أوبن إيه آي، انضمامه إلى "
        "أنثروبيك لمواصلة أبحاث سلامة الذكاء الاصطناعي، بعد أيام من استقالته.",
        "ar",
        6,
        None,
        ["leike", "openai", "anthropic", "superalignment"],
    ),
    (
        "https://openai.com/index/openai-board-forms-safety-and-security-committee",
        "openai-news",
        ["guardian-ai"],
        "OpenAI Board Forms Safety and Security Committee",
        "The committee, led by directors Bret Taylor, Adam D'Angelo, Nicole Seligman and Sam "
        "Altman, will make recommendations on critical safety and security decisions.",
        "en",
        8,
        "openai",
        ["openai", "altman", "ai_safety"],
    ),
    (
        "https://arstechnica.com/ai/2024/05/superalignment-team-gone",
        "ars-technica",
        ["mit-tech-review-ai"],
        "What happened to OpenAI's superalignment team?",
        "With Sutskever and Leike gone, the team that was promised 20% of OpenAI's compute has "
        "been folded into other research groups.",
        "en",
        10,
        None,
        ["sutskever", "leike", "openai", "superalignment"],
    ),
    (
        "https://www.theguardian.com/technology/2024/may/28/sutskever",
        "guardian-ai",
        [],
        "Ilya Sutskever has been silent since leaving OpenAI. What is he working on?",
        "Friends say the co-founder is taking time off; he has said only that he is working on a "
        "project that is 'very personally meaningful'.",
        "en",
        12,
        None,
        ["sutskever", "openai"],
    ),
    (
        "https://www.wired.com/story/leike-safety-hostile",
        "wired-ai",
        [],
        'Leike: "safety culture has taken a back seat" <script>alert(1)</script>',
        "",
        "en",
        14,
        None,
        ["leike", "ai_safety"],
    ),
]


def _seed(store: Store, config: Config) -> None:
    with store.session() as session:
        for source in config.sources:
            session.add(
                SourceRow(id=source.id, kind=source.kind, url=source.url, owner=source.owner)
            )
        session.flush()
        failing = session.get_one(SourceRow, "dw-arabic")
        failing.failing_since = PERIOD_END - timedelta(days=3)
        failing.consecutive_failures = 40
        failing.last_error = "HTTP 503 Service Unavailable"
        for key, source_id, others, title, summary, lang, hours, by, entities in ITEMS:
            seen = PERIOD_START + timedelta(hours=hours)
            item = ItemRow(
                key=key, url=key if key.startswith("http") else "https://x.com/janleike/status/1795503",
                title=title, summary=summary,
                summary_html=HOSTILE_HTML if "hostile" in key else f"<p>{summary}</p>",
                text=summary, by=by, language=lang, source_id=source_id,
                published_at=seen - timedelta(minutes=20), first_seen_at=seen, updated_at=seen,
            )  # fmt: skip
            session.add(item)
            session.flush()
            for other in [source_id, *others]:
                session.add(ItemSourceRow(item_id=item.id, source_id=other, first_seen_at=seen))
            session.add(StoryMatchRow(story_id=STORY, item_id=item.id, matched_at=seen))
            for entity_id in entities:
                entity = config.entity(entity_id)
                alias = next(
                    (a for a in entity.aliases if a.lower() in (title + " " + summary).lower()),
                    entity.name,
                )
                session.add(
                    MentionRow(item_id=item.id, entity_id=entity_id, alias=alias, field="title",
                               start=0, end=len(alias))
                )  # fmt: skip
            if key == "x:1795503":
                session.add(FollowupMatchRow(story_id=STORY, followup_id="leike-next",
                                             item_id=item.id, matched_at=seen))  # fmt: skip
                session.add(FulfilmentRow(story_id=STORY, followup_id="leike-next", item_id=item.id,
                                          fulfilled_at=item.published_at, recorded_at=seen))  # fmt: skip


@pytest.fixture
def bundled_config() -> Config:
    return load_config(REPO / "config" / "watch.yaml")


@pytest.fixture
def seeded(store: Store, bundled_config: Config) -> Store:
    _seed(store, bundled_config)
    return store


@pytest.fixture
def seed() -> Callable[[Store, Config], None]:
    return _seed
