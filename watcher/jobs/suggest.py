"""Suggestions from what is stored: follow-ups to watch, and spellings to add to aliases.

``propose_followups`` (``watcher followups suggest``): stored items authored by a watched
person or organisation, newest first, are read for commitments (``find_promises``: "i'll have a
longer post in the next couple of days", "سننشر التفاصيل قريبًا"); each item with one becomes a
proposed follow-up under each story that watches its author: a title, ``by`` the author,
``after:`` the item (so the promise never fulfils itself) and a ``due`` day from the horizon
it states. Promises some follow-up is already anchored on are skipped.

``suggest_entity_aliases`` (``watcher aliases suggest``): the titles and texts of the items
that mention an entity or match its stories go through ``suggest_aliases``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from watcher.config import Config, Entity
from watcher.config.edit import unique_id
from watcher.errors import WatcherError
from watcher.match.anchors import Anchor
from watcher.match.followups import CompiledStory, compile_stories, day_start
from watcher.match.promises import Promise, find_promises
from watcher.match.suggest import Suggestion, suggest_aliases
from watcher.store import Store
from watcher.store.suggest import authored_items, entity_texts
from watcher.store.tables import ItemRow
from watcher.text import shorten

MAX_AUTHORED = 1_000  # authored items read, at most, for one suggestion run
MAX_TEXTS = 2_000  # items read for one entity's spellings
TITLE_CHARS = 90


@dataclass(frozen=True, slots=True)
class ProposedFollowup:
    """A follow-up to paste under ``story_id``'s ``followups``, and the promise behind it."""

    story_id: str
    id: str
    title: str
    by: str
    after: str
    due: date
    promise: Promise
    published: datetime


def propose_followups(
    store: Store,
    config: Config,
    *,
    story_id: str | None = None,
    since: date | None = None,
    limit: int = 20,
) -> list[ProposedFollowup]:
    """Follow-ups for the promises in the newest authored items (at most ``limit`` items),
    under ``story_id`` or else under every story watching the author."""
    stories = _stories(config, story_id)
    watching = {story.id: _authors(config, story) for story in stories}
    anchored = {
        key
        for s in config.stories
        for f in s.followups
        if f.after
        for key in Anchor.parse(f.after).keys
    }
    taken = {s.id: {f.id for f in s.followups} for s in config.stories}
    start = day_start(since, config.tz) if since else None
    proposals: list[ProposedFollowup] = []
    items = 0
    with store.session() as session:
        authors = {author for ids in watching.values() for author in ids}
        for row in authored_items(session, authors, since=start, limit=MAX_AUTHORED):
            if items >= limit:
                break
            promise = _promise(row, anchored)
            if promise is None:
                continue
            made = [
                _proposal(config, story, row, promise, taken[story.id])
                for story in stories
                if row.by in watching[story.id] and row.published_at >= story.since
            ]
            proposals += made
            items += bool(made)
    return proposals


def _stories(config: Config, story_id: str | None) -> list[CompiledStory]:
    stories = compile_stories(config)
    if story_id is None:
        return stories
    chosen = [story for story in stories if story.id == story_id]
    if not chosen:
        known = ", ".join(story.id for story in stories) or "none"
        raise WatcherError(f"no story '{story_id}' in the config (known: {known})")
    return chosen


def _authors(config: Config, story: CompiledStory) -> set[str]:
    """The people and organisations a story watches (topics write nothing)."""
    ids = story.entity_ids()
    return {e.id for e in config.entities if e.id in ids and e.kind != "topic"}


def _promise(row: ItemRow, anchored: set[str]) -> Promise | None:
    """The first promise in an item nobody anchored a follow-up on yet (it needs a URL)."""
    if row.url is None or row.key in anchored or set(Anchor.parse(row.url).keys) & anchored:
        return None
    title = "" if (row.extra or {}).get("title_from_text") else row.title
    text = f"{title}\n{row.text}" if title else row.text
    found = find_promises(text, row.published_at, row.language)
    return found[0] if found else None


def _proposal(
    config: Config, story: CompiledStory, row: ItemRow, promise: Promise, taken: set[str]
) -> ProposedFollowup:
    by = row.by or ""
    name = next((e.name for e in config.entities if e.id == by), by)
    return ProposedFollowup(
        story_id=story.id,
        id=unique_id(f"{by}-{row.published_at:%Y-%m-%d}", taken),
        title=shorten(f"{name}: {promise.phrase}", TITLE_CHARS),
        by=by,
        after=row.url or "",
        due=promise.due,
        promise=promise,
        published=row.published_at,
    )


# --- aliases -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntitySuggestions:
    entity: Entity
    suggestions: list[Suggestion]
    items: int  # how many items were read


def suggest_entity_aliases(
    store: Store, config: Config, *, entity_id: str | None = None, limit: int = 20
) -> list[EntitySuggestions]:
    """Spellings seen in stored items that are probably each entity's (or ``entity_id``'s)."""
    entities = config.entities
    if entity_id is not None:
        entities = [e for e in entities if e.id == entity_id]
        if not entities:
            known = ", ".join(e.id for e in config.entities) or "none"
            raise WatcherError(f"no entity '{entity_id}' in the config (known: {known})")
    stories = compile_stories(config)
    found = []
    with store.session() as session:
        for entity in entities:
            story_ids = [story.id for story in stories if entity.id in story.entity_ids()]
            texts = _Counted(entity_texts(session, entity.id, story_ids, limit=MAX_TEXTS))
            suggestions = suggest_aliases(entity, texts, limit=limit)
            found.append(EntitySuggestions(entity, suggestions, texts.count))
    return found


class _Counted:
    """An iterable of texts that counts how many went through."""

    def __init__(self, texts: Iterator[str]) -> None:
        self.texts = texts
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for text in self.texts:
            self.count += 1
            yield text
