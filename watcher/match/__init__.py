"""Matching: which entities an item mentions or is by, which stories and follow-ups it serves.

``text`` normalises (one normaliser for aliases, query words and items, Arabic included),
``entities`` finds aliases with one automaton, ``handles`` finds accounts, ``resolve`` applies
exclude phrases and weak aliases, ``query`` parses and evaluates story queries, ``followups``
holds the follow-up rules, and ``matcher`` runs them in order for one item.
"""

from watcher.match.matcher import Matcher

__all__ = ["Matcher"]
