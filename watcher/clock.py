"""The one clock: ``utcnow()`` is the default wherever a job needs the time.

Jobs take ``now`` (or a ``Clock``) from the top and pass it down, so a test, or the daemon's own
injectable clock, decides what time every stage sees; nothing below the jobs reads the wall
clock by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already (the store's convention)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_utc(moment: datetime | None) -> str | None:
    """The one JSON form of a moment: ISO-8601 in UTC with ``Z`` (``2024-05-17T15:03:00Z``)."""
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")


DateFrom = Literal["feed", "seen"]


def date_from(published_estimated: bool) -> DateFrom:
    """Where an item's date came from, as ``items --json`` says it: ``feed`` when the feed gave
    one, ``seen`` when watcher used the time it first saw the item."""
    return "seen" if published_estimated else "feed"
