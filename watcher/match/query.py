"""Evaluating a parsed query (``watcher.config.query``) against one item's evidence.

A phrase is found when the matcher's automaton hit it; an entity when a kept mention or the
item's author names it; ``NEAR/n`` compares token positions within one field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from watcher.config.query import And, EntityRef, Near, Node, Not, Or, Phrase, Query, walk

Key = TypeVar("Key", bound=Hashable)

Position = tuple[str, int, int]  # (field, first token, token after the last)


@dataclass(slots=True)
class Evidence:
    """One item's phrase hits and entities, what story queries are evaluated against."""

    phrases: dict[str, list[Position]] = field(default_factory=lambda: defaultdict(list))
    entities: dict[str, list[Position]] = field(default_factory=lambda: defaultdict(list))
    present: set[str] = field(default_factory=set)

    def phrase_positions(self, text: str) -> list[Position]:
        return self.phrases.get(text, [])

    def entity_positions(self, entity_id: str) -> list[Position]:
        return self.entities.get(entity_id, [])

    def has_entity(self, entity_id: str) -> bool:
        return entity_id in self.present


class QuerySet(Generic[Key]):
    """Many queries against one item: only those naming a phrase or entity the item holds are
    evaluated. A query's verdict depends on its own phrases and entities alone, so one whose
    are all absent has the verdict it has on empty evidence, worked out once here (``False``
    for every query the parser accepts: none matches only by what is absent)."""

    def __init__(self, queries: Mapping[Key, Query]) -> None:
        self.queries = dict(queries)
        self._by_phrase: dict[str, set[Key]] = defaultdict(set)
        self._by_entity: dict[str, set[Key]] = defaultdict(set)
        for key, query in self.queries.items():
            for node in walk(query.root):
                if isinstance(node, Phrase):
                    self._by_phrase[node.text].add(key)
                elif isinstance(node, EntityRef):
                    self._by_entity[node.entity_id].add(key)
        nothing = Evidence()
        self._on_nothing = {key for key, query in self.queries.items() if satisfies(nothing, query)}

    def satisfied(self, evidence: Evidence) -> set[Key]:
        """The keys of the queries ``evidence`` satisfies."""
        touched: set[Key] = set()
        for text in evidence.phrases:
            touched.update(self._by_phrase.get(text, ()))
        for entity_id in evidence.present | evidence.entities.keys():
            touched.update(self._by_entity.get(entity_id, ()))
        held = {key for key in touched if satisfies(evidence, self.queries[key])}
        return held | (self._on_nothing - touched)


def satisfies(evidence: Evidence, query: Query) -> bool:
    """Whether the item behind ``evidence`` satisfies ``query``."""
    return evaluate(query.root, evidence)


def evaluate(node: Node, evidence: Evidence) -> bool:
    if isinstance(node, Phrase):
        return bool(evidence.phrase_positions(node.text))
    if isinstance(node, EntityRef):
        return evidence.has_entity(node.entity_id)
    if isinstance(node, Not):
        return not evaluate(node.operand, evidence)
    if isinstance(node, And):
        return all(evaluate(operand, evidence) for operand in node.operands)
    if isinstance(node, Or):
        return any(evaluate(operand, evidence) for operand in node.operands)
    return near(positions(node.left, evidence), positions(node.right, evidence), node.distance)


def positions(node: Node, evidence: Evidence) -> list[Position]:
    """Where a NEAR operand occurs (words, phrases, entities, and OR groups of them)."""
    if isinstance(node, Phrase):
        return evidence.phrase_positions(node.text)
    if isinstance(node, EntityRef):
        return evidence.entity_positions(node.entity_id)
    if isinstance(node, Or):
        return [hit for operand in node.operands for hit in positions(operand, evidence)]
    if isinstance(node, Near):
        left, right = positions(node.left, evidence), positions(node.right, evidence)
        return [a for a in left if near([a], right, node.distance)] + [
            b for b in right if near(left, [b], node.distance)
        ]
    raise TypeError(f"not a NEAR operand: {node!r}")  # the parser never builds one


def near(left: Iterable[Position], right: list[Position], distance: int) -> bool:
    """At most ``distance`` words between a hit on the left and one on the right."""
    for where, start, end in left:
        for other_where, other_start, other_end in right:
            if where != other_where:
                continue
            gap = other_start - end if other_start >= end else start - other_end
            if gap <= distance:
                return True
    return False
