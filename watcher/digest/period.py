"""Digest periods: a period ends at a scheduled slot of the digest's trigger.

A digest's period ends at a *slot*: a time its ``at`` (daily) or ``cron`` names, in the config's
time zone. Slots are computed by cronsim, which follows cron: Sunday is 0 (and 7), and a time
that a DST change skips (02:30 on the spring-forward night) or repeats (on the fall-back night)
fires exactly once, as with cronie. The daemon's trigger (``watcher.schedule.slots``) and
``watcher digest send`` use these same functions, so they agree on every period.

A run is keyed by (digest id, period end in UTC); ``latest_slot`` is the slot a manual send
fills: sending twice on the same day fills the same period.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim

from watcher.config import Digest


def digest_expression(digest: Digest) -> str:
    """A digest's schedule as a cron expression: ``at: "07:30"`` is ``30 7 * * *``."""
    if digest.cron is not None:
        return digest.cron
    hour, minute = (int(part) for part in (digest.at or "07:00").split(":"))
    return f"{minute} {hour} * * *"


def next_slot(expression: str, tz: ZoneInfo, after: datetime) -> datetime:
    """The first time of ``expression`` in ``tz`` strictly after ``after``, in UTC."""
    # In UTC: an aware time in the repeated hour never compares equal across zones (PEP 495).
    return next(CronSim(expression, after.astimezone(tz))).astimezone(UTC)


def latest_slot(digest: Digest, tz: ZoneInfo, now: datetime) -> datetime:
    """The digest's latest slot at or before ``now``, in UTC: the end of the period to send."""
    after = (now + timedelta(microseconds=1)).astimezone(tz)
    return next(CronSim(digest_expression(digest), after, reverse=True)).astimezone(UTC)


def previous_slot(digest: Digest, tz: ZoneInfo, slot: datetime) -> datetime:
    """The slot before ``slot``: where a digest's first period starts."""
    return latest_slot(digest, tz, slot - timedelta(seconds=1))
