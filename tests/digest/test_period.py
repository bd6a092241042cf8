"""Periods end at the digest's scheduled slots, in the config's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from watcher.config import Digest
from watcher.digest.period import latest_slot, previous_slot

RIYADH = ZoneInfo("Asia/Riyadh")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("trigger", "tz", "now", "slot"),
    [
        ({"at": "07:00"}, RIYADH, datetime(2024, 5, 29, 3, 59, tzinfo=UTC), datetime(2024, 5, 28, 4, 0, tzinfo=UTC)),
        ({"at": "07:00"}, RIYADH, datetime(2024, 5, 29, 4, 0, tzinfo=UTC), datetime(2024, 5, 29, 4, 0, tzinfo=UTC)),
        ({"at": "07:00"}, LONDON, datetime(2024, 3, 31, 6, 30, tzinfo=UTC), datetime(2024, 3, 31, 6, 0, tzinfo=UTC)),
        ({"at": "07:00"}, LONDON, datetime(2024, 3, 30, 7, 30, tzinfo=UTC), datetime(2024, 3, 30, 7, 0, tzinfo=UTC)),
        ({"cron": "30 6 * * mon"}, RIYADH, datetime(2024, 5, 29, 12, 0, tzinfo=UTC), datetime(2024, 5, 27, 3, 30, tzinfo=UTC)),
        ({"cron": "0 */6 * * *"}, UTC, datetime(2024, 5, 29, 11, 59, tzinfo=UTC), datetime(2024, 5, 29, 6, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_the_latest_slot_at_or_before_now(
    trigger: dict[str, str], tz: ZoneInfo, now: datetime, slot: datetime
) -> None:
    digest = Digest(id="d", send_to=["me"], **trigger)
    assert latest_slot(digest, tz, now) == slot


def test_running_twice_the_same_day_fills_the_same_period() -> None:
    digest = Digest(id="d", send_to=["me"], at="07:00")
    morning = latest_slot(digest, RIYADH, datetime(2024, 5, 29, 5, 0, tzinfo=UTC))
    evening = latest_slot(digest, RIYADH, datetime(2024, 5, 29, 18, 0, tzinfo=UTC))
    assert morning == evening
    assert previous_slot(digest, RIYADH, morning) == datetime(2024, 5, 28, 4, 0, tzinfo=UTC)
