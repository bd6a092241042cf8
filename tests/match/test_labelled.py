"""Precision and recall of entity matching on the labelled set in tests/data/.

Run with ``-s`` to see the table per entity:
``.venv/bin/pytest tests/match/test_labelled.py -q -s``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from watcher.config import parse_config
from watcher.match import Matcher
from watcher.model import Item

DATA = Path(__file__).resolve().parent.parent / "data" / "match_labelled.yaml"
ARABIC = re.compile("[\u0600-\u06ff]")


@dataclass
class Scores:
    tp: Counter[str]
    fp: Counter[str]
    fn: Counter[str]
    errors: list[str]
    cases: int
    arabic_cases: int

    def counts(self, row: str | None) -> tuple[int, int, int]:
        """(TP, FP, FN) of an entity, a language ("(ar)", "(en)"), or overall (None)."""
        if row is not None:
            return self.tp[row], self.fp[row], self.fn[row]
        return (
            self.tp["(ar)"] + self.tp["(en)"],
            self.fp["(ar)"] + self.fp["(en)"],
            self.fn["(ar)"] + self.fn["(en)"],
        )

    def precision(self, row: str | None = None) -> float:
        tp, fp, _ = self.counts(row)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, row: str | None = None) -> float:
        tp, _, fn = self.counts(row)
        return tp / (tp + fn) if tp + fn else 1.0

    def table(self, entities: list[str]) -> str:
        lines = [f"{'entity':<15} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}"]
        for entity in [*entities, "(en)", "(ar)", None]:
            name = entity or "overall"
            tp, fp, fn = self.counts(entity)
            lines.append(
                f"{name:<15} {tp:>4} {fp:>4} {fn:>4} "
                f"{self.precision(entity):>9.3f} {self.recall(entity):>7.3f}"
            )
        return "\n".join(lines)


def evaluate(data: dict[str, Any]) -> tuple[Scores, list[str]]:
    config = parse_config(data["config"], DATA)
    matcher = Matcher(config)
    scores = Scores(Counter(), Counter(), Counter(), [], 0, 0)
    for index, case in enumerate(data["items"]):
        yes, no = set(case.get("expect", [])), set(case.get("reject", []))
        scores.cases += len(yes) + len(no)
        if ARABIC.search(case["text"]):
            scores.arabic_cases += len(yes) + len(no)
        item = Item(
            key=f"case{index}",
            url=None,
            title=case.get("title", ""),
            text=case["text"],
            source_id="labelled",
            published=datetime(2024, 6, 1, tzinfo=UTC),
            author=case.get("author"),
        )
        found = set(matcher.match(item).entities)
        language = "(ar)" if ARABIC.search(case["text"]) else "(en)"
        for entity in found & yes:
            scores.tp[entity] += 1
            scores.tp[language] += 1
        for entity in found - yes:
            scores.fp[entity] += 1
            scores.fp[language] += 1
            scores.errors.append(f"FP {entity}: {case['text']}")
        for entity in yes - found:
            scores.fn[entity] += 1
            scores.fn[language] += 1
            scores.errors.append(f"FN {entity}: {case['text']}")
    return scores, [entity.id for entity in config.entities]


@pytest.fixture(scope="module")
def scores() -> tuple[Scores, list[str]]:
    return evaluate(yaml.safe_load(DATA.read_text(encoding="utf-8")))


def test_the_set_is_big_enough_and_half_arabic(scores: tuple[Scores, list[str]]) -> None:
    result, _ = scores
    assert result.cases >= 200
    assert 0.4 <= result.arabic_cases / result.cases <= 0.6


def test_precision_and_recall_reach_the_target(scores: tuple[Scores, list[str]]) -> None:
    result, entities = scores
    print(f"\n{result.cases} labelled cases, {result.arabic_cases} Arabic")
    print(result.table(entities))
    print("\n".join(result.errors))
    assert result.precision() >= 0.97, result.errors
    assert result.recall() >= 0.97, result.errors
