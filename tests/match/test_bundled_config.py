"""The bundled config's Arabic spellings: the variant rules cover ألتمن and سوتسكفر, which it
no longer lists (listed, ألتمن normalises to التمن, "rice", and matched it without a guard).

Measured on the three labelled sets (473 items, with the bundled config instead of each set's
own): dropping the two aliases removes 5 rice sentences wrongly found as Altman and loses one
"بالتمن" with no other clue (a guarded variant needs one); nothing else changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.config import load_config
from watcher.match import Matcher
from watcher.match.explain import explain
from watcher.model import Item

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_config(REPO / "config" / "watch.yaml"))


def item(text: str) -> Item:
    return Item("k", None, "", text, "wire", datetime(2024, 5, 20, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "entity", "variant_of"),
    [
        ("ألتمن يعترف بأخطاء في ملف السلامة", "altman", "ألتمان"),
        ("قال العالم المولود في روسيا سوتسكفر إن السلامة أولوية", "sutskever", "سوتسكيفر"),
        ("وسوتسكفر كان من أبرز مؤسسي أوبن إيه آي", "sutskever", "سوتسكيفر"),
    ],
)
def test_the_dropped_spellings_are_found_as_variants(
    matcher: Matcher, text: str, entity: str, variant_of: str
) -> None:
    assert entity in matcher.match(item(text)).entities
    notes = [hit.note for hit in explain(matcher, item(text)).hits if hit.entity_id == entity]
    assert f"variant of {variant_of!r}" in notes


@pytest.mark.parametrize(
    "text",
    [
        "طبخت أمي التمن والمرق على الغداء",
        "التمن العنبر أغلى أنواع الرز في بغداد",
        "أسعار التمن والطحين ترتفع في الأسواق الشعبية",
    ],
)
def test_rice_is_not_altman(matcher: Matcher, text: str) -> None:
    assert "altman" not in matcher.match(item(text)).entities
