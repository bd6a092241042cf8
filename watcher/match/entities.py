"""Find aliases, weak aliases, exclude phrases and query phrases: one automaton per config.

Every pattern (an alias as normalised words, joined by spaces) goes into one Aho-Corasick
automaton, built once per config. A field is normalised once (``Tokens``) and scanned once, so
the cost grows with the text, not with the number of aliases. Each pattern ends with a space
(but a query word ending in "*"), and the search string starts and ends with one, so a hit
always ends on a word boundary; where it starts is checked after the automaton:

- at a word boundary: a whole-word hit;
- inside a word: kept only when the letters before it are an Arabic clitic prefix
  ("و" in "وألتمان", "ب" in "بـOpenAI"); otherwise it is a piece of another word, dropped.

An alias written with the article ("الجزيرة") is also looked for without its alef after the
preposition "ل" ("للجزيرة"). A hyphenated alias also matches written as one word
("super-alignment" → "superalignment"); its spaced form comes for free from tokenising.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import ahocorasick

from watcher.config import Entity
from watcher.text import CLITIC_PREFIXES, Tokens, light_form, normalise_words

if TYPE_CHECKING:
    from watcher.match.wordlist import Word

TargetKind = Literal["alias", "weak", "exclude", "phrase"]
_LAM_PREFIXES = frozenset({"ل", "ول", "فل"})
_PREFIX_LAST_LETTERS = frozenset("وفبلك")


@dataclass(frozen=True, slots=True)
class Guard:
    """Why a variant spelling needs a second clue, as a weak alias does (``variants``).

    With ``word``, only when the hit is spelt as that word: ``التمن`` ("the rice") is, ``ألتمن``
    (Altman with its hamza) is not.
    """

    reason: str  # "also a word or a name"
    word: Word | None = None

    def applies(self, written: str) -> bool:
        return self.word is None or self.word.is_written(written)


@dataclass(frozen=True, slots=True)
class Target:
    """What a pattern stands for: an entity's (weak) alias or exclude phrase, or a query phrase."""

    kind: TargetKind
    entity_id: str  # "" for a query phrase
    alias: str  # as written in the config
    words: tuple[str, ...]
    after_lam: bool = False  # the "ال" alias with its alef dropped after "ل"
    prefix: bool = False  # a query word ending in "*": the last word may go on
    variant: bool = False  # a spelling of ``alias`` the config does not list (``variants``)
    guard: Guard | None = None  # when that spelling needs a second clue


@dataclass(frozen=True, slots=True)
class Hit:
    """One accepted pattern hit: tokens ``first..last`` of ``field``, characters ``start:end``."""

    target: Target
    field: str
    first: int
    last: int
    start: int
    end: int


def entity_targets(entity: Entity) -> Iterable[Target]:
    for kind, aliases in (
        ("alias", entity.aliases),
        ("weak", entity.weak_aliases),
        ("exclude", entity.exclude),
    ):
        for alias in aliases:
            yield from _variants(kind, entity.id, alias)  # type: ignore[arg-type]


def phrase_target(words: tuple[str, ...], text: str, prefix: bool = False) -> Target:
    return Target("phrase", "", text, words, prefix=prefix)


def _variants(kind: TargetKind, entity_id: str, alias: str) -> Iterable[Target]:
    words = normalise_words(alias)
    if not words:
        return
    yield Target(kind, entity_id, alias, words)
    if "-" in alias and len(closed := normalise_words(alias.replace("-", ""))) < len(words):
        yield Target(kind, entity_id, alias, closed)


class Automaton:
    """All patterns of one config, compiled once; ``scan`` finds them in one field."""

    def __init__(self, targets: Iterable[Target]) -> None:
        grouped: dict[str, list[Target]] = defaultdict(list)
        for target in targets:
            end = "" if target.prefix else " "
            grouped[" ".join(target.words) + end].append(target)
            first = target.words[0]
            if first.startswith("ال") and len(first) > 3:
                lam = replace(target, after_lam=True)
                grouped[" ".join((first[1:], *target.words[1:])) + end].append(lam)
        self._automaton = ahocorasick.Automaton()
        for key, key_targets in grouped.items():
            self._automaton.add_word(key, (len(key), tuple(dict.fromkeys(key_targets))))
        self.size = len(grouped)
        if grouped:
            self._automaton.make_automaton()

    def scan(self, field: str, tokens: Tokens) -> list[Hit]:
        """Every accepted hit in one field's tokens."""
        if not self.size:
            return []
        joined = tokens.joined
        hits: list[Hit] = []
        for end, (length, targets) in self._automaton.iter(joined):
            start = end - length + 1
            prefix = "" if joined[start - 1] == " " else _clitic_prefix(tokens, start)
            if prefix is None:
                continue
            first = tokens.index_at(start)
            last = tokens.index_at(end if joined[end] != " " else end - 1)
            char_start, char_end = tokens.span(first, last)
            if prefix:
                char_start += _raw_prefix_length(tokens.raw[first], len(prefix))
            after_lam = prefix in _LAM_PREFIXES
            hits.extend(
                Hit(target, field, first, last, char_start, char_end)
                for target in targets
                if after_lam or not target.after_lam
            )
        return hits


def _clitic_prefix(tokens: Tokens, start: int) -> str | None:
    """The clitic prefix before a hit starting inside a word, or None when it is not one."""
    if tokens.joined[start - 1] not in _PREFIX_LAST_LETTERS:
        return None
    index = tokens.index_at(start)
    prefix = light_form(tokens.raw[index])[: start - tokens.word_start(start)]
    return prefix if prefix in CLITIC_PREFIXES else None


def _raw_prefix_length(raw: str, letters: int) -> int:
    """How many characters of ``raw`` the first ``letters`` letters (and their marks) take."""
    seen = 0
    for position, char in enumerate(raw):
        if seen == letters and light_form(char):
            return position
        seen += len(light_form(char))
    return len(raw)
