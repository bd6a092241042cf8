"""Stories and follow-ups, compiled once per config, and the rules that apply them.

A story matches an item published on or after its ``since`` day whose text satisfies the
story's query. A follow-up ("Altman answers about the board") is something a given person or
organisation is expected to *say*, so an item is a candidate for it only when it is:

- AUTHORED by one of ``by``: the source's owner, the archived account's person, an author field
  naming them, or a link to their own post. An article that quotes Altman is by its journalist;
- published at or after the follow-up's ``since`` (the story's when not given): a day (from
  its midnight in the config's time zone) or a moment (without an offset, in that time zone);
- matching the follow-up's ``match`` query, when there is one (without one, anything by them);
- with ``after: URL``, after that promise and neither the promise itself nor a repost or quote
  of it (``watcher.match.anchors``).

The earliest candidate fulfils the follow-up (the store keeps that, see
``watcher.store.matches``); without one it is ``awaiting``, and ``overdue`` after its ``due``
day has ended in the config's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from watcher.clock import as_utc, iso_utc
from watcher.config import Config, Followup, Story
from watcher.config.query import Query, parse_query
from watcher.match.anchors import UNANCHORED, Anchor, AnchorVerdict, Promises
from watcher.model import Fulfilment, Item

Status = Literal["fulfilled", "awaiting", "overdue"]


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``tz``, as a UTC datetime."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def start_of(since: date | datetime, tz: ZoneInfo) -> datetime:
    """A ``since`` as a UTC datetime: a day from its midnight in ``tz``, a moment as it is (one
    written without an offset is in ``tz``)."""
    if not isinstance(since, datetime):
        return day_start(since, tz)
    return (since if since.tzinfo else since.replace(tzinfo=tz)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class CompiledFollowup:
    story_id: str
    followup: Followup
    since: datetime
    query: Query | None
    anchor: Anchor | None = None

    @property
    def id(self) -> str:
        return self.followup.id

    @property
    def by(self) -> list[str]:
        return self.followup.by

    def candidate(
        self,
        authors: Iterable[str],
        published: datetime,
        query_ok: bool,
        item: Item,
        promises: Promises,
    ) -> bool:
        """Whether ``item`` (published at ``published`` in UTC, by ``authors``, ``query_ok``
        its verdict on the follow-up's query) may fulfil the follow-up; ``promises`` are the
        stored promises follow-ups are anchored on."""
        return (
            bool(set(self.by) & set(authors))
            and published >= self.since
            and query_ok
            and self.anchored(item, promises).ok
        )

    def anchored(self, item: Item, promises: Promises) -> AnchorVerdict:
        """The ``after:`` rules' verdict on ``item`` (always fine without ``after``)."""
        return UNANCHORED if self.anchor is None else self.anchor.verdict(item, promises)


@dataclass(frozen=True, slots=True)
class CompiledStory:
    story: Story
    since: datetime
    query: Query
    followups: tuple[CompiledFollowup, ...]

    @property
    def id(self) -> str:
        return self.story.id

    def entity_ids(self) -> set[str]:
        """Every entity the story is about: named in its queries or expected to follow up."""
        ids = self.query.entity_ids()
        for compiled in self.followups:
            ids |= set(compiled.by)
            if compiled.query is not None:
                ids |= compiled.query.entity_ids()
        return ids

    def queries(self) -> Iterable[Query]:
        yield self.query
        yield from (f.query for f in self.followups if f.query is not None)


def compile_stories(config: Config) -> list[CompiledStory]:
    entity_ids = {entity.id for entity in config.entities}
    compiled = []
    for story in config.stories:
        since = day_start(story.since, config.tz)
        followups = tuple(
            CompiledFollowup(
                story.id,
                followup,
                start_of(followup.since, config.tz) if followup.since else since,
                parse_query(followup.match, entity_ids) if followup.match else None,
                Anchor.parse(followup.after) if followup.after else None,
            )
            for followup in story.followups
        )
        compiled.append(
            CompiledStory(story, since, parse_query(story.match, entity_ids), followups)
        )
    return compiled


def story_partners(stories: Iterable[CompiledStory]) -> Mapping[str, frozenset[str]]:
    """For each entity, the other entities it shares a story with (they back weak aliases)."""
    partners: dict[str, set[str]] = defaultdict(set)
    for story in stories:
        ids = story.entity_ids()
        for entity_id in ids:
            partners[entity_id] |= ids - {entity_id}
    return {entity_id: frozenset(others) for entity_id, others in partners.items()}


def followup_status(
    fulfilled_at: datetime | None, due: date | None, now: datetime, tz: ZoneInfo
) -> Status:
    if fulfilled_at is not None:
        return "fulfilled"
    if due is not None and as_utc(now) >= day_start(due + timedelta(days=1), tz):
        return "overdue"
    return "awaiting"


@dataclass(frozen=True, slots=True)
class FollowupStatus:
    """A follow-up of the config as it stands at ``now``: fulfilled (by what), awaiting, overdue."""

    story: str
    id: str
    title: str
    status: Status
    due: date | None
    fulfilment: Fulfilment | None = None
    promise_url: str | None = None  # the follow-up's ``after``

    @property
    def fulfilled_at(self) -> datetime | None:
        return self.fulfilment.fulfilled_at if self.fulfilment else None

    @property
    def item_id(self) -> int | None:
        return self.fulfilment.item_id if self.fulfilment else None

    @property
    def item_url(self) -> str | None:
        return self.fulfilment.item_url if self.fulfilment else None

    @property
    def item_title(self) -> str | None:
        return self.fulfilment.item_title if self.fulfilment else None

    @property
    def by(self) -> str | None:
        return self.fulfilment.by if self.fulfilment else None

    def as_json(self) -> dict[str, Any]:
        return {
            "story": self.story,
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "item_url": self.item_url,
            "fulfilled_at": iso_utc(self.fulfilled_at),
            "due": self.due.isoformat() if self.due else None,
            "promise_url": self.promise_url,
        }


def followup_statuses(
    config: Config, fulfilments: Mapping[tuple[str, str], Fulfilment], now: datetime
) -> list[FollowupStatus]:
    """Every follow-up in the config, in config order, with what fulfilled it if anything."""
    statuses = []
    for story in config.stories:
        for followup in story.followups:
            fulfilment = fulfilments.get((story.id, followup.id))
            at = fulfilment.fulfilled_at if fulfilment is not None else None
            statuses.append(
                FollowupStatus(
                    story=story.id,
                    id=followup.id,
                    title=followup.title,
                    status=followup_status(at, followup.due, now, config.tz),
                    due=followup.due,
                    fulfilment=fulfilment,
                    promise_url=followup.after,
                )
            )
    return statuses
