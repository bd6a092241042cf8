"""Spelling variants of names: the spellings outlets use that nobody listed in the config.

Arabic outlets transliterate a foreign name their own way: Sutskever is سوتسكيفر, سوتسكفر,
سوتسكيڤر or سوتسكيفير, Google غوغل, جوجل or قوقل. Each word of at least ``MIN_LETTERS`` letters
in an Arabic-script alias of a person or organisation also matches (normalised, see
``watcher.text``) with:

- a long vowel (ا و ي) dropped from inside it, or added between two consonants; an initial
  alef dropped (إنفيديا → نفيديا);
- its final vowel changed or dropped: ي (ى), ه (ة) or ا (لايكي → لايكه, لايك);
- ف/ڤ/ڥ for a V; غ/ج/گ/ك/ق for a foreign G (غوغل → جوجل); ك/ق; تش/ش/چ for a CH;
- a consonant doubled, or a doubled letter written once;

the nearest first: one change, then two (one vowel or doubling edit, and letter families),
``MAX_PER_WORD`` at most, so a long name cannot multiply into thousands of patterns.

English gets one edit on the surnames of people (an alias word of at least 5 letters, when the
variant has at least ``MIN_ENGLISH`` letters: Sutskevar, Leikie, Brockmann): a letter dropped,
doubled or swapped with its neighbour, a vowel changed or added after a consonant, c/k, s/z,
v/w, f/v, and k written ck.

Variants are patterns in the matcher's one automaton, computed when it is built, so an item
costs what it did. A variant is left out when it is another entity's alias or variant, or one of
the language's common words (``wordlist.COMMON_ZIPF``). It needs a second clue, exactly like a
weak alias (a strong alias, handle or authorship of the entity or of an entity sharing a story
with it), when it has fewer than ``SURE_LETTERS`` letters (ليكه), or when it is a word or a
known name in wordfreq's list (``wordlist``), alone or after a clitic (التمن "the rice", ال +
تمن; Altmann), as written in the item: ألتمن, with its hamza, is not the word. A variant of a
multi-word alias (one word varied: جريج بروكمان, Sam Altmann) carries the first name with it,
and needs nothing more. ``variants: false`` on an entity turns all of this off.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from itertools import chain, product

from watcher.config import Entity
from watcher.match.entities import Guard, Target, entity_targets
from watcher.match.wordlist import Word, lookup
from watcher.text import normalise_words

MIN_LETTERS = 4  # an Arabic alias word (and a variant) has at least this many letters
SURE_LETTERS = 5  # an Arabic variant shortened below this always needs a second clue
LONG_ARABIC = 7  # a variant this long is a transliteration, whatever a word list says
MIN_SURNAME = 5  # an English surname varied has at least this many letters
MIN_ENGLISH = 6  # and so does each of its variants
MAX_PER_WORD = 40  # Arabic: the nearest 40 of up to several hundred
MAX_ENGLISH = 64  # English: one edit of a 9-letter surname, all but some vowel insertions

ARABIC_WORD = re.compile(r"[\u0621-\u064a\u067e-\u06d3]+")
LATIN_WORD = re.compile(r"[a-z]+")

_LONG_VOWELS = "اوي"
_FINAL_VOWELS = "يها"  # normalised: ى is ي, ة is ه
_DOUBLED = re.compile(r"(.)\1")
# Letter families: every occurrence of the first member written as another member.
_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("ف", "ڤ", "ڥ"),
    ("ڤ", "ف", "ڥ"),
    ("غ", "ج", "ك", "ق", "گ"),
    ("ج", "غ", "ك", "ق", "گ"),
    ("گ", "غ", "ج", "ك", "ق"),
    ("تش", "ش", "چ"),
    ("چ", "تش", "ش"),
)
_K_Q = {"ك": "ق", "ق": "ك"}  # these vary one occurrence at a time (كوفالتشوق)

_VOWELS = "aeiou"
_SOUNDS = {"c": "k", "k": "c", "s": "z", "z": "s", "v": "w", "w": "v", "f": "v", "i": "y", "y": "i"}


# --- Arabic ---------------------------------------------------------------------------------

Respell = Callable[[str], list[str]]


@lru_cache(maxsize=4096)
def arabic_variants(word: str) -> tuple[str, ...]:
    """Variant spellings of one normalised Arabic word, nearest first (``MAX_PER_WORD``)."""
    if len(word) < MIN_LETTERS or not ARABIC_WORD.fullmatch(word):
        return ()
    once, twice = _respellings(word)
    found: dict[str, None] = {}
    for candidate in chain(once, _edits(word), twice, *map(_edits, once)):
        if candidate != word and len(candidate) >= MIN_LETTERS:
            found.setdefault(candidate)
            if len(found) == MAX_PER_WORD:
                break
    return tuple(found)


@lru_cache(maxsize=1024)
def arabic_respellings(word: str) -> frozenset[str]:
    """The variants of ``word`` that only change letter families (no letter added or dropped):
    جوجل, قوقل and كوكل for غوغل."""
    once, twice = _respellings(word)
    return frozenset(once + twice) - {word}


def _respellings(word: str) -> tuple[list[str], list[str]]:
    """``word`` with one letter family changed, and with two."""
    changes = _changes(word)
    once = [respelt for change in changes for respelt in change(word)]
    twice = [
        respelt
        for i, first in enumerate(changes)
        for second in changes[i + 1 :]
        for respelt_once in first(word)
        for respelt in second(respelt_once)
    ]
    return once, twice


def _changes(word: str) -> list[Respell]:
    """One respelling function per letter family present in ``word``."""
    changes: list[Respell] = [partial(_family, family) for family in _FAMILIES if family[0] in word]
    if any(letter in _K_Q for letter in word):
        changes.append(_k_q_respellings)
    if word[-1] in _FINAL_VOWELS:
        changes.append(_final_vowel)
    return changes


def _family(family: tuple[str, ...], word: str) -> list[str]:
    """Every occurrence of the family's first member written as each other member."""
    source, *targets = family
    return [word.replace(source, target) for target in targets]


def _final_vowel(word: str) -> list[str]:
    return [word[:-1] + vowel for vowel in _FINAL_VOWELS if vowel != word[-1]]


def _k_q_respellings(word: str) -> list[str]:
    """ك and ق swapped, one occurrence or several (the first three)."""
    positions = [i for i, letter in enumerate(word) if letter in _K_Q][:3]
    respellings = []
    for flips in product((False, True), repeat=len(positions)):
        letters = list(word)
        for position in (p for p, flip in zip(positions, flips, strict=True) if flip):
            letters[position] = _K_Q[letters[position]]
        respellings.append("".join(letters))
    return respellings[1:]


def _edits(word: str) -> Iterator[str]:
    """One vowel or doubling edit: a long vowel dropped or added, the final vowel dropped, the
    initial alef dropped, a consonant doubled, a doubled letter written once."""
    last = len(word) - 1
    for i in range(1, last):
        if word[i] in _LONG_VOWELS:
            yield word[:i] + word[i + 1 :]
    for i in range(1, last + 1):
        if word[i - 1] not in _LONG_VOWELS and word[i] not in _LONG_VOWELS:
            yield from (word[:i] + vowel + word[i:] for vowel in _LONG_VOWELS)
    if word[-1] in _FINAL_VOWELS and word[-2] not in _LONG_VOWELS:
        yield word[:-1]
    if word[0] == "ا" and word[1] not in _LONG_VOWELS:
        yield word[1:]
    for match in _DOUBLED.finditer(word):
        yield word[: match.start()] + word[match.start() + 1 :]
    for i in range(1, last + 1):
        if word[i] not in _LONG_VOWELS and word[i] != word[i - 1]:
            yield word[:i] + word[i] + word[i:]


# --- English --------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def english_variants(word: str) -> tuple[str, ...]:
    """Spellings one edit from a lower-case Latin surname, nearest first (``MAX_ENGLISH``)."""
    if len(word) < MIN_SURNAME or not LATIN_WORD.fullmatch(word):
        return ()
    found: dict[str, None] = {}
    for candidate in _english_edits(word):
        if candidate != word and len(candidate) >= MIN_ENGLISH:
            found.setdefault(candidate)
    return tuple(found)[:MAX_ENGLISH]


def _english_edits(word: str) -> Iterator[str]:
    n = len(word)
    yield from (word[:i] + word[i] + word[i:] for i in range(1, n) if word[i] != word[i - 1])
    yield from (word[:i] + word[i + 1 :] for i in range(n) if word[i] == word[i + 1 : i + 2])
    yield from (word[:i] + word[i + 1 :] for i in range(n))
    for i, letter in enumerate(word):
        if letter in _VOWELS:
            yield from (word[:i] + vowel + word[i + 1 :] for vowel in _VOWELS if vowel != letter)
        if letter in _SOUNDS:
            yield word[:i] + _SOUNDS[letter] + word[i + 1 :]
        if letter == "k" and word[i - 1 : i] != "c":
            yield word[:i] + "c" + word[i:]
    yield from (word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(n - 1))
    for i in range(1, n + 1):
        if word[i - 1] not in _VOWELS:
            yield from (word[:i] + vowel + word[i:] for vowel in _VOWELS)


# --- targets --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    target: Target
    key: str  # the pattern: the target's words, joined
    word: str  # the alias word varied
    spelling: str  # its variant
    alone: bool  # the alias is this one word: the spelling may need a guard
    arabic: bool


def variant_targets(entities: Iterable[Entity]) -> list[Target]:
    """The automaton patterns for every entity's variant spellings (see the module's doc)."""
    entities = list(entities)
    taken = {" ".join(t.words) for e in entities for t in entity_targets(e)}
    candidates = [
        candidate
        for entity in entities
        if entity.variants and entity.kind != "topic"
        for candidate in _candidates(entity)
        if candidate.key not in taken
    ]
    owners: dict[str, set[str]] = defaultdict(set)
    for candidate in candidates:
        if candidate.target.kind == "alias":
            owners[candidate.key].add(candidate.target.entity_id)
    words = {
        language: lookup(
            language,
            {s for c in candidates if c.alone and c.arabic == arabic for s in (c.word, c.spelling)},
        )
        for language, arabic in (("ar", True), ("en", False))
    }
    kept: dict[tuple[str, str, str], Target] = {}
    for candidate in candidates:
        target = candidate.target
        if len(owners.get(candidate.key, ())) <= 1:
            judged = _judge(candidate, words["ar" if candidate.arabic else "en"])
            if judged is not None:
                kept.setdefault((target.kind, target.entity_id, candidate.key), judged)
    return list(kept.values())


def _candidates(entity: Entity) -> Iterator[_Candidate]:
    for kind, aliases in (("alias", entity.aliases), ("exclude", entity.exclude)):
        for alias in aliases:
            words = normalise_words(alias)
            if not words:
                continue
            alone = kind == "alias" and len(words) == 1
            *first, word = words  # the surname, or the distinctive last word of a name
            arabic = bool(ARABIC_WORD.fullmatch(word))
            if arabic:
                spellings = arabic_variants(word)
            elif entity.kind == "person":
                spellings = english_variants(word)
            else:
                continue
            for spelling in spellings:
                varied = (*first, spelling)
                target = Target(kind, entity.id, alias, varied, variant=True)  # type: ignore[arg-type]
                yield _Candidate(target, " ".join(varied), word, spelling, alone, arabic)


def _judge(candidate: _Candidate, words: dict[str, Word]) -> Target | None:
    """The candidate's target with the guard its spelling needs, or None when it must never
    match; a variant of a multi-word alias carries its first name, and needs nothing."""
    if not candidate.alone:
        return candidate.target
    spelling, word, arabic = candidate.spelling, candidate.word, candidate.arabic
    known = words.get(spelling)
    listed_name = word in words and words[word].listed
    trusted = listed_name and arabic and spelling in arabic_respellings(word)
    guard = None
    # A listed name's own respelling (جوجل for غوغل) or a long transliteration is the name.
    if known and not trusted and not (arabic and len(spelling) >= LONG_ARABIC):
        if known.common:
            return None
        guard = Guard("also a word or a name", known)
    if arabic and len(spelling) < min(SURE_LETTERS, len(word)):
        guard = Guard(f"fewer than {SURE_LETTERS} letters")
    return replace(candidate.target, guard=guard)
