"""A follow-up's ``since`` (a day or a moment) and ``after`` (the promise's URL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.config.test_config import BASE
from watcher.config import parse_config
from watcher.errors import ConfigError

FOLLOWUP = "      - {id: post, title: Longer post, by: [altman], due: 2024-05-21}"
LINE = BASE.splitlines().index(FOLLOWUP) + 1


def followup_with(extra: str) -> str:
    return BASE.replace(FOLLOWUP, FOLLOWUP.replace("due: 2024-05-21", extra))


@pytest.mark.parametrize(
    ("written", "since"),
    [
        ("2024-05-17", date(2024, 5, 17)),
        ("2024-05-17T19:00:00Z", datetime(2024, 5, 17, 19, tzinfo=UTC)),
        (
            "2024-05-17T22:00:00+03:00",
            datetime(2024, 5, 17, 22, tzinfo=timezone(timedelta(hours=3))),
        ),
        ("2024-05-17 22:00:00", datetime(2024, 5, 17, 22)),  # in the config's time zone
        ('"2024-05-17T22:00"', datetime(2024, 5, 17, 22)),  # a string YAML leaves alone
    ],
)
def test_since_is_a_day_or_a_moment(written: str, since: date) -> None:
    config = parse_config(followup_with(f"since: {written}"), Path("watch.yaml"))
    assert config.stories[0].followups[0].since == since


def test_after_names_the_promise() -> None:
    url = "https://x.com/sama/status/1791543264090472660"
    config = parse_config(followup_with(f'after: "{url}"'), Path("watch.yaml"))
    assert config.stories[0].followups[0].after == url


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "since: next week",
            f"watch.yaml:{LINE}: stories[0].followups[0].since: 'next week' is neither a date "
            "nor a moment: write a day like 2024-05-17, or a moment like 2024-05-17T19:00:00Z",
        ),
        (
            "since: 2024-05-32",
            f"watch.yaml:{LINE}: invalid YAML: '2024-05-32' is not a real date or time (day is "
            "out of range for month)",
        ),
        (
            "since: 2024-05-17T24:30:00Z",
            f"watch.yaml:{LINE}: invalid YAML: '2024-05-17T24:30:00Z' is not a real date or time",
        ),
        (
            "after: x.com/sama/status/1",
            f"watch.yaml:{LINE}: stories[0].followups[0].after: 'x.com/sama/status/1' is not an "
            "http(s) URL",
        ),
    ],
)
def test_a_wrong_since_or_after_names_its_line(extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(followup_with(extra), Path("watch.yaml"))
    assert caught.value.problems[0].startswith(expected), caught.value.problems
