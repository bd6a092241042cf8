"""Who may read the web view, and where it may listen.

Without ``web.token_env`` the view answers anyone who reaches it, so it may only listen on a
loopback address (``check_listen`` refuses anything else, as ``watcher check`` does). With it,
every request carries the token: ``Authorization: Bearer TOKEN``, or ``?token=TOKEN`` for feed
readers that cannot send headers. The header wins when both are given. The comparison takes
the same time however much of the token is right (``hmac.compare_digest``), and the token is
registered with the log redactor so that no log line can show it.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass

from watcher.config.models import refuse_open_listen
from watcher.errors import WatcherError
from watcher.redact import register_secrets

MIN_TOKEN_LENGTH = 16
TOKEN_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def check_listen(listen: str, token_env: str | None) -> None:
    """Refuse an address other machines can reach when no token guards it."""
    try:
        refuse_open_listen(listen, token_env)
    except ValueError as error:
        raise WatcherError(f"web: {error}") from None


def load_token(token_env: str | None) -> str | None:
    """The token from the environment (None when the config names no variable)."""
    if token_env is None:
        return None
    token = os.environ.get(token_env, "")
    if len(token) < MIN_TOKEN_LENGTH or not token.isascii() or not token.isprintable():
        problem = "is not set" if not token else "is not a usable token"
        raise WatcherError(
            f"web.token_env names {token_env}, which {problem}: export {token_env} holding "
            f"at least {MIN_TOKEN_LENGTH} printable ASCII characters, such as the output "
            f"of {TOKEN_HINT}"
        )
    register_secrets([token])
    return token


@dataclass(frozen=True, slots=True)
class Access:
    allowed: bool
    by_query: bool = False  # the token came as ?token=: links on the page keep it


def access(token: str | None, authorization: str | None, query_token: str | None) -> Access:
    """Whether a request with these credentials may read."""
    if token is None:
        return Access(True)
    if authorization is not None:
        scheme, _, given = authorization.partition(" ")
        return Access(scheme.casefold() == "bearer" and _same(given.strip(), token))
    if query_token is not None:
        return Access(_same(query_token, token), by_query=True)
    return Access(False)


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode())
