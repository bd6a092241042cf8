"""Spellings to add to an entity's aliases, found in stored texts (``watcher aliases suggest``).

``suggest_aliases(entity, texts)`` reads texts (stored titles and texts) and counts, for one
entity:

- *variants*: words that are a variant spelling of one of its alias words, in the families the
  matcher knows (``variants``: سوتسكفر for سوتسكيفر) or one letter away from it (an edit the
  families do not cover: بروكمين for بروكمان, Sutskevr for Sutskever), clitics aside;
- *names*: the word before one of its single-word aliases, when that pair is not an alias yet
  (إيليا سوتسكيفر, "Ilya Sutskever"): a full name to add, or a first name for ``weak_aliases``.

Each suggestion carries how often it was seen, one example, and whether the spelling is also a
word (wordfreq: the matcher would want a second clue for it). Common words are left out.
Matching already finds the family variants by itself; listing the ones that really occur still
helps, as configured aliases need no clue and make ``explain`` plainer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from watcher.config import Entity
from watcher.match.explain import snippet
from watcher.match.variants import ARABIC_WORD, arabic_variants, english_variants
from watcher.match.wordlist import lookup
from watcher.text import CLITIC_PREFIXES, Tokens, as_plain_text, light_form, normalise_words

SuggestionKind = Literal["variant", "name"]
MIN_EDITED = 5  # a word one letter away from an alias word is only suggested from this length


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A spelling to consider adding: as most often written, how it relates to the entity's
    aliases (``note``), how many times it was seen, one example, and whether it is a word."""

    spelling: str
    kind: SuggestionKind
    note: str  # "variant of 'سوتسكيفر'", "one letter from 'Sutskever'", "before 'Sutskever'"
    count: int
    example: str
    also_a_word: bool


@dataclass(frozen=True, slots=True)
class _Seen:
    key: str  # normalised spelling
    spelling: str
    kind: SuggestionKind
    note: str
    example: str


def suggest_aliases(entity: Entity, texts: Iterable[str], limit: int = 20) -> list[Suggestion]:
    """The ``limit`` spellings seen most often in ``texts`` that are probably ``entity``'s."""
    finder = _Finder(entity)
    counts: Counter[str] = Counter()
    written: dict[str, Counter[str]] = {}
    first: dict[str, _Seen] = {}
    for text in texts:
        for seen in finder.find(Tokens(as_plain_text(text))):
            counts[seen.key] += 1
            written.setdefault(seen.key, Counter())[seen.spelling] += 1
            first.setdefault(seen.key, seen)
    words = {
        language: lookup(language, {k for k in counts if bool(ARABIC_WORD.search(k)) == arabic})
        for language, arabic in (("ar", True), ("en", False))
    }
    suggestions = []
    for key, count in counts.most_common():
        word = words["ar" if ARABIC_WORD.search(key) else "en"].get(key)
        if word is not None and word.common:
            continue
        seen = first[key]
        spelling = written[key].most_common(1)[0][0]
        suggestions.append(
            Suggestion(spelling, seen.kind, seen.note, count, seen.example, word is not None)
        )
    return suggestions[:limit]


class _Finder:
    """One entity's alias words, their variants and their one-letter neighbours, indexed."""

    def __init__(self, entity: Entity) -> None:
        strong = [normalise_words(alias) for alias in entity.aliases]
        self.known = {
            " ".join(words)
            for alias in (*entity.aliases, *entity.weak_aliases, *entity.exclude)
            if (words := normalise_words(alias))
        }
        self.known_words = {word for key in self.known for word in key.split()}
        self.single = {
            words[0]: alias
            for words, alias in zip(strong, entity.aliases, strict=True)
            if len(words) == 1
        }
        self.originals: dict[str, str] = {}  # alias word → the alias as configured
        for words, alias in zip(strong, entity.aliases, strict=True):
            if words:
                self.originals.setdefault(words[-1], alias)
        self.variants: dict[str, str] = {}
        self.deletions: dict[str, set[str]] = {}
        for word in self.originals:
            for variant in arabic_variants(word) or english_variants(word):
                self.variants.setdefault(variant, word)
            if len(word) >= MIN_EDITED:
                for key in _deletions(word):
                    self.deletions.setdefault(key, set()).add(word)

    def find(self, tokens: Tokens) -> Iterator[_Seen]:
        for index, (raw, norm) in enumerate(zip(tokens.raw, tokens.norm, strict=True)):
            for form in _forms(raw, norm):
                if form in self.single and index > 0:
                    yield from self._name_before(tokens, index, form)
                    break
                seen = self._variant(tokens, index, form)
                if seen is not None:
                    yield seen
                    break

    def _variant(self, tokens: Tokens, index: int, form: str) -> _Seen | None:
        if form in self.known_words:
            return None
        if form in self.variants:
            note = f"variant of {self.originals[self.variants[form]]!r}"
        elif (near := self._one_letter_from(form)) is not None:
            note = f"one letter from {self.originals[near]!r}"
        else:
            return None
        start, end = tokens.span(index, index)
        spelling = tokens.text[start:end]
        return _Seen(form, spelling, "variant", note, snippet(tokens.text, start, end))

    def _name_before(self, tokens: Tokens, index: int, form: str) -> Iterator[_Seen]:
        before = tokens.norm[index - 1]
        key = f"{before} {form}"
        if key in self.known or before in self.known_words or not _name_like(tokens.raw[index - 1]):
            return
        start, end = tokens.span(index - 1, index)
        spelling = tokens.text[start:end]
        note = f"before {self.single[form]!r}"
        yield _Seen(key, spelling, "name", note, snippet(tokens.text, start, end))

    def _one_letter_from(self, form: str) -> str | None:
        if len(form) < MIN_EDITED:
            return None
        for key in _deletions(form):
            for word in self.deletions.get(key, ()):
                if _one_edit(form, word):
                    return word
        return None


def _forms(raw: str, norm: str) -> Iterator[str]:
    """A token as it is, then without the clitic prefix it may start with (وسوتسكفر)."""
    yield norm
    written = light_form(raw)
    for prefix in sorted(CLITIC_PREFIXES, key=len, reverse=True):
        if written.startswith(prefix) and len(norm) - len(prefix) >= 4:
            yield norm[len(prefix) :]


def _name_like(raw: str) -> bool:
    """A capitalised Latin word, or an Arabic word (common ones are dropped later)."""
    return raw[:1].isupper() or bool(ARABIC_WORD.fullmatch(light_form(raw)))


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one letter added, dropped, changed, or two
    neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) == 1 or (swapped and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
