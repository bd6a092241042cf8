"""The query language of stories and follow-ups: its syntax tree and its parser.

Parsed when the config loads (a malformed query is a config error with line and column);
evaluated per item by ``watcher.match.query``.

Syntax (operators are upper case; anything else is a word)::

    query   := or
    or      := and ("OR" and)*
    and     := not (["AND"] not)*           adjacent terms are ANDed
    not     := "NOT" not | near
    near    := atom ("NEAR/" n atom)*       at most n words between them, either order
    atom    := "(" or ")" | '"phrase"' | entity-id | word

A word or phrase ending in ``*`` matches any word starting so ("resign*": resigned,
resignation; "استقال*": استقالة). A bare token equal to an entity id means "the entity is
mentioned or is the author"; any other token is a word. Words and phrases go through the same
normaliser as aliases and item text, so "super-alignment" is the phrase "super alignment", and
Arabic words accept clitic prefixes.
A query must be able to match something by itself: ``NOT x`` alone is refused.

Nesting is bounded (``MAX_DEPTH`` levels of parentheses, ``NOT`` and ``NEAR``): the parser and
everything that walks the tree (``walk``, evaluation, ``explain``) recurse once or a few times
per level, and a deeper query is a config error before any of them could exhaust the stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from watcher.text import normalise_words

MAX_DEPTH = 32


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``column`` (1-based) points at the problem."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


# --- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words to find in order; ``prefix``: the last one may go on ("resign*" → "resigned")."""

    words: tuple[str, ...]
    text: str
    column: int
    prefix: bool = False
    quoted: bool = False  # written as "a phrase", not as a bare word


@dataclass(frozen=True, slots=True)
class EntityRef:
    entity_id: str
    column: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    column: int


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Near:
    left: Node
    right: Node
    distance: int
    column: int


Node = Phrase | EntityRef | Not | And | Or | Near


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    root: Node

    def phrases(self) -> Iterator[Phrase]:
        return (node for node in walk(self.root) if isinstance(node, Phrase))

    def entity_ids(self) -> set[str]:
        return {node.entity_id for node in walk(self.root) if isinstance(node, EntityRef)}


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Not):
        yield from walk(node.operand)
    elif isinstance(node, And | Or):
        for operand in node.operands:
            yield from walk(operand)
    elif isinstance(node, Near):
        yield from walk(node.left)
        yield from walk(node.right)


# --- the parser --------------------------------------------------------------------------------

_LEXEME = re.compile(r'\s*(?:(?P<paren>[()])|"(?P<phrase>[^"]*)"|(?P<open>")|(?P<word>[^\s()"]+))')
_NEAR = re.compile(r"NEAR(?:/(\d+))?")


@dataclass(frozen=True, slots=True)
class _Lexeme:
    kind: str  # "(", ")", "phrase", "word", "AND", "OR", "NOT", "NEAR"
    text: str
    column: int
    distance: int = 0


def _lex(text: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    position = 0
    while found := _LEXEME.match(text, position):
        position = found.end()
        column = found.end() - len(found.group().lstrip()) + 1
        if found["paren"]:
            lexemes.append(_Lexeme(found["paren"], found["paren"], column))
        elif found["phrase"] is not None:
            lexemes.append(_Lexeme("phrase", found["phrase"], column))
        elif found["open"]:
            raise QuerySyntaxError('this quote is never closed: add the closing "', column)
        else:
            lexemes.append(_word_or_operator(found["word"], column))
    return lexemes


def _word_or_operator(word: str, column: int) -> _Lexeme:
    if word in {"AND", "OR", "NOT"}:
        return _Lexeme(word, word, column)
    if near_match := _NEAR.fullmatch(word):
        if not near_match[1] or int(near_match[1]) < 1:
            raise QuerySyntaxError(
                f"'{word}' needs a distance in words, like NEAR/5", column + len("NEAR")
            )
        return _Lexeme("NEAR", word, column, int(near_match[1]))
    return _Lexeme("word", word, column)


class _Parser:
    def __init__(self, text: str, entity_ids: set[str]) -> None:
        self.text = text
        self.entity_ids = entity_ids
        self.lexemes = _lex(text)
        self.index = 0
        self.depth = 0  # parentheses, NOTs and NEARs open around the current position

    @property
    def end_column(self) -> int:
        return len(self.text.rstrip()) + 1

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.index] if self.index < len(self.lexemes) else None

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.index]
        self.index += 1
        return lexeme

    def parse(self) -> Node:
        if not self.lexemes:
            raise QuerySyntaxError("the query is empty", 1)
        node = self.parse_or()
        if (extra := self.peek()) is not None:
            raise QuerySyntaxError(f"unexpected '{extra.text}': no '(' to close", extra.column)
        _require_positive(node)
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while (lexeme := self.peek()) and lexeme.kind == "OR":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while (lexeme := self.peek()) and lexeme.kind not in {"OR", ")"}:
            if lexeme.kind == "AND":
                self.take()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def deeper(self, lexeme: _Lexeme) -> None:
        """One more level of nesting at ``lexeme``; refused past ``MAX_DEPTH``."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(
                f"nested too deep: at most {MAX_DEPTH} levels of parentheses, NOT and NEAR",
                lexeme.column,
            )

    def parse_not(self) -> Node:
        lexeme = self.peek()
        if lexeme and lexeme.kind == "NOT":
            self.take()
            self.deeper(lexeme)
            node = Not(self.parse_not(), lexeme.column)
            self.depth -= 1
            return node
        return self.parse_near()

    def parse_near(self) -> Node:
        """A chain ``a NEAR/1 b NEAR/1 c`` nests to the left: each NEAR is a level."""
        depth = self.depth
        node = self.parse_atom()
        while (lexeme := self.peek()) and lexeme.kind == "NEAR":
            self.take()
            self.deeper(lexeme)
            right = self.parse_atom()
            for operand in (node, right):
                _require_near_operand(operand, lexeme)
            node = Near(node, right, lexeme.distance, lexeme.column)
        self.depth = depth
        return node

    def parse_atom(self) -> Node:
        lexeme = self.peek()
        if lexeme is None:
            previous = self.lexemes[self.index - 1]
            raise QuerySyntaxError(
                f"the query ends after '{previous.text}': something must follow it",
                self.end_column,
            )
        if lexeme.kind in {"AND", "OR", "NEAR", ")"}:
            raise QuerySyntaxError(
                f"'{lexeme.text}' cannot come here: a word, phrase or '(' is missing before it",
                lexeme.column,
            )
        self.take()
        if lexeme.kind == "(":
            self.deeper(lexeme)
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise QuerySyntaxError("this '(' is never closed: add a ')'", lexeme.column)
            self.take()
            self.depth -= 1
            return node
        if lexeme.kind == "word" and lexeme.text in self.entity_ids:
            return EntityRef(lexeme.text, lexeme.column)
        return self.phrase(lexeme)

    def phrase(self, lexeme: _Lexeme) -> Phrase:
        words = normalise_words(lexeme.text)
        if not words:
            what = "this phrase" if lexeme.kind == "phrase" else f"'{lexeme.text}'"
            raise QuerySyntaxError(f"{what} has no letters or digits to match", lexeme.column)
        prefix = lexeme.text.rstrip().endswith("*")
        return Phrase(words, lexeme.text, lexeme.column, prefix, lexeme.kind == "phrase")


def _require_near_operand(node: Node, operator: _Lexeme) -> None:
    for part in walk(node):
        if isinstance(part, Not | And):
            raise QuerySyntaxError(
                f"{operator.text} joins words, phrases, entity ids or (a OR b) groups; "
                "AND and NOT cannot be inside it",
                operator.column,
            )


def _positive(node: Node) -> bool:
    """Whether the node can match by itself (not only by something being absent)."""
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(_positive(operand) for operand in node.operands)
    if isinstance(node, Or):
        return all(_positive(operand) for operand in node.operands)
    return True


def _require_positive(node: Node) -> None:
    if not _positive(node):
        column = next(part.column for part in walk(node) if isinstance(part, Not))
        raise QuerySyntaxError(
            "a query cannot match only by what is absent: combine NOT with something to "
            "look for, like 'openai AND NOT sora'",
            column,
        )


def parse_query(text: str, entity_ids: set[str]) -> Query:
    """Parse ``text``; raise ``QuerySyntaxError`` (with a 1-based ``column``) when it is wrong."""
    return Query(text, _Parser(text, entity_ids).parse())


# --- what parses but most likely does not say what was meant ----------------------------------

_LOWER_OPERATOR = re.compile(r"(?i)(and|or|not|near(?:/\d+)?)")


def query_warnings(query: Query, names: dict[str, str]) -> Iterator[tuple[int, str]]:
    """``(column, message)`` for each part of ``query`` that will most likely never match as
    meant: an operator not in capitals (``and``, ``near/5``: read as words), a bare word within
    a typo of an entity id or alias (``names``: normalised id or alias word → entity id),
    and a part that contradicts itself (``a AND NOT a``)."""
    for node in walk(query.root):
        if isinstance(node, Phrase) and not node.quoted:
            yield from _word_warnings(node, names)
        elif isinstance(node, And):
            yield from _contradictions(node)


def _word_warnings(phrase: Phrase, names: dict[str, str]) -> Iterator[tuple[int, str]]:
    if _LOWER_OPERATOR.fullmatch(phrase.text):
        yield (
            phrase.column,
            (
                f"'{phrase.text}' is read as a word to find: did you mean the operator "
                f"{phrase.text.upper()}? (operators are written in capitals)"
            ),
        )
        return
    if phrase.prefix or len(phrase.words) != 1 or phrase.words[0] in names:
        return
    near = close_name(phrase.words[0], names)
    if near is not None:
        yield (
            phrase.column,
            (
                f"'{phrase.text}' is a word to find, not an entity: did you mean '{names[near]}'?"
                + ("" if near == names[near] else f" (its alias '{near}')")
            ),
        )


def close_name(word: str, names: dict[str, str]) -> str | None:
    """The name within a typo of ``word``: 1 edit for words of 4-5 letters, 2 from 6 (shorter
    words are too often other words); the nearest, the first in ``names`` on a tie."""
    if len(word) < 4:
        return None
    limit = 1 if len(word) <= 5 else 2
    best: tuple[int, str] | None = None
    for name in names:
        distance = edit_distance(word, name, limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, name)
    return best[1] if best else None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` as soon as it must exceed it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _contradictions(node: And) -> Iterator[tuple[int, str]]:
    wanted = {_shape(operand) for operand in node.operands if not isinstance(operand, Not)}
    for operand in node.operands:
        if isinstance(operand, Not) and _shape(operand.operand) in wanted:
            yield (
                operand.column,
                ("this part can never match: it asks for something and for NOT the same thing"),
            )


def _shape(node: Node) -> object:
    """The node without its columns: two spellings of one condition compare equal."""
    if isinstance(node, Phrase):
        return ("phrase", node.words, node.prefix)
    if isinstance(node, EntityRef):
        return ("entity", node.entity_id)
    if isinstance(node, Not):
        return ("not", _shape(node.operand))
    if isinstance(node, Near):
        return ("near", _shape(node.left), _shape(node.right), node.distance)
    kind = "and" if isinstance(node, And) else "or"
    return (kind, frozenset(_shape(operand) for operand in node.operands))
