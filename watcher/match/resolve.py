"""Decide which raw hits count: exclude phrases, overlapping hits, weak aliases.

The rules, in the order they are applied:

1. An exclude phrase suppresses only the hits *of its own entity* that overlap it, in the same
   field: "Jack Altman" hides the "Altman" inside it, not a "Sam Altman" two lines down.
2. Of one entity's hits that overlap, the longest wins ("Sam Altman" over its "Altman" and
   weak "Sam"); a strong alias wins a tie against a weak one.
3. A weak alias ("Sam", "Ilya") counts only when the item also has a strong signal (a strong
   alias, a handle, or authorship) of the same entity or of another entity sharing a story
   with it. Otherwise it is discarded. A variant spelling that may be a word or another name
   (``لايك`` "like", ``Altmann``; see ``variants``) is weighed the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from watcher.model import Field, Mention

FoundKind = Literal["alias", "weak", "handle", "author"]


@dataclass(frozen=True, slots=True)
class Found:
    """An entity found in a field: tokens ``first..last``, characters ``start:end``."""

    entity_id: str
    alias: str
    field: Field
    first: int
    last: int
    start: int
    end: int
    kind: FoundKind
    variant: bool = False  # a spelling of ``alias`` the config does not list
    doubt: str = ""  # why that spelling needs a second clue, when it does

    def overlaps(self, other: Found) -> bool:
        return self.field == other.field and self.first <= other.last and other.first <= self.last

    def mention(self) -> Mention:
        return Mention(self.entity_id, self.alias, self.field, self.start, self.end, self.kind)


@dataclass(slots=True)
class Resolution:
    kept: list[Found] = field(default_factory=list)
    excluded: list[tuple[Found, Found]] = field(default_factory=list)  # (hit, exclude phrase)
    discarded: list[Found] = field(default_factory=list)  # weak hits without a strong signal


def screen(found: Iterable[Found], excludes: Iterable[Found], result: Resolution) -> list[Found]:
    """Rules 1 and 2: drop excluded hits (recorded in ``result``) and overlapped ones."""
    return _longest_per_entity(_apply_excludes(list(found), list(excludes), result))


def weigh(
    candidates: Iterable[Found],
    strong: set[str],
    partners: Mapping[str, frozenset[str]],
    result: Resolution,
) -> None:
    """Rule 3: keep weak hits backed by a strong signal (``strong``: entity ids that have one)."""
    for hit in candidates:
        backed = hit.entity_id in strong or partners.get(hit.entity_id, frozenset()) & strong
        if hit.kind != "weak" or backed:
            result.kept.append(hit)
        else:
            result.discarded.append(hit)


def _apply_excludes(found: list[Found], excludes: list[Found], result: Resolution) -> list[Found]:
    if not excludes:
        return found
    by_entity: dict[str, list[Found]] = defaultdict(list)
    for phrase in excludes:
        by_entity[phrase.entity_id].append(phrase)
    kept = []
    for hit in found:
        blocker = next((p for p in by_entity.get(hit.entity_id, ()) if p.overlaps(hit)), None)
        if blocker is None or hit.kind == "handle":
            kept.append(hit)
        else:
            result.excluded.append((hit, blocker))
    return kept


def _longest_per_entity(found: list[Found]) -> list[Found]:
    ordered = sorted(
        found, key=lambda hit: (hit.first - hit.last, hit.kind == "weak", hit.field, hit.first)
    )
    kept: dict[str, list[Found]] = defaultdict(list)
    for hit in ordered:
        if not any(other.overlaps(hit) for other in kept[hit.entity_id]):
            kept[hit.entity_id].append(hit)
    return sorted(
        (hit for hits in kept.values() for hit in hits),
        key=lambda hit: (_FIELD_ORDER.get(hit.field, 9), hit.first, hit.entity_id),
    )


_FIELD_ORDER = {"title": 0, "summary": 1, "content": 2, "author": 3, "url": 4}
