"""Credentials never leave the config: one redaction for everything watcher shows or keeps.

A private feed's URL often carries ``user:password@`` or a ``?token=``; a webhook's, its signing
key. ``redact`` removes them from any text (a URL, an error message, a log line) before it is
logged, printed, stored, put in a digest or a webhook payload: the user info of every URL in
it, the values of secret-looking query parameters, and the values of the environment variables
the config names as secrets (``register_secrets``). Outlet labels come from host names, never
from user names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from watcher.text import one_line, printable, shorten

MASK = "***"
ERROR_MAX = 500  # characters of an error text worth keeping: a 5 KB reason phrase is noise
_SECRETS: set[str] = set()
_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^/?#@\s\"'<>]*@", re.IGNORECASE)
_SECRET_PARAM = re.compile(
    r"(?P<head>[?&;](?:[\w.-]*[_.-])?"
    r"(?:token|secret|password|passwd|pwd|pass|api[_-]?key|apikey|key|sig|signature|auth|"
    r"authorization|credential|credentials|session|sessionid|sid)=)"
    # The value, but not punctuation after it ("(…?token=X): reason"), nor a mask already put.
    rf"(?!{re.escape(MASK)})[^&#;\s\"'<>]+?(?=[)\]:,.!?]*(?:[&#;\s\"'<>]|$))",
    re.IGNORECASE,
)


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values to mask; short ones are skipped (masking 'a' would mangle text)."""
    _SECRETS.update(value for value in values if value and len(value) >= 4)


def redact(text: str) -> str:
    """``text`` without URL user info, secret query values or registered secrets.

    ``https://bob:hunter2@feeds.example/private.xml?token=abc&page=2`` →
    ``https://feeds.example/private.xml?token=***&page=2``.
    """
    if not text:
        return text
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    if "@" in text:
        text = _USERINFO.sub(r"\g<scheme>", text)
    if "=" in text:
        text = _SECRET_PARAM.sub(rf"\g<head>{MASK}", text)
    return text


def error_text(text: str, limit: int = ERROR_MAX) -> str:
    """An error as watcher keeps and shows it: redacted, on one line, control characters
    escaped, at most ``limit`` characters (what a server wrote in it is not trusted)."""
    return shorten(printable(one_line(redact(text))), limit)
