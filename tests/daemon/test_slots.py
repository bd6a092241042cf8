"""Digest slots in the config's time zone: once per slot, DST included, weekdays as cron counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from watcher.config import Digest, parse_config
from watcher.digest.period import digest_expression, latest_slot
from watcher.errors import ConfigError
from watcher.schedule.slots import SlotTrigger

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
RIYADH = ZoneInfo("Asia/Riyadh")


def fires(expression: str, tz: ZoneInfo, start: datetime, count: int) -> list[str]:
    """The trigger's next ``count`` fire times from ``start``, in UTC, as APScheduler asks."""
    trigger, times, previous = SlotTrigger(expression, tz), [], None
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, start)
        times.append(f"{previous.astimezone(UTC):%m-%d %H:%M}")
    return times


@pytest.mark.parametrize(
    ("expression", "tz", "start", "expected"),
    [
        # 02:30 does not exist on 29 March in Berlin: it runs once, at 03:00 CEST.
        ("30 2 * * *", BERLIN, datetime(2026, 3, 28, 12, tzinfo=UTC),
         ["03-29 01:00", "03-30 00:30", "03-31 00:30"]),
        # 02:30 happens twice on 25 October in Berlin: it runs once, the first time.
        ("30 2 * * *", BERLIN, datetime(2026, 10, 24, 12, tzinfo=UTC),
         ["10-25 00:30", "10-26 01:30", "10-27 01:30"]),
        ("30 1 * * *", NEW_YORK, datetime(2026, 10, 31, 12, tzinfo=UTC),
         ["11-01 05:30", "11-02 06:30"]),
        # 07:00 local stays 07:00 local: the UTC time moves with the clocks.
        ("0 7 * * *", BERLIN, datetime(2026, 3, 28, 12, tzinfo=UTC), ["03-29 05:00", "03-30 05:00"]),
        # Every 15 minutes through the repeated hour: forwards only, none skipped, none twice.
        ("*/15 * * * *", BERLIN, datetime(2026, 10, 25, 0, 40, tzinfo=UTC),
         ["10-25 00:45", "10-25 01:00", "10-25 01:15", "10-25 01:30"]),
        # Weekdays count from Sunday = 0 as in cron (APScheduler 3 would say Tuesday for 1).
        ("0 7 * * 1", RIYADH, datetime(2026, 3, 25, tzinfo=UTC), ["03-30 04:00", "04-06 04:00"]),
        ("0 7 * * 0", RIYADH, datetime(2026, 3, 25, tzinfo=UTC), ["03-29 04:00"]),
        ("0 7 * * 7", RIYADH, datetime(2026, 3, 25, tzinfo=UTC), ["03-29 04:00"]),
        ("0 9 * * 1-5", RIYADH, datetime(2026, 3, 27, 12, tzinfo=UTC),
         ["03-30 06:00", "03-31 06:00"]),
    ],
)  # fmt: skip
def test_trigger_fires_once_per_slot(expression, tz, start, expected) -> None:
    assert fires(expression, tz, start, len(expected)) == expected


def test_a_trigger_started_exactly_at_a_slot_fires_at_that_slot() -> None:
    slot = datetime(2026, 3, 30, 5, 0, tzinfo=UTC)
    assert SlotTrigger("0 7 * * *", BERLIN).get_next_fire_time(None, slot) == slot


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 30, 5, 0, tzinfo=UTC), datetime(2026, 3, 30, 5, 0, tzinfo=UTC)),
        (datetime(2026, 3, 30, 4, 59, 59, 999999, tzinfo=UTC), datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 4, 0, tzinfo=UTC), datetime(2026, 3, 28, 6, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_latest_slot_is_at_or_before_now_in_utc(now: datetime, expected: datetime) -> None:
    digest = Digest(id="daily", at="07:00", send_to=["me"])
    slot = latest_slot(digest, BERLIN, now)
    assert slot == expected
    assert slot.tzinfo is UTC


def test_latest_slot_and_trigger_agree_across_a_year_of_dst() -> None:
    """Every time the trigger fires, the period it sends ends at that very time."""
    digest = Digest(id="d", cron="30 2 * * *", send_to=["me"])
    trigger = SlotTrigger(digest_expression(digest), BERLIN)
    fire = None
    for _ in range(366):
        fire = trigger.get_next_fire_time(fire, datetime(2026, 1, 1, tzinfo=UTC))
        assert latest_slot(digest, BERLIN, fire) == fire
        assert latest_slot(digest, BERLIN, fire + timedelta(hours=1)) == fire


@pytest.mark.parametrize(
    ("digest", "expression"),
    [
        (Digest(id="d", send_to=["me"]), "0 7 * * *"),
        (Digest(id="d", at="18:05", send_to=["me"]), "5 18 * * *"),
        (Digest(id="d", cron="0 8 * * mon", send_to=["me"]), "0 8 * * mon"),
    ],
)
def test_digest_expressions(digest: Digest, expression: str) -> None:
    assert digest_expression(digest) == expression


def test_a_bad_cron_is_refused_when_the_config_loads() -> None:
    text = "channels: [{id: me, webhook: 'https://h.example/w'}]\n" + (
        "digests: [{id: weekly, cron: '0 7 * * funday', send_to: [me]}]\n"
    )
    with pytest.raises(
        ConfigError, match=re.escape("watch.yaml:2: digests[0].cron: '0 7 * * funday'")
    ):
        parse_config(text, Path("watch.yaml"))
