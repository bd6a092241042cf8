"""Matching: which entities an item mentions or is by, which stories and follow-ups it serves.

``entities`` finds aliases with one automaton (over ``watcher.text``'s normalised tokens),
``handles`` finds accounts, ``resolve`` applies exclude phrases and weak aliases, ``query``
evaluates the story queries that ``watcher.config.query`` parsed, ``followups`` holds the
follow-up rules and statuses, ``matcher`` runs them in order for one item, ``explain`` says
why, and ``fingerprint`` says when stored items must be matched again.

Pure work on items: it may import the base layer, fetch, parse and normalise, never the store.

``Matcher`` (and the automaton and language detector with it) loads on first use, so the
follow-up rules or the query evaluator can be imported alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.match.matcher import Matcher

__all__ = ["Matcher"]


def __getattr__(name: str) -> Any:
    if name == "Matcher":
        from watcher.match.matcher import Matcher

        return Matcher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
