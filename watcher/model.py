"""Plain data passed between the pipeline stages.

fetch → ``FetchResult``; parse → ``Entry``; normalise → ``Item``; match → ``Mention`` and
``ItemMatches``. Nothing here talks to the network or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Field = Literal["title", "summary", "content", "author", "url"]


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one conditional GET returned.

    ``changed`` is False for a 304; ``body`` is None then. Validators are the ones to send next
    time (the old ones are kept when the server sent none).
    """

    url: str
    final_url: str
    status: int
    changed: bool
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    elapsed: float = 0.0


@dataclass(slots=True)
class Entry:
    """One entry as the source published it: raw fields, HTML still in place.

    ``published`` and ``updated`` are aware when the source wrote a zone and naive (the time
    as written) when it did not: normalise reads a naive one in the source's zone.
    ``date_text`` is the date as written: the one read, else the one no parser could read.
    """

    guid: str | None = None
    link: str | None = None
    title: str | None = None
    summary: str | None = None
    content: str | None = None
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    date_text: str | None = None


@dataclass(slots=True)
class ParsedFeed:
    """All entries of one body, plus what the parser noticed (``warning``: bozo, encoding…)."""

    entries: list[Entry]
    title: str | None = None
    link: str | None = None
    language: str | None = None
    warning: str | None = None
    next_page: str | None = None


@dataclass(slots=True)
class Item:
    """One real article or post, normalised: the unit that is stored, matched and digested.

    ``key`` is its identity (canonical URL, else GUID, else a post id such as ``x:123``): the
    same article from two feeds or two polls has the same key. ``published_estimated`` is True
    when the source gave no date and ``published`` is the first-seen time. ``by`` is the id of
    the tracked person or organisation that authored it, when known at parse time (source owner,
    archived account); matching may add it from the author field.
    """

    key: str
    url: str | None
    title: str
    text: str
    source_id: str
    published: datetime
    published_estimated: bool = False
    guid: str | None = None
    summary: str = ""
    summary_html: str = ""
    author: str | None = None
    by: str | None = None
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Mention:
    """One place an entity was found in an item.

    ``kind`` is ``alias`` (a strong alias), ``weak`` (a weak alias kept because a strong signal
    backs it), ``handle`` (an account handle or profile link) or ``author`` (the item is by them).
    """

    entity_id: str
    alias: str
    field: Field
    start: int
    end: int
    kind: Literal["alias", "weak", "handle", "author"] = "alias"


@dataclass(frozen=True, slots=True)
class Fulfilment:
    """The item that fulfilled a follow-up: its earliest candidate by publication time."""

    story_id: str
    followup_id: str
    fulfilled_at: datetime  # the item's publication time
    recorded_at: datetime  # when watcher found it: a digest reports it in that period
    item_id: int
    item_url: str | None
    item_title: str
    by: str | None


@dataclass(slots=True)
class ItemMatches:
    """Everything matching decided about one item."""

    mentions: list[Mention]
    by: str | None
    stories: list[str]
    followups: list[tuple[str, str]]  # (story id, follow-up id)

    @property
    def entities(self) -> list[str]:
        return sorted({m.entity_id for m in self.mentions})
