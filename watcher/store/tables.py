"""The database schema (SQLAlchemy 2 declarative). Migrations in ``migrations/`` mirror it.

Times are stored as naive UTC ``DateTime`` values (SQLite has no time zones, and one rule for both
back-ends keeps comparisons simple) through ``UtcDateTime``, which hands out aware UTC datetimes
and accepts aware ones of any zone: code outside the store never converts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from watcher.text import strip_controls

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a big table.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class CleanString(TypeDecorator[str]):
    """Text as stored: never NUL or another control character (``strip_controls``).

    Feeds send them; PostgreSQL's text refuses NUL (the whole poll would fail on it) and a
    terminal obeys escape sequences. One rule for every text column, on both databases.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else strip_controls(value)


class CleanText(CleanString):
    impl = Text
    cache_ok = True


class CleanJSON(TypeDecorator[Any]):
    """JSON whose strings are cleaned like ``CleanString`` (keys and values, at any depth)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return _cleaned(value)


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {_cleaned(key): _cleaned(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(item) for item in value]
    return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: CleanJSON, datetime: UtcDateTime()}
    # Every mapped class here is one plain table (DeclarativeBase only promises a FromClause).
    __table__: ClassVar[Table]


class SourceRow(Base):
    """A source's polling state. Rows outlive config edits: a removed source keeps its history."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(CleanString(200), primary_key=True)
    kind: Mapped[str] = mapped_column(CleanString(20))
    url: Mapped[str] = mapped_column(CleanText)
    owner: Mapped[str | None] = mapped_column(CleanString(200))
    etag: Mapped[str | None] = mapped_column(CleanText)
    last_modified: Mapped[str | None] = mapped_column(CleanText)
    body_hash: Mapped[str | None] = mapped_column(CleanString(64))
    cursor: Mapped[str | None] = mapped_column(CleanText)  # archives: newest capture seen
    next_poll_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(CleanText)
    last_error_at: Mapped[datetime | None]
    warning: Mapped[str | None] = mapped_column(CleanText)  # e.g. feedparser's bozo message
    claimed_by: Mapped[str | None] = mapped_column(CleanString(200))
    claimed_until: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]  # gone from the config; history kept
    items_total: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_sources_due", "removed_at", "next_poll_at"),)


class ItemRow(Base):
    """One real article or post, whichever source saw it first."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(CleanString(2000), unique=True)
    url: Mapped[str | None] = mapped_column(CleanText)
    guid: Mapped[str | None] = mapped_column(CleanText)
    title: Mapped[str] = mapped_column(CleanText, default="")
    summary: Mapped[str] = mapped_column(CleanText, default="")
    summary_html: Mapped[str] = mapped_column(CleanText, default="")
    text: Mapped[str] = mapped_column(CleanText, default="")
    author: Mapped[str | None] = mapped_column(CleanText)
    by: Mapped[str | None] = mapped_column(CleanString(200))
    language: Mapped[str | None] = mapped_column(CleanString(16))
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    published_at: Mapped[datetime]
    published_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(CleanString(64), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        Index("ix_items_published", "published_at"),
        Index("ix_items_first_seen", "first_seen_at"),
        Index("ix_items_source", "source_id", "published_at"),
        Index("ix_items_by", "by", "published_at"),
        Index("ix_items_updated", "updated_at"),  # what the search index has not seen yet
        # Only the few items dated when first seen: `watcher sources` counts them per source.
        Index(
            "ix_items_undated",
            "source_id",
            sqlite_where=sql_text("published_estimated IS 1"),
            postgresql_where=sql_text("published_estimated IS true"),
        ),
    )


class ItemSourceRow(Base):
    """Every source an item was seen in (the same article in two feeds is one item, two rows)."""

    __tablename__ = "item_sources"

    item_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    first_seen_at: Mapped[datetime]


class MentionRow(Base):
    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    entity_id: Mapped[str] = mapped_column(CleanString(200))
    alias: Mapped[str] = mapped_column(CleanText)
    field: Mapped[str] = mapped_column(CleanString(20))
    start: Mapped[int]
    end: Mapped[int]
    kind: Mapped[str] = mapped_column(CleanString(20), default="alias")

    __table_args__ = (
        Index("ix_mentions_item", "item_id"),
        Index("ix_mentions_entity", "entity_id", "item_id"),
    )


class StoryMatchRow(Base):
    __tablename__ = "story_matches"

    story_id: Mapped[str] = mapped_column(CleanString(200), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    matched_at: Mapped[datetime]

    __table_args__ = (Index("ix_story_matches_item", "item_id"),)


class FollowupMatchRow(Base):
    """An item that satisfies a follow-up (authored by one of ``by``, matching its query)."""

    __tablename__ = "followup_matches"

    story_id: Mapped[str] = mapped_column(CleanString(200), primary_key=True)
    followup_id: Mapped[str] = mapped_column(CleanString(200), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    matched_at: Mapped[datetime]

    __table_args__ = (Index("ix_followup_matches_item", "item_id"),)


class FulfilmentRow(Base):
    """The earliest item that fulfils a follow-up; moved when an earlier one turns up."""

    __tablename__ = "fulfilments"

    story_id: Mapped[str] = mapped_column(CleanString(200), primary_key=True)
    followup_id: Mapped[str] = mapped_column(CleanString(200), primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"))
    fulfilled_at: Mapped[datetime]  # the item's published time
    recorded_at: Mapped[datetime]


class DigestRunRow(Base):
    """A digest built for one period, stored before anything is sent (the outbox)."""

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    digest_id: Mapped[str] = mapped_column(CleanString(200))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    built_at: Mapped[datetime]
    subject: Mapped[str] = mapped_column(CleanText, default="")
    text: Mapped[str] = mapped_column(CleanText, default="")
    html: Mapped[str] = mapped_column(CleanText, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    item_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("digest_id", "period_end", name="uq_digest_period"),)


class DeliveryRow(Base):
    """One channel's delivery of one digest run: attempts and outcome."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("digest_runs.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(CleanString(200))
    state: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending|sending|sent|failed|given_up
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(CleanText)
    message_id: Mapped[str | None] = mapped_column(CleanText)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    given_up_at: Mapped[datetime | None]  # reported in the next digest after this time
    claimed_by: Mapped[str | None] = mapped_column(CleanString(200))
    claimed_until: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("run_id", "channel_id", name="uq_delivery_channel"),
        Index("ix_deliveries_state", "state", "next_attempt_at"),
    )


class ArchiveCaptureRow(Base):
    """A Wayback capture already processed, so polls and backfills never repeat work."""

    __tablename__ = "archive_captures"

    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    timestamp: Mapped[str] = mapped_column(CleanString(14), primary_key=True)
    original: Mapped[str] = mapped_column(CleanString(2000), primary_key=True)
    status_id: Mapped[str | None] = mapped_column(CleanString(40))
    outcome: Mapped[str] = mapped_column(CleanString(20))  # item|truncated|empty|failed|skipped
    fetched_at: Mapped[datetime]


class StateRow(Base):
    """Small key/value facts: config fingerprints for rematch, backfill cursors, leader leases."""

    __tablename__ = "state"

    key: Mapped[str] = mapped_column(CleanString(200), primary_key=True)
    value: Mapped[str] = mapped_column(CleanText)
    updated_at: Mapped[datetime]


class ChannelStateRow(Base):
    """A delivery channel the daemon disabled (a webhook answered 410 Gone)."""

    __tablename__ = "channel_states"

    channel_id: Mapped[str] = mapped_column(CleanString(200), primary_key=True)
    disabled_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(CleanText)
