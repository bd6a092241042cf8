"""One item's line in the web view, rendered alone: what the reader is told about its date."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from watcher.web.render import environment
from watcher.web.shapes import ItemLine


class _Page:
    def url(self, path: str, **_params: Any) -> str:
        return path


def _line(date_from: str) -> ItemLine:
    return ItemLine(
        id=7, title="يان لايكه ينضم إلى أنثروبيك", url="https://example.org/a", source="عربي",
        author=None, published=datetime(2024, 5, 28, 10, tzinfo=UTC), date_from=date_from,
        lang="ar", dir="rtl", by=None, entities=[], stories=[], followups=[],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "first seen: the feed gave no date"), ("ar", "أول ظهور: لم يذكر المصدر تاريخًا")],
)
def test_an_item_the_feed_gave_no_date_says_so_in_the_list(language: str, words: str) -> None:
    env = environment(language, "UTC", None)
    shared = {"page": _Page(), "direction": "ltr", "language": language, "chips_path": "/"}

    def listed(date_from: str) -> str:
        return env.get_template("web/_item.html.j2").render(line=_line(date_from), **shared)

    assert words in listed("seen")
    assert words not in listed("feed")
