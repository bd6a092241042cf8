"""Near-duplicates: the same news from several outlets folds into one digest entry.

Each text becomes a set of shingles: character 5-grams of its normalised words (case, Arabic
letter variants and diacritics unified by ``watcher.text``), which survive reworded
headlines and Arabic clitics better than word n-grams. MinHash signatures (datasketch) and an
LSH index find candidate pairs in linear time; a pair folds when its estimated Jaccard
similarity reaches ``THRESHOLD`` and its similarity to that copy's group leader (the group's
most important copy: input order is importance order) reaches half of it, so look-alikes
cannot drift into one long chain (A like B, B like C, ... A unlike Z).

``THRESHOLD`` was chosen on the labelled cases of ``tests/digest/test_fold.py`` (syndicated
copies, rewritten headlines, different news about the same person, English and Arabic); the
measured precision and recall are printed by ``pytest tests/digest/test_fold.py -s``. On the
shared real-world feed corpus, look-alike items *within* one feed were the false positives
(podcast episodes, status updates, classified listings): hence ``outlets``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from watcher.text import normalise_words

if TYPE_CHECKING:
    from datasketch import MinHash

THRESHOLD = 0.35
NUM_PERM = 128
SHINGLE = 5
MIN_SHINGLES = 12  # texts shorter than this (a bare "Breaking") never fold
SHORT_TEXT = 80  # a headline alone (no summary) must be nearly the same headline, with the
SHORT_THRESHOLD = 0.85  # same numbers: "Part 1" and "Part 2", "v201506" and "v201509" differ


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    joined = " ".join(normalise_words(text))
    return {joined[i : i + size] for i in range(max(0, len(joined) - size + 1))}


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


def signature(features: set[str], num_perm: int = NUM_PERM) -> MinHash:
    from datasketch import MinHash  # imports SciPy (0.7 s): only a digest build pays it

    minhash = MinHash(num_perm=num_perm, seed=1)
    minhash.update_batch([feature.encode("utf-8") for feature in features])
    return minhash


def near_duplicate_groups(
    texts: Sequence[str],
    outlets: Sequence[str] | None = None,
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
) -> list[list[int]]:
    """Indices of ``texts`` grouped by near-duplication, each group and the list in input order.

    Input order is importance order, so each group's first index is its representative. With
    ``outlets``, two texts of the same outlet never fold directly: a feed's look-alike items
    (episode 1 and 2 of a podcast, "Status: up" and "Status: up" a day apart, one listing and
    the next) are different news, while the same news is what several outlets run.
    """
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    signatures: dict[int, MinHash] = {}
    group_of: dict[int, int] = {}
    groups: dict[int, list[int]] = {}
    for index, text in enumerate(texts):
        features = shingles(text)
        if len(features) < MIN_SHINGLES:
            groups[index] = [index]
            continue
        minhash = signature(features, num_perm)
        short = len(features) < SHORT_TEXT
        needed = max(threshold, SHORT_THRESHOLD) if short else threshold
        leader = next(
            (
                group_of[other]
                for other in sorted(lsh.query(minhash))
                if (outlets is None or outlets[other] != outlets[index])
                and not (short and _numbers(texts[other]) != _numbers(text))
                and minhash.jaccard(signatures[other]) >= needed
                and minhash.jaccard(signatures[group_of[other]]) >= needed / 2
            ),
            index,
        )
        groups.setdefault(leader, []).append(index)
        group_of[index] = leader
        signatures[index] = minhash
        lsh.insert(index, minhash)
    return list(groups.values())
