"""The normaliser: one set of rules for aliases, query words and item text."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcher.text import (
    CLITIC_PREFIXES,
    Tokens,
    _normalise_any,
    as_plain_text,
    normalise_token,
    normalise_words,
    printable,
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Sam ALTMAN", ("sam", "altman")),
        ("ＯｐｅｎＡＩ", ("openai",)),  # NFKC: full-width letters
        ("Straße", ("strasse",)),  # casefold
        ("Altman's board", ("altman", "board")),
        ("Altman’s board", ("altman", "board")),  # curly apostrophe
        ("Altmanʼs", ("altman",)),
        ("O’Brien", ("o'brien",)),  # inner apostrophes unified, kept
        ("super-alignment", ("super", "alignment")),
        ("super – alignment", ("super", "alignment")),
        ("“Jan Leike”", ("jan", "leike")),  # curly quotes are punctuation
        ("Jan <b>Leike</b>", ("jan", "leike")),
        ("Jan<br>Leike", ("jan", "leike")),  # a block tag never glues words
        ("Lei<b>ke</b>", ("leike",)),  # an inline tag never splits one
        ("<p>Jan</p><p>Leike</p>", ("jan", "leike")),
        ("Jan&nbsp;Leike &amp; co", ("jan", "leike", "co")),
        ("Altman&#8217;s", ("altman",)),
        ("Altman🚀 says", ("altman", "says")),
        ("jan_leike", ("jan", "leike")),
        # Arabic: tashkeel, tatweel, alef forms, yeh/alef maqsura, teh marbuta, Persian letters
        ("أَلْتْمَان", ("التمان",)),
        ("ألتمـــان", ("التمان",)),
        ("إيليا", ("ايليا",)),
        ("آية", ("ايه",)),
        ("ٱلجزيرة", ("الجزيره",)),
        ("مصطفى", ("مصطفي",)),
        ("علی", ("علي",)),  # Persian yeh
        ("کتاب", ("كتاب",)),  # Persian kaf
        ("پاکستان ہے", ("پاكستان", "هي")),  # Urdu keheh, heh goal, yeh barree
        ("ﻟﻴﻜﻪ", ("ليكه",)),  # presentation forms, through NFKC
        ("٢٠٢٤", ("2024",)),
        ("می‌خواهم", ("ميخواهم",)),  # a zero-width non-joiner stays inside the word
        ("بـOpenAI", ("بopenai",)),
    ],
)
def test_normalise_words(text: str, words: tuple[str, ...]) -> None:
    assert normalise_words(text) == words


def test_spans_point_at_the_original_text() -> None:
    text = "Yesterday, Sam Altman’s board met; وألتمـان قال"
    tokens = Tokens(text)
    assert tokens.norm == ["yesterday", "sam", "altman", "board", "met", "والتمان", "قال"]
    start, end = tokens.span(1, 2)
    assert text[start:end] == "Sam Altman"  # the possessive is left out
    start, end = tokens.span(5, 5)
    assert text[start:end] == "وألتمـان"


def test_tokens_joined_has_a_space_at_every_boundary() -> None:
    tokens = Tokens("a-b, c")
    assert tokens.joined == " a b c "
    assert [tokens.index_at(position) for position in (1, 3, 5)] == [0, 1, 2]
    assert tokens.covering(2, 6) == (1, 2)


def test_plain_text_is_left_as_is_so_spans_stay_valid() -> None:
    assert as_plain_text("a < b and c > d") == "a < b and c > d"
    assert as_plain_text("x <b>y</b>") == "x y"


def test_clitic_prefixes_are_the_combinations_and_nothing_else() -> None:
    for prefix in ("و", "ف", "ب", "ل", "ك", "ال", "وال", "بال", "فال", "لل", "وب", "ول", "ولل"):
        assert prefix in CLITIC_PREFIXES
    for not_prefix in ("ا", "إل", "أل", "ي", "من", "بو", "لب"):
        assert not_prefix not in CLITIC_PREFIXES


@pytest.mark.parametrize("odd", ["ﷺ", "¼", "⑴", "سامﹰ", "Altman´s", "ـ'a"])
def test_a_token_always_normalises_to_one_word_so_spans_stay_aligned(odd: str) -> None:
    text = f"{odd} then Jan Leike"
    tokens = Tokens(text)
    assert all(word and " " not in word for word in tokens.norm)
    position = tokens.joined.index(" jan leike ") + 1
    first, last = tokens.index_at(position), tokens.index_at(position + len("jan leike") - 1)
    start, end = tokens.span(first, last)
    assert text[start:end] == "Jan Leike"


@given(st.text(alphabet=string.ascii_letters + string.digits, min_size=1))
def test_a_plain_ascii_word_takes_the_short_way_to_the_same_token(word: str) -> None:
    assert normalise_token(word) == _normalise_any(word) == word.lower()


def test_printable_shows_escapes_and_bidi_overrides_and_keeps_arabic() -> None:
    title = "Leike \x1b]8;;https://evil.example\x07 \u202egpj.exe\u202c يان لايكه\u200f"

    shown = printable(title)

    assert shown == (
        "Leike \\x1b]8;;https://evil.example\\x07 \\u202egpj.exe\\u202c يان لايكه\u200f"
    )  # a right-to-left mark is Arabic typography, not an override: it stays
