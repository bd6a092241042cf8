"""Digest periods: a period ends at a scheduled slot of the digest's trigger.

A run is keyed by (digest id, period end in UTC). ``latest_slot`` (computed with the scheduler's
own rules, ``watcher.schedule.slots``, so the daemon and ``watcher digest send`` agree) is the
slot a manual send fills: sending twice on the same day fills the same period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from watcher.config import Digest
from watcher.schedule.slots import latest_slot

__all__ = ["latest_slot", "previous_slot"]


def previous_slot(digest: Digest, tz: ZoneInfo, slot: datetime) -> datetime:
    """The slot before ``slot``: where a digest's first period starts."""
    return latest_slot(digest, tz, slot - timedelta(seconds=1))
