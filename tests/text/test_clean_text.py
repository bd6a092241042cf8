"""clean_text: what a reader sees, as one line; tags never split or glue words."""

from __future__ import annotations

import pytest

from watcher.text import clean_text, shorten


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("Jan <b>Leike</b>", "Jan Leike"),
        ("Lei<b>ke</b> said", "Leike said"),
        ("<p>a</p><p>b</p>", "a b"),
        ("one<br>two<br/>three", "one two three"),
        ("<ul><li>x</li><li>y</li></ul>", "x y"),
        ("<td>1</td><td>2</td>", "1 2"),
        ("before<script>alert('x')</script>after", "before after"),
        ("a<style type='text/css'>p {color: red}</style>b", "a b"),
        ("a<!-- hidden -->b", "ab"),
        ("x<script>never closed", "x"),
        ("Fish &amp; chips &#8212; &eacute;t&eacute;", "Fish & chips — été"),
        ("&lt;b&gt;literal&lt;/b&gt;", "<b>literal</b>"),
        ("a < b and c > d", "a < b and c > d"),
        ("  Line one\r\nline\ttwo\r  ", "Line one line two"),
        ("non&nbsp;breaking\u00a0space", "non breaking space"),
        ('<a href="https://x">link</a> text', "link text"),
        ("<img src=x alt=pic>caption", "caption"),
        ("وزير <b>الخارجية</b>", "وزير الخارجية"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_text(markup, expected):
    assert clean_text(markup) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four", 12, "one two…"),
        ("x" * 20, 10, "x" * 9 + "…"),
    ],
)
def test_shorten_cuts_at_a_word_boundary(text, limit, expected):
    result = shorten(text, limit)
    assert result == expected and len(result) <= limit
