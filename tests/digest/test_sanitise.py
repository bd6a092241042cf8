"""Feed HTML through the allowlist: what survives, what never does."""

from __future__ import annotations

import pytest

from watcher.digest.sanitise import canonical_link, clean_html, sanitised_text, snippet

HOSTILE = [
    '<script>alert(1)</script>',
    '<p onclick="x()">t</p>',
    '<p style="position:fixed;top:0">t</p>',
    '<a href="javascript:alert(1)">t</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">t</a>',
    '<a href="JaVaScRiPt:alert(1)">t</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<form action="https://evil.example/"><input name="q"><button>go</button></form>',
    '<img src="https://tracker.example/p.gif" onerror="x()">',
    '<svg><script>alert(1)</script></svg>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<style>body{display:none}</style>',
    '<a href="vbscript:msgbox(1)">t</a>',
]  # fmt: skip
NEVER = ("<script", "onclick", "onerror", "style=", "javascript:", "data:", "vbscript:", "<iframe",
         "<form", "<input", "<img", "<svg", "<object", "<embed", "<style", "alert(")  # fmt: skip


@pytest.mark.parametrize("fragment", HOSTILE)
def test_hostile_html_never_survives(fragment: str) -> None:
    for cleaned in (
        clean_html(fragment),
        sanitised_text(fragment),
        str(snippet(sanitised_text(fragment), [])),
    ):
        lowered = cleaned.lower()
        assert not any(bad in lowered for bad in NEVER), cleaned


def test_links_are_canonical_and_remote_images_are_off_unless_asked() -> None:
    fragment = (
        '<p>Read <a href="https://Example.com/a?utm_source=x&id=3#top">this</a>'
        '<img src="https://images.example/p.jpg" alt="p"></p>'
    )
    assert clean_html(fragment) == (
        '<p>Read <a href="https://example.com/a?id=3" rel="noopener noreferrer nofollow">this</a></p>'
    )
    assert '<img src="https://images.example/p.jpg" alt="p">' in clean_html(fragment, images=True)
    assert canonical_link("javascript:alert(1)") is None


def test_sanitised_text_keeps_words_apart_and_decodes_entities() -> None:
    assert sanitised_text("<p>Jan</p><p>Leike &amp; <b>co</b></p>") == "Jan Leike & co"


def test_a_snippet_is_a_window_around_the_first_name_escaped_and_marked() -> None:
    text = "filler " * 80 + "then Jan Leike said <b>this</b> about Leike " + "more " * 80
    cut = str(snippet(text, ["Jan Leike", "Leike"], length=120))

    assert cut.startswith("… ") and cut.endswith(" …")
    assert "<mark>Jan Leike</mark> said &lt;b&gt;this&lt;/b&gt; about <mark>Leike</mark>" in cut
    assert len(cut) < 220
    assert str(snippet("يان لايكه ينضم", ["يان لايكه"])) == "<mark>يان لايكه</mark> ينضم"
