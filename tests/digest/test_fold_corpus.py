"""Folding over the shared real-world corpus: every entry of every real publisher's feed.

Each fixture file counts as one outlet. Most folded groups are the same post kept in two
fixture files (an Atom and an RSS copy); the ones whose titles differ are printed with ``-s``
for a person to judge (at the last count: 7, all the same news or post).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import feedparser
import pytest

from watcher.digest.fold import near_duplicate_groups
from watcher.digest.sanitise import sanitised_text


def _entries(corpus: Path) -> tuple[list[str], list[str]]:
    texts, outlets = [], []
    with (corpus / "manifest.tsv").open(encoding="utf-8") as manifest:
        for row in csv.DictReader(manifest, delimiter="\t"):
            if row["kind"] != "real-publisher":
                continue
            for entry in feedparser.parse((corpus / row["path"]).read_bytes()).entries:
                summary = sanitised_text(entry.get("summary", ""))[:600]
                texts.append(f"{entry.get('title', '')} {summary}")
                outlets.append(row["path"])
    return texts, outlets


def _title(text: str) -> str:
    return re.sub(r"\W+", " ", text[:60].lower()).strip()


@pytest.mark.slow
def test_folds_on_real_feeds_are_copies_of_one_post_or_one_piece_of_news(corpus_dir: Path) -> None:
    texts, outlets = _entries(corpus_dir)
    folded = [g for g in near_duplicate_groups(texts, outlets) if len(g) > 1]
    reworded = [g for g in folded if len({_title(texts[i]) for i in g}) > 1]
    print(
        f"\n{len(texts)} entries: {len(folded)} folded groups, {len(reworded)} with different titles"
    )
    for group in reworded:
        print(" | ".join(texts[i][:70] for i in group))

    assert all(len({outlets[i] for i in group}) == len(group) for group in folded)
    assert len(reworded) <= 10
