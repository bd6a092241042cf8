"""Checks across sections: unique ids, and every reference (entities, stories, channels) resolved.

They run on the raw YAML data, so they report even when the schema check finds problems too.
``config_warnings`` runs on a valid config: what is allowed but will most likely never match.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from watcher.config.models import ENTITY_SECTIONS, Config, Loc, dotted
from watcher.config.query import QuerySyntaxError, parse_query, query_warnings
from watcher.text import normalise_words


def cross_check(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    """Checks across sections, on the raw data so they run even when the schema has problems.

    Entries of the wrong shape are skipped here: the schema check reports them.
    """
    yield from _check_timezone(data)
    for section in ("stories", "sources", "channels", "digests"):
        yield from _duplicate_ids(
            ((section, i, "id"), r.get("id")) for i, r in _records(data, section)
        )
    yield from _duplicate_ids(
        ((section, i, "id"), r.get("id"))
        for section in ENTITY_SECTIONS
        for i, r in _records(data, section)
    )
    entity_ids = {
        str(r.get("id")) for section in ENTITY_SECTIONS for _, r in _records(data, section)
    }
    yield from _check_stories(data, entity_ids)
    yield from _check_sources(data, entity_ids)
    yield from _check_search_stories(data)
    yield from _check_digests(data)


def _records(data: Any, *path: str | int) -> Iterator[tuple[int, dict[str, Any]]]:
    """The mappings in the list at ``path`` with their indexes, skipping anything malformed."""
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    for index, record in enumerate(data if isinstance(data, list) else []):
        if isinstance(record, dict):
            yield index, record


def _strings(value: Any) -> list[tuple[int, str]]:
    return (
        [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
        if isinstance(value, list)
        else []
    )


def _check_timezone(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    zones: list[tuple[Loc, Any]] = [(("timezone",), data.get("timezone"))]
    zones += [(("sources", i, "timezone"), s.get("timezone")) for i, s in _records(data, "sources")]
    for loc, timezone in zones:
        if isinstance(timezone, str) and not _known_zone(timezone):
            yield loc, f"unknown time zone {timezone!r}: {_zone_hint(timezone)}"


def _zone_hint(name: str) -> str:
    hint = difflib.get_close_matches(name, available_timezones(), n=1)
    return f"did you mean '{hint[0]}'?" if hint else "use an IANA name like Asia/Riyadh"


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _duplicate_ids(entries: Iterable[tuple[Loc, Any]]) -> Iterator[tuple[Loc, str]]:
    """People, organisations and topics share one id space; other sections have their own."""
    seen: set[str] = set()
    for loc, item_id in entries:
        if not isinstance(item_id, str):
            continue
        if item_id in seen:
            yield loc, f"id '{item_id}' is used twice in {loc[0]}; ids must be unique"
        seen.add(item_id)


def _unknown(kind: str, value: str, known: Iterable[str]) -> str:
    known = sorted(known)
    hint = difflib.get_close_matches(value, known, n=1)
    return f"unknown {kind} '{value}'" + (
        f"; did you mean '{hint[0]}'?" if hint else f" (known: {', '.join(known) or 'none'})"
    )


def _check_stories(data: dict[str, Any], entity_ids: set[str]) -> Iterator[tuple[Loc, str]]:
    for s, story in _records(data, "stories"):
        queries: list[tuple[Loc, Any]] = [(("stories", s, "match"), story.get("match"))]
        for f, followup in _records(story, "followups"):
            for b, author in _strings(followup.get("by")):
                if author not in entity_ids:
                    where: Loc = ("stories", s, "followups", f, "by", b)
                    yield where, _unknown("person or organisation", author, entity_ids)
            queries.append((("stories", s, "followups", f, "match"), followup.get("match")))
        for loc, text in queries:
            if not isinstance(text, str):
                continue
            try:
                parse_query(text, entity_ids)
            except QuerySyntaxError as error:
                yield loc, f"{dotted(loc)}: {error} (column {error.column})"


def _check_sources(data: dict[str, Any], entity_ids: set[str]) -> Iterator[tuple[Loc, str]]:
    for index, source in _records(data, "sources"):
        owner = source.get("owner")
        if isinstance(owner, str) and owner not in entity_ids:
            yield ("sources", index, "owner"), _unknown("person or organisation", owner, entity_ids)


def _check_search_stories(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    story_ids = {str(s.get("id")) for _, s in _records(data, "stories")}
    for index, source in _records(data, "sources"):
        search = source.get("search")
        story = search.get("story") if isinstance(search, dict) else None
        if isinstance(story, str) and story not in story_ids:
            yield ("sources", index, "search", "story"), _unknown("story", story, story_ids)


def _check_digests(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    channels = {str(c.get("id")): c for _, c in _records(data, "channels")}
    story_ids = {str(s.get("id")) for _, s in _records(data, "stories")}
    for index, digest in _records(data, "digests"):
        for s, story_id in _strings(digest.get("stories")):
            if story_id not in story_ids:
                yield ("digests", index, "stories", s), _unknown("story", story_id, story_ids)
        for c, channel_id in _strings(digest.get("send_to")):
            if channel_id not in channels:
                yield ("digests", index, "send_to", c), _unknown("channel", channel_id, channels)
            elif "email" in channels[channel_id] and not data.get("smtp"):
                yield (
                    ("digests", index, "send_to", c),
                    (f"channel '{channel_id}' sends email but there is no 'smtp' section; add one"),
                )


def config_warnings(config: Config, *, empty: bool = False) -> Iterator[tuple[Loc, str]]:
    """What is valid but most likely not meant: an empty config, nothing to poll or to look
    for, query words one typo away from an entity, operators not in capitals, a query that
    contradicts itself, a follow-up only a topic could fulfil."""
    if empty:
        yield (
            (),
            (
                "the config is empty: nothing to poll and nothing to look for (watcher init DIR "
                "writes a commented starter config)"
            ),
        )
        return
    if not config.sources:
        yield (), "no sources: nothing will be polled; add feeds under 'sources'"
    if not config.stories:
        yield (), "no stories: no item will match anything; add one under 'stories'"
    names = entity_names(config)
    topics = {topic.id for topic in config.topics}
    for s, story in enumerate(config.stories):
        yield from _query_warnings(("stories", s, "match"), story.match, names)
        for f, followup in enumerate(story.followups):
            where: Loc = ("stories", s, "followups", f)
            for b, author in enumerate(followup.by):
                if author in topics:
                    yield (*where, "by", b), _TOPIC_AUTHOR.format(author)
            if followup.match is not None:
                yield from _query_warnings((*where, "match"), followup.match, names)


_TOPIC_AUTHOR = (
    "'{}' is a topic, and a topic never writes anything: this follow-up can never be "
    "fulfilled; name a person or organisation in 'by'"
)


def entity_names(config: Config) -> dict[str, str]:
    """Each entity id and each word of its aliases (normalised) → the entity's id."""
    names: dict[str, str] = {}
    for entity in config.entities:
        names.setdefault(entity.id.casefold(), entity.id)
        for alias in entity.aliases:
            for word in normalise_words(alias):
                names.setdefault(word, entity.id)
    return names


def _query_warnings(loc: Loc, text: str, names: dict[str, str]) -> Iterator[tuple[Loc, str]]:
    query = parse_query(text, set(names.values()))
    for column, message in query_warnings(query, names):
        yield loc, f"{dotted(loc)}, column {column}: {message}"
