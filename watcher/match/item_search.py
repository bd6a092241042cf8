"""Searching stored items with the config's query language.

The matcher decides: ``SearchMatcher`` evaluates a query against an item exactly as a story's
query is evaluated (the same normaliser, Arabic clitics, entities and ``NEAR``), without the
story's start date. Asking it about every stored item would take seconds, so an index narrows
them first: ``index_words`` is what the store indexes for an item, ``prefilter`` what a query
needs to find there. The index only ever lets through more than the matcher accepts, never less:

- a word is indexed as normalised (apostrophes dropped, at most ``MAX_WORD`` characters), and
  also without each Arabic clitic prefix it may carry ("والتمان" is indexed as "التمان" too);
- a phrase needs each of its words (the first also in its after-"ل" form, as the automaton
  looks for it), not their order; an entity needs a recorded mention; ``NOT x`` needs nothing;
- an item with more distinct words than ``MAX_WORDS`` is indexed as ``OVERSIZE``, a word every
  prefilter accepts.
"""

from __future__ import annotations

from watcher.config.query import And, EntityRef, Near, Node, Not, Or, Phrase, Query
from watcher.match.entities import Automaton, phrase_target
from watcher.match.matcher import Matcher
from watcher.match.query import satisfies
from watcher.model import AllTerms, AnyTerms, EntityTerm, Item, SearchTerm, WordTerm
from watcher.text import CLITIC_PREFIXES, Tokens, as_plain_text, normalise_token

MAX_WORD = 64  # longer words are indexed cut to this; a query word that long becomes a prefix
MAX_WORDS = 20_000  # distinct words of one item; beyond, the item is indexed as OVERSIZE
OVERSIZE = "0watcheroversize0"
_PREFIXES = sorted({normalise_token(prefix) for prefix in CLITIC_PREFIXES}, key=len)
_PREFIX_LETTERS = frozenset(prefix[0] for prefix in _PREFIXES)


def index_words(item: Item) -> str:
    """The item's distinct words, as the search index stores them (space-separated)."""
    tokens: set[str] = set()
    for text in (item.title, item.summary, item.summary_html, item.text, item.author or ""):
        tokens.update(Tokens(as_plain_text(text)).norm)
    words = {_indexed(token) for token in tokens} - {""}
    words |= {
        bare for word in words if word[0] in _PREFIX_LETTERS for bare in _without_clitic(word)
    }
    if len(words) > MAX_WORDS:
        return OVERSIZE
    return " ".join(sorted(words))


def _indexed(word: str) -> str:
    return word.replace("'", "")[:MAX_WORD]


def _without_clitic(word: str) -> list[str]:
    """``والتمان`` → ``التمان``, ``لتمان``…: the word after each clitic prefix it starts with."""
    return [word[len(p) :] for p in _PREFIXES if word.startswith(p) and len(word) > len(p)]


def prefilter(query: Query) -> SearchTerm | None:
    """What an item must have in the index to possibly match ``query``; None: anything may."""
    needed = _needs(query.root)
    if needed is None or not _has_words(needed):
        return needed
    return AnyTerms((needed, WordTerm((OVERSIZE,))))


def _has_words(term: SearchTerm) -> bool:
    if isinstance(term, AllTerms | AnyTerms):
        return any(_has_words(part) for part in term.parts)
    return isinstance(term, WordTerm)


def _needs(node: Node) -> SearchTerm | None:
    if isinstance(node, Phrase):
        return _phrase_needs(node)
    if isinstance(node, EntityRef):
        return EntityTerm(node.entity_id)
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        parts = [_needs(operand) for operand in node.operands]
        return None if None in parts else AnyTerms(tuple(p for p in parts if p is not None))
    assert isinstance(node, And | Near)
    operands = node.operands if isinstance(node, And) else (node.left, node.right)
    needed = tuple(part for part in map(_needs, operands) if part is not None)
    if not needed:
        return None
    return needed[0] if len(needed) == 1 else AllTerms(needed)


def _phrase_needs(phrase: Phrase) -> SearchTerm | None:
    words = [word.replace("'", "") for word in phrase.words]
    terms: list[SearchTerm] = []
    for position, word in enumerate(words):
        if not word:
            continue
        prefix = (phrase.prefix and position == len(words) - 1) or len(word) > MAX_WORD
        forms = _first_word_forms(word[:MAX_WORD]) if position == 0 else (word[:MAX_WORD],)
        terms.append(WordTerm(forms, prefix))
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else AllTerms(tuple(terms))


def _first_word_forms(word: str) -> tuple[str, ...]:
    """A phrase's first word, and the form the automaton also seeks after "ل" ("للجزيرة")."""
    if word.startswith("ال") and len(word) > 3:
        return (word, word[1:])
    return (word,)


class SearchMatcher:
    """One query, evaluated by the config's matcher plus an automaton of the query's phrases."""

    def __init__(self, matcher: Matcher, query: Query) -> None:
        self.matcher = matcher
        self.query = query
        phrases = {phrase.text: phrase for phrase in query.phrases()}
        self.automaton = Automaton(
            phrase_target(phrase.words, phrase.text, phrase.prefix) for phrase in phrases.values()
        )

    def matches(self, item: Item) -> bool:
        analysis = self.matcher.analyse(item)
        evidence = analysis.evidence
        for name, tokens in analysis.fields.items():
            if name == "author":  # as for stories: words in a byline are not the item's words
                continue
            for hit in self.automaton.scan(name, tokens):
                evidence.phrases[hit.target.alias].append((name, hit.first, hit.last + 1))
        return satisfies(evidence, self.query)
