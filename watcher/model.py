"""Plain data passed between the pipeline stages.

fetch → ``FetchResult``; parse → ``Entry``; normalise → ``Item``; match → ``Mention`` and
``ItemMatches``; the store hands back ``Fulfilment``s and ``PromiseItem``s (the promises
follow-ups are anchored on). Archived X posts travel as ``Capture``s (fetch),
``CaptureOutcome``s (what processing one gave, recorded by the store) and ``StatusRef``s (a
status URL reduced to its post). Nothing here talks to the network or the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Field = Literal["title", "summary", "content", "author", "url"]
FULL_TEXT = "full_text"  # Item.extra key: "ok" when the text is the item's page's, or "failed: …"


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


@dataclass(frozen=True, slots=True)
class PromiseItem:
    """A stored item that a follow-up's ``after:`` names (the promise), as the anchor rules
    (``watcher.match.anchors``) need it."""

    key: str
    url: str | None
    published: datetime
    text: str


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


# --- archived X posts -----------------------------------------------------------------------

_STATUS_URL = re.compile(
    r"^(?:https?://)?(?:[a-z0-9-]+\.)*(?:x|twitter)\.com(?::\d+)?/(?:#!/)?@?"
    r"(?P<handle>[A-Za-z0-9_]{1,30})"
    r"/status(?:es)?/(?P<id>\d{1,20})(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class StatusRef:
    """A status URL reduced to what identifies the post."""

    handle: str
    status_id: str

    @property
    def key(self) -> str:
        return f"x:{self.status_id}"

    @property
    def url(self) -> str:
        return f"https://x.com/{self.handle}/status/{self.status_id}"


def status_ref(url: str) -> StatusRef | None:
    """``https://mobile.twitter.com/Sama/status/123/photo/1?s=20`` → (Sama, 123); else None."""
    match = _STATUS_URL.match(url.strip())
    return StatusRef(match["handle"], match["id"]) if match else None


CaptureOutcomeKind = Literal["item", "truncated", "empty", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class Capture:
    """One row of a CDX answer."""

    timestamp: str
    original: str
    statuscode: str | None = None
    mimetype: str | None = None
    digest: str | None = None

    @property
    def status_id(self) -> str | None:
        ref = status_ref(self.original)
        return ref.status_id if ref else None


@dataclass(frozen=True, slots=True)
class CaptureOutcome:
    """What processing a capture gave: ``item`` (a complete post), ``truncated`` (a post cut
    short), ``empty`` (no post: a profile, a JavaScript shell), ``failed`` (the archive has no
    usable snapshot) or ``skipped`` (its post was already complete from another capture)."""

    capture: Capture
    outcome: CaptureOutcomeKind


@dataclass(frozen=True, slots=True)
class CaptureLog:
    """What is already done for a source: processed captures, and posts complete in the store."""

    done: frozenset[tuple[str, str]] = frozenset()
    complete: frozenset[str] = frozenset()


# --- search: what an index must hold for an item to be worth asking the matcher about ---------


@dataclass(frozen=True, slots=True)
class WordTerm:
    """One of ``forms`` is a word of the item (``prefix``: a word starting with it)."""

    forms: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class EntityTerm:
    """Matching recorded a mention of the entity (authorship included)."""

    entity_id: str


@dataclass(frozen=True, slots=True)
class AllTerms:
    parts: tuple[SearchTerm, ...]


@dataclass(frozen=True, slots=True)
class AnyTerms:
    parts: tuple[SearchTerm, ...]


SearchTerm = WordTerm | EntityTerm | AllTerms | AnyTerms
