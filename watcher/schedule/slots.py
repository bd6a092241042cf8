"""The daemon's digest trigger: fires at each of a digest's slots (``watcher.digest.period``).

Not APScheduler 3's own ``CronTrigger``: with zoneinfo it fires a 02:30 job twice on the night
clocks go back and can step backwards across that hour, and its ``from_crontab`` counts weekdays
from Monday. The slots come from cronsim, which follows cron (Sunday is 0 and 7) and runs a time
that a DST change skips or repeats exactly once, as cronie does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from cronsim import CronSim, CronSimError

from watcher.config import Config, Digest
from watcher.digest.period import digest_expression, next_slot


class SlotTrigger(BaseTrigger):
    """Fires at a cron expression's times in a time zone, computed by cronsim."""

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
        return next_slot(
            self.expression, self.tz, previous_fire_time or now - timedelta(microseconds=1)
        )

    def __str__(self) -> str:
        return f"cron[{self.expression} {self.tz.key}]"


def digest_trigger(config: Config, digest: Digest) -> SlotTrigger:
    """The digest's trigger; its cron was checked when the config loaded."""
    return SlotTrigger(digest_expression(digest), config.tz)
