"""Matches: mentions, story and follow-up matches, fulfilments, and follow-up statuses.

``record_matches`` replaces what one item matched. Story and follow-up rows that stay keep their
``matched_at`` (a digest asks "what matched since the last one", and a rematch must not make
old items look new). A follow-up's fulfilment is its earliest candidate by publication time; it
is recomputed whenever one of its candidates changes, so an earlier post found by a backfill
takes it over, and a fulfilment whose item stops qualifying (after a config edit) moves on.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, func, insert, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from watcher.model import Fulfilment, ItemMatches, Mention
from watcher.store.tables import (
    FollowupMatchRow,
    FulfilmentRow,
    ItemRow,
    MentionRow,
    StateRow,
    StoryMatchRow,
)

Key = tuple[str, ...]


def record_matches(
    session: Session,
    item_row: ItemRow,
    matches: ItemMatches,
    *,
    now: datetime,
    stories: Collection[str] | None = None,
) -> None:
    """Replace what ``item_row`` matched. With ``stories``, only those stories' rows change
    (mentions and authorship are left alone): a rematch of edited stories only.

    Plain SQL statements rather than ORM objects, and one query to learn what is stored: this
    runs for every new item of a poll, and a new item that matched nothing costs that query.
    """
    has_mentions, story_rows, followup_rows = _stored(session, item_row.id)
    if stories is None:
        item_row.by = matches.by
        if has_mentions:
            session.execute(_DELETE_MENTIONS, {"item_id": item_row.id})
        _insert_mentions(session, item_row.id, matches)
    wanted_stories: set[Key] = {(story_id,) for story_id in matches.stories}
    _sync_rows(session, StoryMatchRow, item_row.id, story_rows, wanted_stories, now, stories)
    wanted: set[Key] = set(matches.followups)
    removed = _sync_rows(
        session, FollowupMatchRow, item_row.id, followup_rows, wanted, now, stories
    )
    # The fulfilling item is always one of the follow-up's candidates, so these are every
    # follow-up whose earliest candidate may have changed (this item's date may have moved).
    for story_id, followup_id in removed | wanted:
        if stories is None or story_id in stories:
            refresh_fulfilment(session, story_id, followup_id, now=now)


def record_new_matches(
    session: Session, matched: list[tuple[int, ItemMatches]], *, now: datetime
) -> None:
    """What brand-new items matched, in three statements for a whole batch (nothing is stored
    for them yet, so nothing is replaced); each follow-up they touch is refreshed once."""
    mentions = [_mention_row(item_id, m) for item_id, matches in matched for m in matches.mentions]
    stories = [
        {"item_id": item_id, "story_id": story_id, "matched_at": now}
        for item_id, matches in matched
        for story_id in matches.stories
    ]
    followups = [
        {"item_id": item_id, "story_id": story_id, "followup_id": followup_id, "matched_at": now}
        for item_id, matches in matched
        for story_id, followup_id in matches.followups
    ]
    for table, rows in (
        (MentionRow, mentions),
        (StoryMatchRow, stories),
        (FollowupMatchRow, followups),
    ):
        if rows:
            session.execute(insert(table.__table__), rows)
    touched = {key for _, matches in matched for key in matches.followups}
    for story_id, followup_id in touched:
        refresh_fulfilment(session, story_id, followup_id, now=now)


_ITEM: BindParameter[int] = bindparam("item_id")
# Built once: composing a statement costs more than running it on a small table.
_STORED = union_all(
    select(literal("s"), StoryMatchRow.story_id, literal("")).where(StoryMatchRow.item_id == _ITEM),
    select(literal("f"), FollowupMatchRow.story_id, FollowupMatchRow.followup_id).where(
        FollowupMatchRow.item_id == _ITEM
    ),
    select(literal("m"), literal(""), literal("")).where(
        exists().where(MentionRow.item_id == _ITEM)
    ),
)
_DELETE_MENTIONS = delete(MentionRow.__table__).where(MentionRow.__table__.c.item_id == _ITEM)


def _stored(session: Session, item_id: int) -> tuple[bool, set[Key], set[Key]]:
    """Whether the item has mentions, and its story and follow-up keys, in one query."""
    rows = session.execute(_STORED, {"item_id": item_id}).all()
    stories: set[Key] = {(story,) for kind, story, _ in rows if kind == "s"}
    followups: set[Key] = {(story, followup) for kind, story, followup in rows if kind == "f"}
    return any(kind == "m" for kind, _, _ in rows), stories, followups


def _insert_mentions(session: Session, item_id: int, matches: ItemMatches) -> None:
    if not matches.mentions:
        return
    session.execute(
        insert(MentionRow.__table__), [_mention_row(item_id, m) for m in matches.mentions]
    )


def _mention_row(item_id: int, mention: Mention) -> dict[str, object]:
    return {
        "item_id": item_id,
        "entity_id": mention.entity_id,
        "alias": mention.alias,
        "field": mention.field,
        "start": mention.start,
        "end": mention.end,
        "kind": mention.kind,
    }


_KEYS: dict[type, Key] = {
    StoryMatchRow: ("story_id",),
    FollowupMatchRow: ("story_id", "followup_id"),
}


def _sync_rows(
    session: Session,
    table: type[StoryMatchRow] | type[FollowupMatchRow],
    item_id: int,
    have: set[Key],
    wanted: set[Key],
    now: datetime,
    scope: Collection[str] | None,
) -> set[Key]:
    """Make the item's rows in ``table`` (within ``scope``'s stories) go from ``have`` to
    ``wanted``; rows that stay keep their ``matched_at``. Return the keys removed."""
    if scope is not None:
        have = {key for key in have if key[0] in scope}
        wanted = {key for key in wanted if key[0] in scope}
    names = _KEYS[table]
    columns = [getattr(table, name) for name in names]
    removed, added = have - wanted, wanted - have
    for key in removed:
        matching = (column == value for column, value in zip(columns, key, strict=True))
        session.execute(delete(table).where(table.item_id == item_id, *matching))
    if added:
        session.execute(
            insert(table.__table__),
            [
                {**dict(zip(names, key, strict=True)), "item_id": item_id, "matched_at": now}
                for key in added
            ],
        )
    return removed


def refresh_fulfilment(
    session: Session, story_id: str, followup_id: str, *, now: datetime
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
        row.item_id, row.fulfilled_at, row.recorded_at = item_id, published, now
    return row


def forget_stories(session: Session, story_ids: Collection[str]) -> None:
    """Drop every row of stories that left the config."""
    if not story_ids:
        return
    for table in (StoryMatchRow, FollowupMatchRow, FulfilmentRow):
        session.execute(delete(table).where(table.story_id.in_(story_ids)))


# --- fulfilments -----------------------------------------------------------------------------


def fulfilments(session: Session) -> dict[tuple[str, str], Fulfilment]:
    """Every recorded fulfilment, keyed by (story id, follow-up id), with its item."""
    rows = session.execute(
        select(FulfilmentRow, ItemRow).join(ItemRow, ItemRow.id == FulfilmentRow.item_id)
    ).all()
    return {
        (row.story_id, row.followup_id): Fulfilment(
            story_id=row.story_id,
            followup_id=row.followup_id,
            fulfilled_at=row.fulfilled_at,
            recorded_at=row.recorded_at,
            item_id=item.id,
            item_url=item.url,
            item_title=item.title,
            by=item.by,
        )
        for row, item in rows
    }


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


def save_match_fingerprint(session: Session, value: str, *, now: datetime) -> None:
    row = session.get(StateRow, _FINGERPRINT_KEY)
    if row is None:
        session.add(StateRow(key=_FINGERPRINT_KEY, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
