"""Matches: mentions, story and follow-up matches, fulfilments, and follow-up statuses.

``record_matches`` replaces what one item matched. Story and follow-up rows that stay keep their
``matched_at`` (a digest asks "what matched since the last one", and a rematch must not make
old items look new). A follow-up's fulfilment is its earliest candidate by publication time; it
is recomputed whenever one of its candidates changes, so an earlier post found by a backfill
takes it over, and a fulfilment whose item stops qualifying (after a config edit) moves on.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from watcher.config import Config
from watcher.match.followups import Status, followup_status
from watcher.model import ItemMatches
from watcher.store.tables import (
    FollowupMatchRow,
    FulfilmentRow,
    ItemRow,
    MentionRow,
    StateRow,
    StoryMatchRow,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def record_matches(
    session: Session,
    item_row: ItemRow,
    matches: ItemMatches,
    *,
    stories: Collection[str] | None = None,
) -> None:
    """Replace what ``item_row`` matched. With ``stories``, only those stories' rows change
    (mentions and authorship are left alone): a rematch of edited stories only."""
    now = utcnow()
    if stories is None:
        item_row.by = matches.by
        _replace_mentions(session, item_row, matches)
    _sync_story_rows(session, item_row.id, set(matches.stories), now, stories)
    touched = _sync_followup_rows(session, item_row.id, set(matches.followups), now, stories)
    for story_id, followup_id in touched:
        refresh_fulfilment(session, story_id, followup_id, now=now)


def _replace_mentions(session: Session, item_row: ItemRow, matches: ItemMatches) -> None:
    session.execute(delete(MentionRow).where(MentionRow.item_id == item_row.id))
    session.add_all(
        MentionRow(
            item_id=item_row.id,
            entity_id=m.entity_id,
            alias=m.alias,
            field=m.field,
            start=m.start,
            end=m.end,
            kind=m.kind,
        )
        for m in matches.mentions
    )


def _in(scope: Collection[str] | None, story_id: str) -> bool:
    return scope is None or story_id in scope


def _sync_story_rows(
    session: Session, item_id: int, wanted: set[str], now: datetime, scope: Collection[str] | None
) -> None:
    rows = session.scalars(select(StoryMatchRow).where(StoryMatchRow.item_id == item_id))
    have = set()
    for row in rows:
        if not _in(scope, row.story_id):
            continue
        if row.story_id in wanted:
            have.add(row.story_id)
        else:
            session.delete(row)
    for story_id in wanted - have:
        if _in(scope, story_id):
            session.add(StoryMatchRow(story_id=story_id, item_id=item_id, matched_at=now))


def _sync_followup_rows(
    session: Session,
    item_id: int,
    wanted: set[tuple[str, str]],
    now: datetime,
    scope: Collection[str] | None,
) -> set[tuple[str, str]]:
    """Make the item's follow-up rows ``wanted``; return every follow-up whose candidates (or
    whose fulfilling item) may have changed."""
    touched = set(wanted)
    have = set()
    for row in session.scalars(select(FollowupMatchRow).where(FollowupMatchRow.item_id == item_id)):
        key = (row.story_id, row.followup_id)
        if not _in(scope, row.story_id):
            continue
        if key in wanted:
            have.add(key)
        else:
            session.delete(row)
            touched.add(key)
    for story_id, followup_id in wanted - have:
        if _in(scope, story_id):
            session.add(
                FollowupMatchRow(
                    story_id=story_id, followup_id=followup_id, item_id=item_id, matched_at=now
                )
            )
    fulfilled = select(FulfilmentRow.story_id, FulfilmentRow.followup_id).where(
        FulfilmentRow.item_id == item_id
    )
    touched |= {(story, followup) for story, followup in session.execute(fulfilled)}
    session.flush()
    return {key for key in touched if _in(scope, key[0])}


def refresh_fulfilment(
    session: Session, story_id: str, followup_id: str, *, now: datetime | None = None
) -> FulfilmentRow | None:
    """Point the follow-up's fulfilment at its earliest candidate (or remove it: none left)."""
    earliest = session.execute(
        select(ItemRow.id, ItemRow.published_at)
        .join(FollowupMatchRow, FollowupMatchRow.item_id == ItemRow.id)
        .where(FollowupMatchRow.story_id == story_id, FollowupMatchRow.followup_id == followup_id)
        .order_by(ItemRow.published_at, ItemRow.id)
        .limit(1)
    ).first()
    row = session.get(FulfilmentRow, (story_id, followup_id))
    if earliest is None:
        if row is not None:
            session.delete(row)
        return None
    item_id, published = earliest
    if row is None:
        row = FulfilmentRow(story_id=story_id, followup_id=followup_id)
        session.add(row)
    if row.item_id != item_id or row.fulfilled_at != published:
        row.item_id, row.fulfilled_at, row.recorded_at = item_id, published, now or utcnow()
    return row


def forget_stories(session: Session, story_ids: Collection[str]) -> None:
    """Drop every row of stories that left the config."""
    if not story_ids:
        return
    for table in (StoryMatchRow, FollowupMatchRow, FulfilmentRow):
        session.execute(delete(table).where(table.story_id.in_(story_ids)))


# --- follow-up statuses -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowupStatus:
    story: str
    id: str
    title: str
    status: Status
    due: date | None
    item_id: int | None = None
    item_url: str | None = None
    item_title: str | None = None
    fulfilled_at: datetime | None = None
    by: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "story": self.story,
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "item_url": self.item_url,
            "fulfilled_at": _iso(self.fulfilled_at),
            "due": self.due.isoformat() if self.due else None,
        }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def followup_statuses(session: Session, config: Config, now: datetime) -> list[FollowupStatus]:
    """Every follow-up in the config, in config order, with what fulfilled it if anything."""
    fulfilled = {
        (row.story_id, row.followup_id): (row, item)
        for row, item in session.execute(
            select(FulfilmentRow, ItemRow).join(ItemRow, ItemRow.id == FulfilmentRow.item_id)
        ).all()
    }
    statuses = []
    for story in config.stories:
        for followup in story.followups:
            row, item = fulfilled.get((story.id, followup.id), (None, None))
            at = row.fulfilled_at if row is not None else None
            statuses.append(
                FollowupStatus(
                    story=story.id,
                    id=followup.id,
                    title=followup.title,
                    status=followup_status(at, followup.due, now, config.tz),
                    due=followup.due,
                    item_id=item.id if item is not None else None,
                    item_url=item.url if item is not None else None,
                    item_title=item.title if item is not None else None,
                    fulfilled_at=at,
                    by=item.by if item is not None else None,
                )
            )
    return statuses


# --- rematch support --------------------------------------------------------------------------


def item_id_batches(session: Session, size: int = 500) -> Iterator[list[int]]:
    """Every stored item id, oldest first, in batches (read once, before any rewriting)."""
    ids = list(session.scalars(select(ItemRow.id).order_by(ItemRow.id)))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def items_by_ids(session: Session, ids: list[int]) -> list[ItemRow]:
    return list(session.scalars(select(ItemRow).where(ItemRow.id.in_(ids)).order_by(ItemRow.id)))


def count_items(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ItemRow)) or 0


_FINGERPRINT_KEY = "match.fingerprint"


def match_fingerprint(session: Session) -> str | None:
    """What the matching-relevant config looked like at the last (re)match, if recorded."""
    row = session.get(StateRow, _FINGERPRINT_KEY)
    return row.value if row is not None else None


def save_match_fingerprint(session: Session, value: str) -> None:
    row = session.get(StateRow, _FINGERPRINT_KEY)
    if row is None:
        session.add(StateRow(key=_FINGERPRINT_KEY, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()
