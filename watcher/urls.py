"""Canonical URLs: the one form of an article's link that serves as its identity.

``canonical_url`` splits a link once (``urllib.parse.urlsplit``) and rebuilds it part by part:

- scheme and host lower-cased, an internationalised host in IDNA (``münchen.de`` →
  ``xn--mnchen-3ya.de``), an IPv6 host in its RFC 5952 form, a trailing dot dropped, the default
  port dropped; any ``user:password@`` and the fragment dropped (never part of an article's
  identity, never worth storing);
- the path with ``\\`` read as ``/`` (as browsers do), percent-escapes of characters that need
  none decoded and every other escape upper-cased, ``.`` and ``..`` segments resolved;
- the query without tracking parameters (``utm_*``, ``fbclid``, ``ref``…), its fields sorted by
  their decoded bytes and re-encoded (``+`` for a space, ``%XX`` for everything but letters,
  digits and ``-._~``).

These are the semantics of w3lib's ``canonicalize_url`` after ``url_query_cleaner`` (2.5), which
watcher used before and which a pinned table of hostile URLs and the shared corpus keep exact
(``tests/normalise/test_canonical_reference.py``), at a quarter of the cost.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache
from urllib.parse import (
    SplitResult,
    quote,
    quote_from_bytes,
    quote_plus,
    unquote_plus,
    unquote_to_bytes,
    urljoin,
    urlsplit,
)

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "_ga", "_gl", "_hsenc", "_hsmi",
        "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc", "cmpid", "ocid", "xtor",
        "smid", "s_cid", "sr_share", "at_medium", "at_campaign",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A host name (IDN letters allowed) or an IPv6 literal; WHATWG parsers read "\\" as "/".
_HOST = re.compile(r"[^\s/\\?#@%:\[\]<>^|\"'`{}]+|[0-9a-f:.]*:[0-9a-f:.]*", re.IGNORECASE)
_NOT_IN_A_HOST = "/?#@:\\"  # after NFKC, as IDNA reads it (a "／" would move the host)
_C0_OR_SPACE = "".join(map(chr, range(33)))  # stripped from the end of a URL (WHATWG)

# Besides letters, digits and "-._~": what a path keeps as it is, and so decodes when escaped
# (escapes of "%", "/", ";" and "?" stay escaped: decoding them would change the path);
# what the last segment's ";params" keep; a path made only of these needs no work at all.
_PATH_SAFE = "!$&'()*+,;=:@/[]|%"
_PARAMS_SAFE = "!$&'()*+,;=:@/%"
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/\[\]|]*")
_KEPT_ESCAPES = (  # "%25" first: the others add a "%25" of their own
    ("%25", "%2525"), ("%2f", "%252F"), ("%2F", "%252F"), ("%3b", "%253B"), ("%3B", "%253B"),
    ("%3f", "%253F"), ("%3F", "%253F"),
)  # fmt: skip
_PLAIN_FIELD = re.compile(r"[A-Za-z0-9\-._~]*")


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """The form of an http(s) URL used as identity; None when it is not an http(s) URL.

    Relative URLs are resolved against ``base``; whitespace inside a URL (a publisher's line
    wrap) is dropped. Never raises; applying it twice changes nothing.
    """
    if not url or not isinstance(url, str):
        return None
    try:
        return _canonical(url, base)
    except (ValueError, UnicodeError):  # a bad port or IPv6 literal, an unencodable host
        return None


def _canonical(url: str, base: str | None) -> str | None:
    url = "".join(url.split())
    parts = urlsplit(url)
    if base:
        parts = _resolved(url, parts, base)
    netloc = _netloc(parts)
    if netloc is None:
        return None
    path, query = parts.path or "/", _without_tracking(parts.query)
    if query:
        query = _canonical_query(query.rstrip(_C0_OR_SPACE))
    else:
        path = path.rstrip(_C0_OR_SPACE)
    path = _canonical_path(path)
    return (
        f"{parts.scheme}://{netloc}{path}?{query}" if query else f"{parts.scheme}://{netloc}{path}"
    )


def _resolved(url: str, parts: SplitResult, base: str) -> SplitResult:
    """``url`` resolved against ``base``, as ``urljoin`` does it, but an absolute http(s) URL
    is not parsed and rebuilt: only the one thing that round trip changes is done (a ";" that
    ends the path with nothing after it goes, when ``base`` has the same scheme). A malformed
    ``base`` raises ``ValueError`` either way."""
    base_scheme = urlsplit(base).scheme
    if not (parts.scheme in _DEFAULT_PORTS and parts.netloc):
        return urlsplit(urljoin(base, url))
    if parts.scheme == base_scheme and parts.path.endswith(";"):
        last = parts.path.rfind("/")
        if parts.path.find(";", last) == len(parts.path) - 1:
            return parts._replace(path=parts.path[:-1])
    return parts


def _netloc(parts: SplitResult) -> str | None:
    """``host[:port]`` without user info or the scheme's default port; None for a URL that is
    not http(s) or has no usable host."""
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in _DEFAULT_PORTS or not _HOST.fullmatch(host):
        return None
    host = _canonical_host(host)
    port = parts.port
    return host if port is None or port == _DEFAULT_PORTS[parts.scheme] else f"{host}:{port}"


@lru_cache(maxsize=1024)
def _canonical_host(host: str) -> str:
    """An already lower-cased host in its ASCII form; hosts repeat, so this is cached."""
    if ":" in host:
        return f"[{ipaddress.ip_address(host)}]"
    if host.isascii():
        return host
    normalised = unicodedata.normalize("NFKC", host)
    if normalised != host and any(char in normalised for char in _NOT_IN_A_HOST):
        raise ValueError(f"{host!r} changes its structure under NFKC")
    try:
        return normalised.encode("idna").decode("ascii").lower()
    except UnicodeError:  # an empty or over-long label: kept as written
        return host.encode().decode().lower()


def _without_tracking(query: str) -> str:
    """The query without the fields whose (decoded) name is a tracking parameter."""
    if not query:
        return query
    fields = query.split("&")
    tracking = {name for name in map(_field_name, fields) if _is_tracking(name)}
    if not tracking:
        return query
    return "&".join(field for field in fields if field and _raw_name(field) not in tracking)


def _raw_name(field: str) -> str:
    return field.partition("=")[0]


def _field_name(field: str) -> str:
    return unquote_plus(_raw_name(field))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def _canonical_query(query: str) -> str:
    """Fields sorted by their decoded name and value, each re-encoded the one way."""
    pairs = sorted(map(_decoded_field, filter(None, query.split("&"))))
    return "&".join(f"{quote_plus(name)}={quote_plus(value)}" for name, value in pairs)


def _decoded_field(field: str) -> tuple[bytes, bytes]:
    name, _, value = field.partition("=")
    return _decoded(name), _decoded(value)


def _decoded(text: str) -> bytes:
    if _PLAIN_FIELD.fullmatch(text):
        return text.encode()
    return unquote_to_bytes(text.replace("+", " "))


def _canonical_path(path: str) -> str:
    """Escapes normalised and dot segments resolved; ``;params`` of the last segment kept."""
    path = path.replace("\\", "/")
    params = ""
    semicolon = path.find(";", path.rfind("/") + 1)
    if semicolon != -1:
        path, params = path[:semicolon], path[semicolon + 1 :]
    if not _PLAIN_PATH.fullmatch(path):
        path = quote_from_bytes(_unescaped_path(path), _PATH_SAFE)
    path = _without_dot_segments(path)
    return f"{path};{quote(params, _PARAMS_SAFE)}" if params else path


def _unescaped_path(path: str) -> bytes:
    """The path's bytes with its escapes decoded, but those of "%", "/", ";" and "?"."""
    if "%" not in path:
        return path.encode()
    for escape, kept in _KEPT_ESCAPES:
        path = path.replace(escape, kept)
    return unquote_to_bytes(path)


def _without_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for a path that starts with "/": "/a/./b/../c" → "/a/c"."""
    if "/." not in path:
        return path
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments[:-1]:
        if segment == "..":
            kept = kept[:-1]
        elif segment != ".":
            kept.append(segment)
    last = segments[-1]
    if last in (".", ".."):
        kept = kept[:-1] if last == ".." else kept
        last = ""
    return "/" + "/".join([*kept, last])
