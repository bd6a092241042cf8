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
import threading
import unicodedata
from bisect import bisect_left
from functools import lru_cache
from itertools import accumulate, product


def _word_class() -> str:
    """A regex class of word characters: letters, digits and combining marks (tashkeel, accents).

    Spelt out as ranges (not ``\\w`` plus marks in an alternation) because one character class
    is several times faster to scan. Astral planes count as letters, except the emoji blocks,
    so "Altman🚀" is still the word "Altman".
    """
    category = unicodedata.category
    codes = [c for c in range(0x10000) if chr(c).isalnum() or category(chr(c))[0] == "M"]
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    bmp = "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)
    return f"[{bmp}{_INVISIBLE}\\U00010000-\\U0001efff\\U0001fb00-\\U0010ffff]"


_INVISIBLE = "\u200c\u200d\u00ad"  # ZWNJ and ZWJ (Persian), soft hyphen: parts of a word
_WORD_CHAR = _word_class()
_APOSTROPHES = "'’‘ʼ`´′"
TOKEN = re.compile(f"{_WORD_CHAR}+(?:[{_APOSTROPHES}]{_WORD_CHAR}+)*")

_ARABIC_MARKS = "".join(
    chr(c) for c in [*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE)]
)
_DELETE = _ARABIC_MARKS + "\u0640" + _INVISIBLE  # U+0640 is tatweel (ـ)
_UNIFY = {
    **dict.fromkeys("أإآٱ", "ا"),
    **dict.fromkeys("ىیئےۓ", "ي"),  # alef maqsura, Persian/Urdu yeh, yeh with hamza
    "ک": "ك",  # Persian/Urdu keheh
    "ؤ": "و",
    **dict.fromkeys("ةۀەہۃھ", "ه"),  # teh marbuta; Persian/Urdu heh forms
    **{chr(0x0660 + d): str(d) for d in range(10)},
    **{chr(0x06F0 + d): str(d) for d in range(10)},
}
_APOSTROPHE_TABLE = str.maketrans(dict.fromkeys(_APOSTROPHES, "'"))  # before NFKC: "´" → " ́"
_LIGHT_TABLE = str.maketrans("", "", _DELETE)
_FULL_TABLE = str.maketrans({**dict.fromkeys(_DELETE), **_UNIFY})

# Arabic prefixes attached to a following name: a conjunction (و ف), then a preposition
# (ب ل ك), then the article (ال); "ل" + "ال" is written "لل".
CLITIC_PREFIXES = frozenset(
    (conj + prep + art).replace("لال", "لل").replace("لٱل", "لل")
    for conj, prep, art in product(("", "و", "ف"), ("", "ب", "ل", "ك"), ("", "ال", "ٱل"))
) - {""}


def normalise_token(raw: str) -> str:
    """One token as matching sees it.

    ``"Altman’s"`` → ``"altman"``, ``"أَلتمـان"`` → ``"التمان"``, ``"ＯｐｅｎＡＩ"`` → ``"openai"``.
    A normalised token is always one word: when NFKC turns a compatibility character into
    several ("ﷺ", "¼") or deleting marks leaves an apostrophe at an edge, only the word
    characters are kept, so matching's one-space-between-words search string stays exact.
    """
    if raw.isascii() and raw.isalnum():  # a plain word: NFKC and the tables leave it as it is
        return raw.lower()
    return _normalise_any(raw)


def _normalise_any(raw: str) -> str:
    """``normalise_token`` the long way, right for any token."""
    # Apostrophes unified on both sides of NFKC: before, or it turns "´" into a space and an
    # accent; after, for the apostrophes it makes itself ("ŉ" → "ʼn").
    text = unicodedata.normalize("NFKC", raw.translate(_APOSTROPHE_TABLE))
    text = text.translate(_APOSTROPHE_TABLE).casefold().translate(_FULL_TABLE)
    if not TOKEN.fullmatch(text):
        text = "".join(TOKEN.findall(text))
    while text.endswith("'s"):
        text = text[:-2]
    return text


def fold_letters(text: str) -> str:
    """The letter unification of ``normalise_token`` alone (alef, yeh, kaf and heh forms, Eastern
    digits; marks and tatweel dropped), in one pass over a whole text: for bulk input that is
    already NFKC and casefolded, such as a word list."""
    for source, target in _FOLD_PAIRS:
        if source in text:
            text = text.replace(source, target)
    return text


# ``str.translate`` looks every character up in a dict; a few ``replace`` scans are 5x faster
# over a whole word list.
_FOLD_PAIRS = [(chr(code), target or "") for code, target in _FULL_TABLE.items()]


@lru_cache(maxsize=20_000)
def light_form(raw: str) -> str:
    """The letters as written (NFKC, no diacritics or tatweel), used to check clitic prefixes."""
    return unicodedata.normalize("NFKC", raw).translate(_LIGHT_TABLE)


# --- HTML ---------------------------------------------------------------------------------------

_LOOKS_LIKE_HTML = re.compile(r"<[A-Za-z/!]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")

_DROPPED = re.compile(
    r"<(script|style|noscript|template|svg|math|head)\b.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_BLOCK_TAGS = (
    "address|article|aside|blockquote|br|caption|dd|details|dialog|div|dl|dt|fieldset|"
    "figcaption|figure|footer|form|h[1-6]|header|hr|img|li|main|nav|ol|p|pre|section|summary|"
    "table|tbody|td|tfoot|th|thead|tr|ul|video|audio|iframe|option|select|textarea|button"
)
_BLOCK = re.compile(rf"</?(?:{_BLOCK_TAGS})\b[^<>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>|<\?[^<>]*>")


def clean_text(markup: str | None) -> str:
    """HTML → one line of plain text: tags stripped, entities decoded, whitespace folded.

    Block tags (``<p>``, ``<br>``, ``<li>``…) become spaces, inline tags vanish, so tags never
    split or glue words: ``Jan <b>Leike</b>`` → ``Jan Leike``, ``<p>a</p><p>b</p>`` → ``a b``.
    Script, style and comment contents are dropped. Tags are removed before entities are
    decoded, so an escaped ``&lt;b&gt;`` survives as the text ``<b>``.
    """
    if not markup:
        return ""
    if "<" in markup:
        if "<!--" in markup:
            markup = _COMMENT.sub("", markup)
        markup = _DROPPED.sub(" ", markup)
        markup = _BLOCK.sub(" ", markup)
        markup = _TAG.sub("", markup)
    if "&" in markup:
        markup = html.unescape(markup)
    # str.split() splits on exactly the characters regex \s matches, several times faster.
    return " ".join(strip_controls(markup).split())


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut).rstrip() + "…"


# C0 controls but tab, line feed and carriage return; DEL; C1 controls (0x80–0x9f: a terminal
# may read 0x9b as CSI, like ESC [).
_CONTROLS = "".join(
    chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
)
_CONTROL = re.compile(f"[{re.escape(_CONTROLS)}]")
# Bidi embeddings, overrides and isolates: stored as sent (an Arabic outlet may use them), but
# raw in a terminal one would reverse the rest of the line, columns included.
_BIDI_CONTROLS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_SHOW_CONTROLS = str.maketrans(
    {c: f"\\x{ord(c):02x}" for c in _CONTROLS} | {chr(c): f"\\u{c:04x}" for c in _BIDI_CONTROLS}
)


def strip_controls(text: str) -> str:
    """``text`` without NUL and the other control characters (tab and line breaks kept).

    What feeds send may carry NUL (PostgreSQL's text cannot hold it) or terminal escape
    sequences (ESC, OSC): every text the store keeps goes through here.
    """
    # A search finds none in most texts: ~10x faster than translate, which reads every
    # character of a non-ASCII text through a dict.
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters shown as ``\\x1b`` and bidi overrides as
    ``\\u202e``, never sent raw."""
    return text.translate(_SHOW_CONTROLS)


def one_line(text: str) -> str:
    """Line breaks and runs of white space become one space (a mail header, a table cell)."""
    return " ".join(text.split())


def as_plain_text(text: str) -> str:
    """Plain text of a field that may still hold HTML (``Jan <b>Leike</b>`` → ``Jan Leike``).

    Plain text is returned as it is, so spans stay offsets into the field as stored.
    """
    if ("<" not in text and "&" not in text) or not _LOOKS_LIKE_HTML.search(text):
        return text
    return clean_text(text)


# --- tokens ------------------------------------------------------------------------------------


_SPLIT = re.compile(f"({TOKEN.pattern})")
_KNOWN: dict[str, str] = {}  # raw token → normalised: words repeat, so most are seen before
_KNOWN_MAX = 100_000  # ~20 MB; news vocabulary is Zipfian, so this holds most of it
_LEARNING = threading.Lock()  # a poll and a backfill may match in two threads


def normalise_tokens(raw: list[str]) -> list[str]:
    """``normalise_token`` for many tokens: only the ones never seen before cost Python work."""
    norm = list(map(_KNOWN.get, raw))
    if None not in norm:
        return norm  # type: ignore[return-value]
    with _LEARNING:
        missing = set(raw).difference(_KNOWN)
        if len(_KNOWN) + len(missing) > _KNOWN_MAX:
            _KNOWN.clear()
            missing = set(raw)
        _KNOWN.update((word, normalise_token(word)) for word in missing)
        return list(map(_KNOWN.__getitem__, raw))


class Tokens:
    """A text's tokens: normalised forms and the search string; spans are worked out on demand.

    ``joined`` is ``" " + " ".join(norm) + " "``, so a space always marks a word boundary.
    Splitting with a capturing group gives separators and tokens alternately, all in C; their
    running lengths give every token's span when a hit asks for one.
    """

    __slots__ = ("_ends", "_parts", "joined", "norm", "raw", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._parts = _SPLIT.split(text)
        self.raw: list[str] = self._parts[1::2]
        self.norm = normalise_tokens(self.raw)
        self.joined = " " + " ".join(self.norm) + " "
        self._ends: list[int] | None = None

    def index_at(self, position: int) -> int:
        """The token containing ``position`` of ``joined`` (a space ends each token)."""
        return self.joined.count(" ", 0, position + 1) - 1

    def word_start(self, position: int) -> int:
        """Where the token containing ``position`` of ``joined`` starts."""
        return self.joined.rfind(" ", 0, position + 1) + 1

    @property
    def ends(self) -> list[int]:
        """Running lengths of the split parts: token ``i`` is ``text[ends[2i]:ends[2i+1]]``."""
        if self._ends is None:
            self._ends = list(accumulate(map(len, self._parts)))
        return self._ends

    def covering(self, start: int, end: int) -> tuple[int, int]:
        """The first and last tokens within characters ``start:end`` of ``text``."""
        starts = self.ends[0:-1:2]
        first = bisect_left(starts, start)
        return first, max(first, bisect_left(starts, end) - 1)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Characters of ``text`` from token ``first`` to token ``last`` (inclusive); a
        possessive "'s" at the end is left out."""
        start, end = self.ends[2 * first], self.ends[2 * last + 1]
        if self.text[end - 2 : end - 1] in _APOSTROPHES and self.text[end - 1] in "sS":
            end -= 2
        return start, end


def normalise_words(text: str) -> tuple[str, ...]:
    """An alias or query phrase as a tuple of normalised words: ``"Super-Alignment"`` →
    ``("super", "alignment")``."""
    return tuple(word for word in Tokens(as_plain_text(text)).norm if word)
