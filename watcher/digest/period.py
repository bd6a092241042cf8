"""Digest periods: a period ends at a scheduled slot of the digest's trigger.

A run is keyed by (digest id, period end in UTC). ``latest_slot`` is the slot a manual
``watcher digest send`` fills, so sending twice on the same day fills the same period.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from watcher.config import Digest

_SEARCH_WINDOWS = (timedelta(days=1), timedelta(days=8), timedelta(days=32), timedelta(days=367))


def latest_slot(digest: Digest, tz: ZoneInfo, now: datetime) -> datetime:
    """The latest scheduled time of ``digest`` at or before ``now``, in UTC."""
    if digest.cron is not None:
        return _latest_cron_slot(digest.cron, tz, now)
    hour, minute = (int(part) for part in (digest.at or "07:00").split(":"))
    local_now = now.astimezone(tz)
    day = local_now.date()
    for _ in range(3):
        slot = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if slot <= local_now:
            return slot.astimezone(UTC)
        day -= timedelta(days=1)
    raise AssertionError("a daily slot always exists within two days")


def previous_slot(digest: Digest, tz: ZoneInfo, slot: datetime) -> datetime:
    """The slot before ``slot``: where a digest's first period starts."""
    return latest_slot(digest, tz, slot - timedelta(seconds=1))


def _latest_cron_slot(expression: str, tz: ZoneInfo, now: datetime) -> datetime:
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(expression, timezone=tz)
    for window in _SEARCH_WINDOWS:
        fire = trigger.get_next_fire_time(None, now - window)
        latest = None
        while fire is not None and fire <= now:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        if latest is not None:
            return latest.astimezone(UTC)
    raise ValueError(f"cron {expression!r} has not fired in the last year")
