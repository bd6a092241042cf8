"""The one text normaliser, applied alike to aliases, query words and item fields.

Text becomes a list of *tokens* (words), each normalised on its own and kept with its span in
the original text, so a match found in normalised text can always point back at the characters
a reader sees. A token is a run of letters, digits and combining marks, with inner apostrophes
("O'Brien"); everything else (spaces, punctuation, hyphens, HTML tags) separates tokens, which
is why "super-alignment" and "super alignment" are the same two tokens.

Per token: Unicode NFKC, casefold, apostrophes unified and a possessive "'s" dropped, Arabic
diacritics (tashkeel), tatweel and zero-width joiners removed, and Arabic/Persian/Urdu letter
variants unified (alef forms, yeh, kaf, teh marbuta, Eastern digits).

Arabic attaches clitics to the next word: "وألتمان" is "و" + "ألتمان". Matching accepts a name
that starts inside a token only when what precedes it in that token is one of the prefixes in
``CLITIC_PREFIXES`` (checked on the letters as written, so "إليك" never counts as "ال" + "يك").
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import product


def _mark_ranges() -> str:
    """A regex class body of every combining mark in the BMP (tashkeel, Latin accents...)."""
    marks = [c for c in range(0x10000) if unicodedata.category(chr(c)) in {"Mn", "Mc", "Me"}]
    ranges: list[tuple[int, int]] = []
    for code in marks:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


_INVISIBLE = "\u200c\u200d\u00ad"  # ZWNJ and ZWJ (Persian), soft hyphen: parts of a word
_WORD_CHAR = f"(?:[^\\W_]|[{_mark_ranges()}{_INVISIBLE}])"
_APOSTROPHES = "'’‘ʼ`´′"
TOKEN = re.compile(f"{_WORD_CHAR}+(?:[{_APOSTROPHES}]{_WORD_CHAR}+)*")

_ARABIC_MARKS = "".join(
    chr(c) for c in [*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE)]
)
_DELETE = _ARABIC_MARKS + "\u0640" + _INVISIBLE  # U+0640 is tatweel (ـ)
_UNIFY = {
    **dict.fromkeys("أإآٱ", "ا"),
    **dict.fromkeys("ىیئ", "ي"),
    "ک": "ك",
    "ؤ": "و",
    **dict.fromkeys("ةۀە", "ه"),
    **dict.fromkeys("’‘ʼ`´′", "'"),
    **{chr(0x0660 + d): str(d) for d in range(10)},
    **{chr(0x06F0 + d): str(d) for d in range(10)},
}
_LIGHT_TABLE = str.maketrans("", "", _DELETE)
_FULL_TABLE = str.maketrans({**dict.fromkeys(_DELETE), **_UNIFY})

# Arabic prefixes attached to a following name: a conjunction (و ف), then a preposition
# (ب ل ك), then the article (ال); "ل" + "ال" is written "لل".
CLITIC_PREFIXES = frozenset(
    (conj + prep + art).replace("لال", "لل")
    for conj, prep, art in product(("", "و", "ف"), ("", "ب", "ل", "ك"), ("", "ال", "ٱل"))
) - {""}


@lru_cache(maxsize=200_000)
def normalise_token(raw: str) -> str:
    """One token as matching sees it: ``"Altman’s"`` → ``"altman"``, ``"أَلتمـان"`` → ``"التمان"``.

    Cached: words repeat across items, and this is the only per-token work.
    """
    text = unicodedata.normalize("NFKC", raw).casefold().translate(_FULL_TABLE)
    if text.endswith("'s"):
        text = text[:-2]
    return text


def light_form(raw: str) -> str:
    """The letters as written (NFKC, no diacritics or tatweel), used to check clitic prefixes."""
    return unicodedata.normalize("NFKC", raw).translate(_LIGHT_TABLE)


def is_clitic_prefix(raw_token: str, length: int) -> bool:
    """Whether the first ``length`` normalised characters of ``raw_token`` are a clitic prefix."""
    return light_form(raw_token)[:length] in CLITIC_PREFIXES


# --- HTML --------------------------------------------------------------------------------------

_LOOKS_LIKE_HTML = re.compile(r"<[A-Za-z/!]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")
_INVISIBLE_ELEMENTS = re.compile(
    r"<(script|style|template|noscript)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|header|"
    r"footer|pre|figure|figcaption|dd|dt|dl|img|iframe)\b[^>]*>",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(r"</?[A-Za-z][^>]*>|<![^>]*>")


def html_to_text(text: str) -> str:
    """Plain text of an HTML fragment: inline tags vanish (``Lei<b>ke</b>`` stays one word),
    block tags become a space (``<p>Jan</p><p>Leike</p>`` stays two), entities are decoded."""
    if not _LOOKS_LIKE_HTML.search(text):
        return text
    text = _INVISIBLE_ELEMENTS.sub(" ", text)
    text = _BLOCK_TAG.sub(" ", text)
    text = _ANY_TAG.sub("", text)
    return html.unescape(text)


# --- tokens ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Tokens:
    """A text's tokens: raw spans in ``text``, normalised forms, and the search string.

    ``joined`` is ``" " + " ".join(norm) + " "``; ``offsets[i]`` is where token ``i`` starts in
    it. Patterns are searched in ``joined`` so that a space always marks a word boundary.
    """

    text: str
    spans: list[tuple[int, int]]
    norm: list[str]
    joined: str
    offsets: list[int]

    def raw(self, index: int) -> str:
        start, end = self.spans[index]
        return self.text[start:end]


def tokenize(text: str) -> Tokens:
    """Split plain text into normalised tokens, dropping any that normalise to nothing."""
    spans: list[tuple[int, int]] = []
    norm: list[str] = []
    offsets: list[int] = []
    position = 1
    for found in TOKEN.finditer(text):
        word = normalise_token(found.group())
        if not word:
            continue
        start, end = found.span()
        if text[end - 2 : end - 1] in _APOSTROPHES and text[end - 1] in "sS":
            end -= 2
        spans.append((start, end))
        norm.append(word)
        offsets.append(position)
        position += len(word) + 1
    joined = " " + " ".join(norm) + " " if norm else " "
    return Tokens(text, spans, norm, joined, offsets)


def normalise_words(text: str) -> tuple[str, ...]:
    """An alias or query phrase as a tuple of normalised words: ``"Super-Alignment"`` →
    ``("super", "alignment")``."""
    return tuple(tokenize(html_to_text(text)).norm)
