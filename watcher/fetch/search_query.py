"""A story's query in each news-search engine's own syntax (GDELT, Google News, Bing News).

A search only brings candidates: every result is matched by watcher itself before it is kept.
So a translation may ask for *more* than the story (never less): what an engine cannot say
is dropped in the direction that widens the search.

How the query language maps (``watcher.config.query``):

- an entity id becomes its aliases OR'd: those written in the script of the source's
  ``language`` (Arabic script for ``ar``, ``fa``, ``ur``; Cyrillic for ``ru``, ``uk``, ``bg``;
  Latin for ``en`` and the rest), or all of them when it has none in that script or the
  source gives no language. An alias that contains another one ("Jan Leike" and "Leike") is
  left out: the shorter finds everything the longer does. Weak aliases are never sent.
- words are sent bare, phrases (and words with a hyphen or an apostrophe) quoted; a prefix
  (``resign*``) is sent as its stem, since no engine takes a wildcard.
- ``NOT x`` becomes the engine's exclusion, ``-x`` (for every alias of an entity); a NOT
  over something that is not a plain term or an OR of terms is dropped (the search widens).
- ``NEAR/n`` becomes GDELT's ``near{n+1}:"a b"`` when both sides are single terms, else AND.
- no engine nests parentheses reliably (GDELT refuses them, and wants every OR inside one
  pair), so a query is expanded into a union of *requests*, each an AND of OR-groups:
  ``a OR (b AND (c OR d))`` asks ``a`` and ``b (c OR d)`` separately.

Limits (from the engines' documentation where it exists, else observed; see ``SYNTAXES``):

- GDELT: at most 250 characters of query (undocumented; longer ones are answered "Your query
  was too short or too long"), every keyword at least 3 characters (shorter ones are refused);
  OR'd terms inside parentheses.
- Google News: 32 words (Google ignores the rest), and 1,500 characters once URL-encoded.
- Bing News: 1,500 characters once URL-encoded (Bing's documented limit for its query
  parameters; its RSS endpoint documents none).

A request over its engine's limit is split in two on its largest OR-group, as often as needed
(``(a OR b) c`` = ``a c`` ∪ ``b c``); exclusions are dropped only when a request of single terms
still does not fit. A source's own ``query`` is never translated nor split.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from watcher.config import Entity
from watcher.config.query import And, EntityRef, Near, Node, Not, Or, Phrase, Query
from watcher.text import normalise_words

MAX_REQUESTS = 20  # per source and poll: GDELT at 0.2 requests a second takes 100 s for them


class TranslationError(ValueError):
    """A story that cannot be asked of an engine within its limits."""


@dataclass(frozen=True, slots=True)
class NearTerm:
    """Terms within ``distance`` words of each other (only GDELT can say it)."""

    terms: tuple[str, ...]
    distance: int


Term = str | NearTerm
Group = tuple[Term, ...]  # any of these


@dataclass(frozen=True, slots=True)
class Request:
    """One query an engine can answer: every group must match, no excluded term may."""

    groups: tuple[Group, ...]
    excluded: tuple[Term, ...] = ()


@dataclass(frozen=True, slots=True)
class Syntax:
    """What one engine accepts."""

    name: str
    max_chars: int | None = None  # of the query as written
    max_encoded: int | None = None  # of the query once URL-encoded
    max_words: int | None = None
    min_term: int = 1
    near: bool = False

    def fits(self, query: str) -> bool:
        if self.max_chars is not None and len(query) > self.max_chars:
            return False
        if self.max_encoded is not None and len(quote(query, safe="")) > self.max_encoded:
            return False
        return self.max_words is None or len(query.split()) <= self.max_words

    def accepts(self, term: Term) -> bool:
        texts = term.terms if isinstance(term, NearTerm) else (term,)
        return all(len(text) >= self.min_term for text in texts)


SYNTAXES = {
    "gdelt": Syntax("GDELT", max_chars=250, min_term=3, near=True),
    "google_news": Syntax("Google News", max_encoded=1500, max_words=32),
    "bing_news": Syntax("Bing News", max_encoded=1500),
}


@dataclass(slots=True)
class Translation:
    """The queries to send, and what was given up on the way (shown as the source's warning)."""

    queries: list[str]
    notes: list[str] = field(default_factory=list)


def translate(
    query: Query,
    entities: dict[str, Entity],
    engine: str,
    *,
    language: str | None = None,
    suffix: str = "",
) -> Translation:
    """``query`` as one or more queries for ``engine``; ``suffix`` (``sourcelang:arabic``) is
    added to each and counted in its length."""
    syntax = SYNTAXES[engine]
    notes: list[str] = []
    expand = _Expansion(syntax, lambda entity_id: _aliases(entities[entity_id], language))
    fitted: list[str] = []
    for request in expand.node(query.root):
        accepted = _acceptable(request, syntax, notes)
        if accepted is not None:
            fitted += (
                _with(render(part, syntax), suffix) for part in _fit(accepted, syntax, suffix)
            )
    queries = list(dict.fromkeys(fitted))
    if not queries:
        raise TranslationError(f"nothing in this story's query can be asked of {syntax.name}")
    if len(queries) > MAX_REQUESTS:
        raise TranslationError(
            f"this story's query needs {len(queries)} requests to {syntax.name} (at most "
            f"{MAX_REQUESTS}): simplify it, or give the source its own 'query'"
        )
    return Translation(queries, notes)


# --- aliases ----------------------------------------------------------------------------------

_SCRIPT_OF_LANGUAGE = {
    **dict.fromkeys(("ar", "fa", "ur", "ps", "sd"), "ARABIC"),
    **dict.fromkeys(("ru", "uk", "bg", "be", "sr", "mk", "kk"), "CYRILLIC"),
    "he": "HEBREW",
    "el": "GREEK",
}


def script_of(text: str) -> str | None:
    """The script of the first letter of ``text`` (``LATIN``, ``ARABIC``…), from Unicode names."""
    for char in text:
        if char.isalpha():
            return unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return None


def _aliases(entity: Entity, language: str | None) -> Group:
    """The entity's aliases in the language's script; all of them when none is."""
    aliases = list(entity.aliases)
    if language is not None:
        wanted = _SCRIPT_OF_LANGUAGE.get(language, "LATIN")
        aliases = [alias for alias in aliases if script_of(alias) == wanted] or aliases
    return tuple(aliases)


def without_contained(terms: Iterable[Term]) -> Group:
    """Drop a term whose words contain another term's words (in order, side by side), and
    terms that normalise alike: ``["Jan Leike", "Leike"]`` → ``("Leike",)``."""
    unique: dict[tuple[str, ...], Term] = {}
    for term in terms:
        words = _words(term)
        if words and words not in unique:
            unique[words] = term
    return tuple(
        term
        for words, term in unique.items()
        if not any(other != words and _contains(words, other) for other in unique)
    )


def _words(term: Term) -> tuple[str, ...]:
    if isinstance(term, NearTerm):
        return ("\0near", *itertools.chain(*map(normalise_words, term.terms)))
    return normalise_words(term)


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    size = len(part)
    return any(words[i : i + size] == part for i in range(len(words) - size + 1))


# --- expansion into requests ------------------------------------------------------------------


@dataclass(slots=True)
class _Expansion:
    syntax: Syntax
    aliases: Callable[[str], Group]

    def node(self, node: Node) -> list[Request]:
        """The union of requests that together ask (at least) for ``node``."""
        if isinstance(node, Phrase):
            return [Request((self.phrase(node),))]
        if isinstance(node, EntityRef):
            return [Request((without_contained(self.aliases(node.entity_id)),))]
        if isinstance(node, Or):
            return self.either(node.operands)
        if isinstance(node, And):
            return self.both(node.operands)
        if isinstance(node, Near):
            return self.near(node)
        return []  # a NOT alone cannot be asked (the parser refuses such a query anyway)

    @staticmethod
    def phrase(node: Phrase) -> Group:
        return (node.text.strip().removesuffix("*").strip(),)

    def either(self, operands: Iterable[Node]) -> list[Request]:
        """Plain terms OR'd go into one group; anything else is a request of its own."""
        terms: list[Term] = []
        others: list[Request] = []
        for operand in operands:
            requests = self.node(operand)
            if len(requests) == 1 and _plain(requests[0]):
                terms += requests[0].groups[0]
            else:
                others += requests
        merged = [Request((without_contained(terms),))] if terms else []
        return merged + others

    def both(self, operands: Iterable[Node]) -> list[Request]:
        """Every combination of the operands' requests; NOTs become exclusions."""
        positive = [self.node(op) for op in operands if not isinstance(op, Not)]
        excluded = tuple(
            term for op in operands if isinstance(op, Not) for term in self.negated(op.operand)
        )
        combined = []
        for parts in itertools.product(*positive):
            groups = tuple(group for part in parts for group in part.groups)
            exclusions = tuple(term for part in parts for term in part.excluded) + excluded
            combined.append(Request(groups, tuple(dict.fromkeys(exclusions))))
        if len(combined) > MAX_REQUESTS:
            raise TranslationError(
                f"this story's query expands into {len(combined)} requests (at most "
                f"{MAX_REQUESTS}): simplify it, or give the source its own 'query'"
            )
        return combined

    def negated(self, node: Node) -> Group:
        """The terms to exclude for ``NOT node``; none when an engine cannot say it exactly."""
        requests = self.node(node)
        if len(requests) == 1 and _plain(requests[0]):
            return tuple(t for t in requests[0].groups[0] if not isinstance(t, NearTerm))
        return ()

    def near(self, node: Near) -> list[Request]:
        left, right = self.node(node.left), self.node(node.right)
        single = [_single_term(side) for side in (left, right)]
        if self.syntax.near and all(isinstance(term, str) for term in single):
            terms = tuple(str(term) for term in single)
            return [Request(((NearTerm(terms, node.distance + 1),),))]
        return self.both([node.left, node.right])


def _plain(request: Request) -> bool:
    """One OR-group and nothing excluded: it can join another OR-group."""
    return len(request.groups) == 1 and not request.excluded


def _single_term(requests: list[Request]) -> Term | None:
    if len(requests) == 1 and _plain(requests[0]) and len(requests[0].groups[0]) == 1:
        return requests[0].groups[0][0]
    return None


def _acceptable(request: Request, syntax: Syntax, notes: list[str]) -> Request | None:
    """Leave out what the engine refuses (GDELT: keywords under 3 characters), widening.

    A group with a refused term is dropped when other groups remain (asking less of each
    result); alone, it loses the refused terms, which is noted. Refused exclusions go.
    """
    excluded = tuple(t for t in request.excluded if syntax.accepts(t))
    groups = [g for g in request.groups if all(syntax.accepts(t) for t in g)]
    if not groups:
        kept = [tuple(t for t in g if syntax.accepts(t)) for g in request.groups]
        groups = [g for g in kept if g]
        refused = [render_term(t) for g in request.groups for t in g if not syntax.accepts(t)]
        if refused:
            notes.append(f"{syntax.name} refuses short keywords; not asked: {', '.join(refused)}")
    if not groups:
        return None
    return Request(tuple(groups), excluded)


def _fit(request: Request, syntax: Syntax, suffix: str) -> list[Request]:
    """Split ``request`` on its largest OR-group until each part fits the engine's limit."""
    if syntax.fits(_with(render(request, syntax), suffix)):
        return [request]
    index, largest = max(enumerate(request.groups), key=lambda pair: len(pair[1]))
    if len(largest) >= 2:
        half = (len(largest) + 1) // 2
        parts = (largest[:half], largest[half:])
        return [
            piece
            for part in parts
            for piece in _fit(_replace_group(request, index, part), syntax, suffix)
        ]
    if request.excluded:
        return _fit(replace(request, excluded=request.excluded[:-1]), syntax, suffix)
    raise TranslationError(
        f"a request is longer than {syntax.name} accepts even with one term per group: "
        f"{render(request, syntax)[:80]}…"
    )


def _replace_group(request: Request, index: int, group: Group) -> Request:
    groups = list(request.groups)
    groups[index] = group
    return replace(request, groups=tuple(groups))


def _with(query: str, suffix: str) -> str:
    return f"{query} {suffix}" if suffix else query


# --- rendering --------------------------------------------------------------------------------


def render(request: Request, syntax: Syntax) -> str:
    """``(a OR "b c") d -e``: OR-groups in parentheses, exclusions with a minus."""
    parts = [_group(group) for group in request.groups]
    parts += [f"-{render_term(term)}" for term in request.excluded]
    return " ".join(parts)


def _group(group: Group) -> str:
    if len(group) == 1:
        return render_term(group[0])
    return "(" + " OR ".join(render_term(term) for term in group) + ")"


def render_term(term: Term) -> str:
    """A single word bare; anything else (spaces, hyphens, apostrophes) in double quotes."""
    if isinstance(term, NearTerm):
        words = " ".join(text.replace('"', "") for text in term.terms)
        return f'near{term.distance}:"{words}"'
    text = " ".join(term.replace('"', " ").split())
    return text if all(ch.isalnum() for ch in text) else f'"{text}"'
