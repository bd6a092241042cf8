"""Near-duplicates: the same news from several outlets folds into one digest entry.

Each text becomes a set of shingles: character 5-grams of its normalised words (case, Arabic
letter variants and diacritics unified by ``watcher.match.text``), which survive reworded
headlines and Arabic clitics better than word n-grams. MinHash signatures (datasketch) and an
LSH index find candidate pairs in linear time; a pair folds when its estimated Jaccard
similarity reaches ``THRESHOLD``. Groups are the connected components of folded pairs.

``THRESHOLD`` was chosen on the labelled cases of ``tests/digest/test_fold.py`` (syndicated
copies, rewritten headlines, different news about the same person, English and Arabic); the
measured precision and recall are printed by ``pytest tests/digest/test_fold.py -s``.
"""

from __future__ import annotations

from collections.abc import Sequence

from datasketch import MinHash, MinHashLSH

from watcher.match.text import normalise_words

THRESHOLD = 0.35
NUM_PERM = 128
SHINGLE = 5
MIN_SHINGLES = 12  # texts shorter than this (a bare "Breaking") never fold


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    joined = " ".join(normalise_words(text))
    return {joined[i : i + size] for i in range(max(0, len(joined) - size + 1))}


def signature(features: set[str], num_perm: int = NUM_PERM) -> MinHash:
    minhash = MinHash(num_perm=num_perm, seed=1)
    minhash.update_batch([feature.encode("utf-8") for feature in features])
    return minhash


def near_duplicate_groups(
    texts: Sequence[str], *, threshold: float = THRESHOLD, num_perm: int = NUM_PERM
) -> list[list[int]]:
    """Indices of ``texts`` grouped by near-duplication, each group and the list in input order.

    Input order is importance order, so each group's first index is its representative.
    """
    parent = list(range(len(texts)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    signatures: dict[int, MinHash] = {}
    for index, text in enumerate(texts):
        features = shingles(text)
        if len(features) < MIN_SHINGLES:
            continue
        minhash = signature(features, num_perm)
        for other in lsh.query(minhash):
            if minhash.jaccard(signatures[other]) >= threshold:
                parent[max(root(index), root(other))] = min(root(index), root(other))
        lsh.insert(index, minhash)
        signatures[index] = minhash
    groups: dict[int, list[int]] = {}
    for index in range(len(texts)):
        groups.setdefault(root(index), []).append(index)
    return sorted(groups.values(), key=lambda group: group[0])
