"""Digest slots: when each digest is due, in the config's time zone, right across DST.

A digest's period ends at a *slot*: a time its ``at`` (daily) or ``cron`` names. Slots are
computed by cronsim, which follows cron: Sunday is 0 (and 7), and a time that a DST change skips
(02:30 on the spring-forward night) or repeats (on the fall-back night) fires exactly once, as
with cronie.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from cronsim import CronSim, CronSimError

from watcher.config import Config, Digest


def digest_expression(digest: Digest) -> str:
    """A digest's schedule as a cron expression: ``at: "07:30"`` is ``30 7 * * *``."""
    if digest.cron is not None:
        return digest.cron
    hour, minute = (int(part) for part in (digest.at or "07:00").split(":"))
    return f"{minute} {hour} * * *"


class SlotTrigger(BaseTrigger):
    """Fires at a cron expression's times in a time zone, computed by cronsim.

    Not APScheduler 3's own ``CronTrigger``: with zoneinfo it fires a 02:30 job twice on the
    night clocks go back and can step backwards across that hour, and its ``from_crontab``
    counts weekdays from Monday. cronsim follows cron (Sunday is 0 and 7) and runs a time that
    a DST change skips or repeats exactly once, as cronie does.
    """

    __slots__ = ("expression", "tz")

    def __init__(self, expression: str, tz: ZoneInfo) -> None:
        try:
            CronSim(expression, datetime.now(tz))
        except CronSimError as error:
            raise ValueError(f"{expression!r} is not a cron expression: {error}") from None
        self.expression = expression
        self.tz = tz

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = previous_fire_time or now - timedelta(microseconds=1)
        # In UTC: an aware time in the repeated hour never compares equal across zones (PEP 495).
        return next(CronSim(self.expression, after.astimezone(self.tz))).astimezone(UTC)

    def __str__(self) -> str:
        return f"cron[{self.expression} {self.tz.key}]"


def latest_slot(digest: Digest, tz: ZoneInfo, now: datetime) -> datetime:
    """The digest's latest slot at or before ``now``, in UTC: the end of the period to send."""
    after = (now + timedelta(microseconds=1)).astimezone(tz)
    return next(CronSim(digest_expression(digest), after, reverse=True)).astimezone(UTC)


def digest_trigger(config: Config, digest: Digest) -> SlotTrigger:
    """The digest's trigger; its cron was checked when the config loaded."""
    return SlotTrigger(digest_expression(digest), config.tz)
