"""Property: canonical_url never raises, and what it returns is already canonical.

Item identity rests on this: an article seen twice must get the same key both times, so the
canonical form of a canonical URL must be itself, whatever a hostile feed puts in its links.
The URLs below are built from the pieces publishers and attackers actually vary (case, ports,
user info, IPv6 hosts, percent-escapes, tracking parameters, fragments, stray whitespace,
non-ASCII) rather than from random text alone, which rarely even parses as a URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from watcher.urls import TRACKING_PARAMETERS, canonical_url

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCHEMES = st.sampled_from(["http", "https", "HTTP", "Https", "ftp", "javascript", "data", ""])
LABELS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,10}", fullmatch=True)
HOSTS = st.one_of(
    st.lists(LABELS, min_size=1, max_size=3).map(".".join).map(lambda h: h + ".example"),
    st.sampled_from(
        [
            "[::1]",
            "[2001:db8::1]",
            "[::ffff:10.0.0.1]",
            "127.0.0.1",
            "169.254.169.254",
            "xn--mnchen-3ya.de",
            "münchen.de",
            "例え.jp",
            "EXAMPLE.COM.",
            "[::1",
            "host:port",
            "",
        ]
    ),
)
PORTS = st.one_of(
    st.just(""),
    st.integers(0, 70000).map(lambda p: f":{p}"),
    st.sampled_from([":80", ":443", ":", ":abc"]),
)
USERINFO = st.sampled_from(["", "user@", "user:pw@", "u%40x:p%3A@", "@"])
PATH_PIECES = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8),
    st.sampled_from(["%7E", "%2F", "%zz", "%", "..", ".", "a b", "\n", "\t", "ä", "ñ", ";p=1"]),
)
PATHS = st.lists(PATH_PIECES, max_size=4).map(lambda parts: "/" + "/".join(parts))
PARAM_NAMES = st.one_of(
    st.sampled_from(sorted(TRACKING_PARAMETERS)),
    st.sampled_from(["utm_source", "UTM_Medium", "pk_campaign", "id", "q", "page", "a", "a[]"]),
    st.text(max_size=5),
)
PARAM_VALUES = st.one_of(st.text(max_size=6), st.sampled_from(["", "a+b", "%20", "x=y", "&", "#"]))
QUERIES = st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES), max_size=5).map(
    lambda pairs: ("?" + "&".join(f"{k}={v}" for k, v in pairs)) if pairs else ""
)
FRAGMENTS = st.one_of(st.just(""), st.text(max_size=6).map(lambda f: "#" + f))
PADDING = st.sampled_from(["", " ", "\n", "\t ", "\u00a0"])

URLS = st.builds(
    lambda pad, scheme, user, host, port, path, query, fragment, end: (
        f"{pad}{scheme}://{user}{host}{port}{path}{query}{fragment}{end}"
    ),
    PADDING,
    SCHEMES,
    USERINFO,
    HOSTS,
    PORTS,
    PATHS,
    QUERIES,
    FRAGMENTS,
    PADDING,
)
RELATIVE = st.one_of(
    st.builds(lambda p, q, f: p + q + f, PATHS, QUERIES, FRAGMENTS),
    st.builds(lambda h, p: f"//{h}{p}", HOSTS, PATHS),
    st.text(max_size=40),
)
BASES = st.one_of(st.none(), URLS, st.sampled_from(["https://ex.com/feed.xml", "not a url", ""]))


def _check(url: object, base: str | None = None) -> str | None:
    """canonical_url's contract on one input: no exception, an http(s) URL or None, a fixpoint."""
    once = canonical_url(url, base)  # type: ignore[arg-type]
    if once is None:
        return None
    assert once.startswith(("http://", "https://")), once
    assert "#" not in once, once
    assert not any(ch.isspace() for ch in once), once
    assert urlsplit(once).hostname, once
    assert canonical_url(once) == once, (url, base, once)
    return once


@SETTINGS
@given(URLS)
@example("HTTP://Example.COM:80/a/b?b=2&a=1#frag")
@example("https://ex.com/p?utm_source=x&UTM_MEDIUM=y&keep=1")
@example("http://[::1]:8080/%7Efoo?q=%20")
@example("https://münchen.de/straße?ü=1")
def test_built_urls_never_raise_and_are_a_fixpoint(url: str) -> None:
    _check(url)


@SETTINGS
@given(RELATIVE, BASES)
def test_relative_links_resolve_to_a_fixpoint(link: str, base: str | None) -> None:
    _check(link, base)


@SETTINGS
@given(st.one_of(st.text(max_size=80), st.binary(max_size=40).map(lambda b: b.decode("latin-1"))))
def test_arbitrary_text_never_raises(text: str) -> None:
    _check(text)
    _check(text, "https://ex.com/feed")


@SETTINGS
@given(URLS, st.sampled_from([*sorted(TRACKING_PARAMETERS), "utm_source", "utm_content"]))
def test_a_tracking_parameter_never_changes_identity(url: str, tracker: str) -> None:
    """The same article shared with and without a tracker is one item."""
    plain = canonical_url(url)
    if plain is None or "?" in url or "#" in url:
        return
    tagged = canonical_url(f"{url.strip()}?{tracker}=newsletter")
    assert tagged == plain
