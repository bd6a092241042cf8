"""Which spellings are words: wordfreq's frequency lists, looked up when a matcher is built.

A variant spelling of a name (``لايك`` for ``لايكي``, ``Altmann`` for ``Altman``) is only safe
to match on its own when it is not also a word or somebody else's name. wordfreq
(https://github.com/rspeer/wordfreq) ships word frequencies for Arabic and English built from
Wikipedia, subtitles, news, books, web text and social media, on the Zipf scale (a word at
``z`` occurs 10**z times per billion words; its "large" lists stop near 1.0).

Cost: wordfreq's own API takes about a second to import and read the Arabic list (620,000
words), and keeping a list in memory costs tens of megabytes. A matcher only needs to know about
the few thousand spellings it generated, so ``lookup`` reads the list file once for all of them
(with msgpack, stopping at ``KNOWN_ZIPF``: 0.1 to 0.3 s) and keeps only the answers, per
process; a spelling already answered never reads the file again. The file layout is wordfreq's
documented "cBpack" format (``wordfreq.read_cBpack``): a gzipped msgpack list, a header, then
one list of words per centibel of frequency, most frequent first.
"""

from __future__ import annotations

import gzip
import importlib.util
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgpack

from watcher.text import CLITIC_PREFIXES, fold_letters, light_form

# At or above: a word (or a name) that a reader may mean instead of ours. English lists a
# surname once a few people write it (Aultman, Brookman: 1.0-2.0), so all of it counts; Arabic
# attaches clitics and inflections to words, so its tail is long and holds the very spellings of
# foreign names that outlets use, and only its head counts.
KNOWN_ZIPF = {"ar": 2.0, "en": 1.0}
COMMON_ZIPF = 4.0  # at or above (about the 10,000 commonest forms): no context tells them apart


@dataclass(frozen=True, slots=True)
class Word:
    """What the list says about one normalised spelling that is a word, alone or after a
    clitic ("التمن" is also "ال" + "تمن").

    ``written`` holds its spellings as written: the normaliser merges ``التمن`` ("the rice")
    with ``ألتمن`` (a spelling of Altman), the list does not, so a hit written ``ألتمن`` is
    known not to be the word.
    """

    written: frozenset[str]
    common: bool  # the spelling itself is at or above COMMON_ZIPF
    listed: bool  # the spelling itself is in the list (not only after a clitic)

    def is_written(self, raw: str) -> bool:
        """Whether ``raw``, spelt as in a text (diacritics aside), is one of these words."""
        return light_form(raw).casefold() in self.written


_ANSWERS: dict[tuple[str, str], Word | None] = {}
_READING = threading.Lock()


def lookup(language: str, spellings: Iterable[str]) -> dict[str, Word]:
    """The normalised ``spellings`` of ``language`` ("ar", "en") that are words."""
    spellings = set(spellings)
    with _READING:
        unseen = {spelling for spelling in spellings if (language, spelling) not in _ANSWERS}
        if unseen:
            _ANSWERS.update(((language, s), word) for s, word in _read(language, unseen).items())
    answers = ((spelling, _ANSWERS[language, spelling]) for spelling in spellings)
    return {spelling: word for spelling, word in answers if word is not None}


def _read(language: str, spellings: set[str]) -> dict[str, Word | None]:
    """One pass over the list for all of ``spellings`` and the words they read as."""
    wanted = {reading for spelling in spellings for reading in _readings(spelling)}
    written: dict[str, set[str]] = defaultdict(set)
    common: set[str] = set()
    path = _data_file(language)
    for zipf, words in _buckets(path, KNOWN_ZIPF.get(language, 1.0)) if path else ():
        keys = fold_letters("\n".join(words)).split("\n")
        for key, word in zip(keys, words, strict=True):
            if key in wanted:
                written[key].add(word)
                if zipf >= COMMON_ZIPF:
                    common.add(key)
    return {spelling: _word(spelling, written, common) for spelling in spellings}


def _word(spelling: str, written: dict[str, set[str]], common: set[str]) -> Word | None:
    forms = set(written.get(spelling, ()))
    for reading in _readings(spelling):
        prefix = spelling[: len(spelling) - len(reading)]
        forms |= {prefix + form for form in written.get(reading, ())} if prefix else set()
    if not forms:
        return None
    return Word(frozenset(forms), spelling in common, spelling in written)


def _readings(word: str) -> Iterator[str]:
    """The word, and what is left of it after each clitic prefix it may start with (three
    letters or more: "التمن" is also "ال" + "تمن")."""
    yield word
    for prefix in CLITIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            yield word[len(prefix) :]


def _data_file(language: str) -> Path | None:
    """wordfreq's "large" list for ``language``, found without importing wordfreq (its import
    alone, with ftfy and langcodes, costs more than reading the words we need)."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    path = package / "data" / f"large_{language}.msgpack.gz"
    return path if path.is_file() else None


def _buckets(path: Path, lowest: float) -> Iterator[tuple[float, list[str]]]:
    """(Zipf value, words) for every bucket at or above ``lowest``, most frequent first."""
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(gzip.decompress(path.read_bytes()))  # 8 MB; msgpack reading gzip is 30x slower
    count = unpacker.read_array_header()
    header = unpacker.unpack()
    if not isinstance(header, dict) or header.get("format") != "cB":
        raise ValueError(f"{path}: not a wordfreq cBpack file (header {header!r})")
    for centibels in range(count - 1):
        zipf = (900 - centibels) / 100
        if zipf < lowest:
            return
        words = unpacker.unpack()
        if words:
            yield zipf, words
