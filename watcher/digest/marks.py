"""Which words of a snippet a digest marks (``<mark>``): the watched names, as matching saw them.

Strong aliases and names are marked wherever they occur: they mean the entity anywhere. A weak
alias ("Sam") means the entity only where matching counted it (backed by a strong signal, not
inside an exclude phrase), so only those occurrences are marked. Matching records each counted
hit as offsets into the field it searched; the snippet is cut from a sanitised copy of that field
whose offsets differ, so a hit is carried over by its rank: the n-th occurrence of the alias in
the field is the n-th in the snippet's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from watcher.config import Config
from watcher.store.tables import ItemRow, MentionRow
from watcher.text import as_plain_text


def names_to_mark(mentions: list[MentionRow], config: Config) -> set[str]:
    """Every strong alias and the name of each entity the item mentions (weak ones excluded)."""
    names: set[str] = set()
    entities = {entity.id: entity for entity in config.entities}
    for mention in mentions:
        if mention.kind != "weak":
            names.add(mention.alias)
        entity = entities.get(mention.entity_id)
        if entity is not None:
            names.update([entity.name, *entity.aliases])
    return names


def counted_weak_spans(
    item: ItemRow, mentions: list[MentionRow], field: str, text: str
) -> Iterator[tuple[int, int]]:
    """Where in ``text`` (a sanitised copy of the item's ``field``) the weak hits that counted
    are. A summary that only repeats the start of the content was searched as the content."""
    searched = {field, "content"} if field == "summary" else {field}
    for mention in mentions:
        if mention.kind != "weak" or mention.field not in searched:
            continue
        source = as_plain_text(_field_text(item, mention.field))
        pattern = _word(mention.alias)
        rank = sum(1 for found in pattern.finditer(source) if found.start() < mention.start)
        spans = [found.span() for found in pattern.finditer(text)]
        if rank < len(spans):
            yield spans[rank]


def _field_text(item: ItemRow, field: str) -> str:
    if field == "summary":
        return item.summary or item.summary_html or ""
    if field == "content":
        return item.text or ""
    return getattr(item, field, None) or ""


@lru_cache(maxsize=256)
def _word(alias: str) -> re.Pattern[str]:
    """The alias as a whole word, any case (as ``sanitise.snippet`` finds names)."""
    return re.compile(rf"(?<!\w){re.escape(alias.strip())}(?!\w)", re.IGNORECASE)
