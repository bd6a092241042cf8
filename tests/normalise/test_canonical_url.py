"""canonical_url: table-driven cases, plus the properties the pipeline relies on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.normalise import canonical_url

CASES = [
    # (url, base, expected)
    ("HTTP://Example.COM:80/a/b?b=2&a=1#frag", None, "http://example.com/a/b?a=1&b=2"),
    ("https://EX.com:443/%7Efoo?q=a+b", None, "https://ex.com/~foo?q=a+b"),
    ("https://ex.com:8443/x", None, "https://ex.com:8443/x"),
    ("https://ex.com", None, "https://ex.com/"),
    ("https://ex.com./x", None, "https://ex.com/x"),
    ("https://ex.com/p?utm_source=rss&utm_medium=feed&id=7", None, "https://ex.com/p?id=7"),
    ("https://ex.com/p?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=tw", None, "https://ex.com/p"),
    ("https://ex.com/p?UTM_Campaign=x&msclkid=y&_ga=z&keep=1", None, "https://ex.com/p?keep=1"),
    ("https://ex.com/p?a=1&a=2&b=", None, "https://ex.com/p?a=1&a=2&b="),
    ("https://ex.com/ä?x=ü", None, "https://ex.com/%C3%A4?x=%C3%BC"),
    ("https://ex.com/a b", None, "https://ex.com/ab"),
    ("  https://ex.com/x\n", None, "https://ex.com/x"),
    ("/posts/1?utm_source=x", "https://Ex.com/feed.xml", "https://ex.com/posts/1"),
    ("posts/2", "https://ex.com/blog/feed", "https://ex.com/blog/posts/2"),
    ("//cdn.ex.com/a", "https://ex.com/", "https://cdn.ex.com/a"),
    ("http://[::1]:80/x", None, "http://[::1]/x"),
    ("https://user:pw@ex.com/x", None, "https://ex.com/x"),
    ("mailto:a@ex.com", None, None),
    ("javascript:alert(1)", "https://ex.com/", None),
    ("tag:ex.com,2024:1", None, None),
    ("ex.com/no-scheme", None, None),
    ("https://ex.com:99999/", None, None),
    ("http://[::1/", None, None),
    ("", None, None),
    (None, None, None),
]


@pytest.mark.parametrize(("url", "base", "expected"), CASES)
def test_canonical_url(url, base, expected):
    assert canonical_url(url, base) == expected


@pytest.mark.parametrize(("url", "base", "expected"), [c for c in CASES if c[2]])
def test_canonical_url_is_idempotent_on_the_table(url, base, expected):
    assert canonical_url(expected) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from(["http", "https", "HTTP", "ftp"]))
def test_canonical_url_never_raises_and_is_idempotent(tail, scheme):
    once = canonical_url(f"{scheme}://Ex.com/{tail}")
    assert once is None or canonical_url(once) == once
    relative = canonical_url(tail, "https://ex.com/feed")
    assert relative is None or relative.startswith(("http://", "https://"))
