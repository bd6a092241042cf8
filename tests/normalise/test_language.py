"""detect_language: the letters decide between scripts, the declared language within one, lingua
for the rest."""

from __future__ import annotations

import pytest

from watcher import language
from watcher.language import detect_language


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that would ask lingua."""

    def refuse(sample: str, codes: tuple[str, ...]) -> str | None:
        raise AssertionError(f"lingua asked about {sample!r} among {codes}")

    monkeypatch.setattr(language, "_lingua", refuse)


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize(
    ("text", "languages", "declared", "expected"),
    [
        ("OpenAI announces a new reasoning model", ["en", "ar"], None, "en"),
        ("وزير الخارجية يلتقي نظيره الفرنسي في الرياض", ["en", "ar"], None, "ar"),
        # the declared language is contradicted by the letters: they win
        ("وزير الخارجية يلتقي نظيره الفرنسي", ["en", "ar"], "en", "ar"),
        ("Le ministre a rencontré son homologue", ["en", "ar"], "fr", "en"),
        # most letters decide a mixed headline
        ("OpenAI تعلن عن نموذج جديد للباحثين", ["en", "ar"], None, "ar"),
        ("Sam Altman on ألتمان and the superalignment team", ["ar", "en"], None, "en"),
        # a text in a script no configured language uses: no language (normalise then keeps
        # the declared one), even when it quotes a few Latin words
        ("Цитата: кот немного PHP знает", ["en", "ar"], "ru", None),
        ("国际货币基金组织（IMF）警告说", ["en", "ar"], None, None),
        ("Цитата: кот немного PHP знает", ["en", "ru"], None, "ru"),
        ("Γειά σου Κόσμε", ["en", "el", "ar"], None, "el"),
        # no letters at all
        ("2026 — 42", ["en", "ar"], "ar", None),
        ("", ["en", "ar"], None, None),
        # within one script, the declared language decides when it is configured
        ("Le ministre a rencontré son homologue", ["en", "fr"], "fr", "fr"),
        ("Update changeLog", ["en", "de"], "EN", "en"),
        # kana say Japanese even where Chinese shares the ideographs
        ("東京でひらかれた会議", ["zh", "ja"], None, "ja"),
        # languages lingua does not know are ignored
        ("The quick brown fox", ["en", "zz"], None, "en"),
        ("The quick brown fox", ["zz"], "zz", None),
    ],
)
def test_decided_without_a_model(text, languages, declared, expected):
    assert detect_language(text, languages, declared) == expected


@pytest.mark.parametrize(
    ("text", "languages", "declared", "expected"),
    [
        # one script, no usable declaration: lingua, among the languages sharing that script
        ("Le ministre des affaires étrangères a rencontré son homologue", ["en", "fr"], None, "fr"),
        ("Le ministre des affaires étrangères a rencontré son homologue", ["en", "fr"], "de", "fr"),
        ("The foreign minister met his counterpart", ["en", "fr", "ar"], "ar", "en"),
        ("国际货币基金组织警告说全球经济恢复放缓", ["zh", "ja", "en"], None, "zh"),
    ],
)
def test_lingua_decides_within_a_script(text, languages, declared, expected):
    assert detect_language(text, languages, declared) == expected


def test_only_the_sample_is_read():
    arabic_after_the_sample = "English words " * 20 + "وزير الخارجية " * 50
    assert detect_language(arabic_after_the_sample, ["en", "ar"]) == "en"
