"""Which spellings are words: wordfreq's frequency lists, read once per process.

A variant spelling of a name (``لايك`` for ``لايكي``, ``Altmann`` for ``Altman``) is only safe
to match on its own when it is not also a word or somebody else's name. wordfreq
(https://github.com/rspeer/wordfreq) ships word frequencies for Arabic and English built from
Wikipedia, subtitles, news, books, web text and social media, on the Zipf scale (a word at
``z`` occurs 10**z times per billion words; its "large" lists stop near 1.0).

Cost, measured on the project's 2-core machine: wordfreq's own API takes about a second to
import and read the Arabic list (620,000 words). Matching only needs the words at or above
``KNOWN_ZIPF``, which come first in the file, so the file is read with msgpack and the rest is
never unpacked, once per process, and only when a
config has names that get variants. The words are kept as sorted arrays of their string hashes
(8 bytes a word: about 3 MB for both languages, where a dict of the strings takes 50 MB); a
64-bit hash mistaken for another among 200,000 words is a one-in-10^14 event, and its only
effect would be to make one variant spelling need a second clue. The file layout is wordfreq's
documented "cBpack" format (``wordfreq.read_cBpack``): a gzipped msgpack list, a header, then
one list of words per centibel of frequency, most frequent first.
"""

from __future__ import annotations

import gzip
import importlib.util
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import msgpack

from watcher.text import CLITIC_PREFIXES, fold_letters, light_form

# At or above: a word (or a name) that a reader may mean instead of ours. English lists a
# surname once a few people write it (Aultman, Brookman: 1.0-2.0), so all of it counts; Arabic
# attaches clitics and inflections to words, so its tail is long and holds the very spellings of
# foreign names that outlets use, and only its head counts.
KNOWN_ZIPF = {"ar": 2.0, "en": 1.0}
COMMON_ZIPF = 4.0  # at or above (about the 10,000 commonest forms): no context tells them apart


@dataclass(frozen=True, slots=True, eq=False)
class WordList:
    """One language's words at or above its ``KNOWN_ZIPF``.

    Looked up normalised (``watcher.text``: the form matching sees) or as written: the
    normaliser merges ``التمن`` ("the rice") with ``ألتمن`` (a spelling of Altman), the list does
    not, so a hit written ``ألتمن`` is known not to be the word.
    """

    normalised: array  # sorted hashes of the words' normalised forms
    written: array  # sorted hashes of the words as written (no marks, casefolded)
    common: array  # sorted hashes of the normalised forms at or above COMMON_ZIPF

    def has(self, normalised: str) -> bool:
        """Whether the list has this normalised spelling itself (a famous name, or a word)."""
        return _contains(self.normalised, normalised)

    def is_word(self, normalised: str) -> bool:
        """Whether a normalised spelling is a word, alone or after a clitic (ال + تمن)."""
        return any(_contains(self.normalised, word) for word in _readings(normalised))

    def is_common(self, normalised: str) -> bool:
        return _contains(self.common, normalised)

    def is_written_word(self, raw: str) -> bool:
        """Whether ``raw``, spelt as in a text (diacritics aside), is a word, alone or after a
        clitic."""
        written = light_form(raw).casefold()
        return any(_contains(self.written, word) for word in _readings(written))


def _readings(word: str) -> Iterator[str]:
    """The word, and what is left of it after each clitic prefix it may start with (a word of
    three letters or more: "التمن" is also "ال" + "تمن")."""
    yield word
    for prefix in CLITIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            yield word[len(prefix) :]


@lru_cache(maxsize=4)
def wordlist(language: str) -> WordList:
    """The words of ``language`` ("ar", "en"); an empty list when wordfreq has none."""
    path = _data_file(language)
    buckets = _buckets(path, KNOWN_ZIPF.get(language, 1.0)) if path else []
    words = [word for _, bucket in buckets for word in bucket]
    keys = fold_letters("\n".join(words)).split("\n") if words else []
    common = sum(len(bucket) for zipf, bucket in buckets if zipf >= COMMON_ZIPF)
    return WordList(_hashes(keys), _hashes(words), _hashes(keys[:common]))


def _hashes(strings: Iterable[str]) -> array:
    return array("q", sorted(set(map(hash, strings))))


def _contains(hashes: array, text: str) -> bool:
    value = hash(text)
    index = bisect_left(hashes, value)
    return index < len(hashes) and hashes[index] == value


def _data_file(language: str) -> Path | None:
    """wordfreq's "large" list for ``language``, found without importing wordfreq (its import
    alone, with ftfy and langcodes, costs more than reading the words we need)."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    path = package / "data" / f"large_{language}.msgpack.gz"
    return path if path.is_file() else None


def _buckets(path: Path, lowest: float) -> list[tuple[float, list[str]]]:
    """(Zipf value, words) for every bucket at or above ``lowest``, most frequent first."""
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(gzip.decompress(path.read_bytes()))  # 8 MB; msgpack reading gzip is 30x slower
    count = unpacker.read_array_header()
    header = unpacker.unpack()
    if not isinstance(header, dict) or header.get("format") != "cB":
        raise ValueError(f"{path}: not a wordfreq cBpack file (header {header!r})")
    buckets = []
    for centibels in range(count - 1):
        zipf = (900 - centibels) / 100
        if zipf < lowest:
            break
        buckets.append((zipf, unpacker.unpack()))
    return buckets
