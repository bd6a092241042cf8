"""The word lists read straight from wordfreq's files agree with wordfreq's own API."""

from __future__ import annotations

import pytest

from watcher.match.wordlist import COMMON_ZIPF, KNOWN_ZIPF, lookup


@pytest.mark.slow  # wordfreq's own API reads the whole lists: several seconds
@pytest.mark.parametrize(
    ("language", "word"),
    [
        ("ar", "لايك"),
        ("ar", "التمن"),
        ("ar", "مراتي"),
        ("ar", "سوتسكفر"),
        ("ar", "جوجل"),
        ("en", "altmann"),
        ("en", "summer"),
        ("en", "sutskevar"),
        ("en", "aultman"),
    ],
)
def test_lookup_agrees_with_wordfreq(language: str, word: str) -> None:
    from wordfreq import zipf_frequency

    zipf = zipf_frequency(word, language)
    found = lookup(language, [word]).get(word)
    assert (found is not None and found.listed) == (zipf >= KNOWN_ZIPF[language])
    if found is not None:
        assert found.common == (zipf >= COMMON_ZIPF)


def test_written_forms_tell_a_hamza_from_the_article() -> None:
    rice = lookup("ar", ["التمن"])["التمن"]
    assert rice.is_written("التمن")
    assert not rice.is_written("ألتمن")


def test_a_clitic_reading_makes_a_word() -> None:
    word = lookup("ar", ["والتمن"])["والتمن"]  # و + التمن, and ال + تمن
    assert not word.listed
    assert word.is_written("والتمن")
