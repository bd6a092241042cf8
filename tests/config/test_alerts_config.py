"""The alerts and Apprise channels in the config: checked with their lines, the environment
and Apprise itself (without sending anything)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from watcher.config import Config, load_config
from watcher.config.channels import channel_problems
from watcher.errors import ConfigError
from watcher.jobs.alert_hits import quiet_until

BASE = """\
timezone: Asia/Riyadh
stories:
  - {id: s, title: S, since: 2024-01-01, match: x}
channels:
  - {id: hook, webhook: "https://hooks.example/x"}
  - {id: phone, apprise: "ntfy://ntfy.example/watcher"}
  - {id: tg, url_env: WATCHER_TEST_TG_URL}
"""


def _problems(write_config: Callable[[str], Path], alerts: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config(write_config(BASE + alerts))
    return raised.value.problems


def test_a_valid_alert_and_its_defaults(make_config: Callable[[str], Config]) -> None:
    config = make_config(
        BASE
        + "alerts:\n  - {id: a, when: followup, send_to: [hook, phone], quiet_hours: '23:00-7:00'}\n"
    )
    [alert] = config.alerts
    assert alert.when == ["followup"] and alert.stories is None and alert.max_per_hour is None
    assert alert.max_age.days == 7
    assert [t.isoformat() for t in alert.quiet_span() or ()] == ["23:00:00", "07:00:00"]


@pytest.mark.parametrize(
    ("alert", "message"),
    [
        ("{id: a, on: [followup], send_to: [hook]}", ":9: alerts[0]: the key is 'when', not 'on'"),
        ("{id: a, when: [stories], send_to: [hook]}", ":9: alerts[0].when[0]: Input should be"),
        (
            "{id: a, when: [story], send_to: [hok]}",
            ":9: unknown channel 'hok'; did you mean 'hook'?",
        ),
        ("{id: a, when: [story], send_to: [hook], stories: [t]}", ":9: unknown story 't'"),
        ("{id: a, when: [story], send_to: [hook], quiet_hours: '7-9'}", "is not a span of hours"),
        ("{id: a, when: [story], send_to: [hook], max_per_hour: 0}", "max_per_hour"),
    ],
)
def test_alert_mistakes_are_config_errors_at_their_line(
    write_config: Callable[[str], Path], alert: str, message: str
) -> None:
    problems = _problems(write_config, f"alerts:\n  - {alert}\n")
    assert any(message in problem for problem in problems), problems


def test_apprise_urls_are_checked_by_apprise_and_url_env_by_the_environment(
    write_config: Callable[[str], Path],
) -> None:
    pytest.importorskip("apprise")
    path = write_config(BASE.replace("ntfy://ntfy.example/watcher", "nope://x"))
    config = load_config(path)

    assert channel_problems(config, {}) == [
        f"{path}:6: Apprise does not accept this URL (scheme nope://): see the Apprise wiki for "
        "the form of each service's URL",
        f"{path}:7: the environment variable WATCHER_TEST_TG_URL (channel tg's Apprise URL) is "
        "not set: export it where watcher runs (a systemd EnvironmentFile, a container secret), "
        "or remove the setting",
    ]
    assert channel_problems(config, {"WATCHER_TEST_TG_URL": "tgram://123456:abcdef/789"})[1:] == []
    bad_env = channel_problems(config, {"WATCHER_TEST_TG_URL": "nope://token"})
    assert len(bad_env) == 2 and "token" not in bad_env[1]


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ("{id: c, apprise: 'json://x', webhook: 'https://x.example'}", "give exactly one of"),
        ("{id: c, apprise: 'json://x', url_env: X_URL}", "in 'apprise' or in 'url_env', not both"),
        ("{id: c, apprise: 'json://x', secret_env: X_SECRET}", "'secret_env' signs webhooks"),
    ],
)
def test_a_channel_is_one_kind(
    write_config: Callable[[str], Path], channel: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write_config(BASE + f"  - {channel}\n"))
    assert any(message in problem for problem in raised.value.problems), raised.value.problems


RIYADH = ZoneInfo("Asia/Riyadh")


@pytest.mark.parametrize(
    ("span", "now", "until"),
    [
        ("23:00-07:00", datetime(2024, 5, 29, 20, 30, tzinfo=UTC), datetime(2024, 5, 30, 4, 0, tzinfo=UTC)),
        ("23:00-07:00", datetime(2024, 5, 30, 1, 0, tzinfo=UTC), datetime(2024, 5, 30, 4, 0, tzinfo=UTC)),
        ("23:00-07:00", datetime(2024, 5, 30, 4, 0, tzinfo=UTC), None),
        ("23:00-07:00", datetime(2024, 5, 29, 12, 0, tzinfo=UTC), None),
        ("12:00-14:00", datetime(2024, 5, 29, 9, 30, tzinfo=UTC), datetime(2024, 5, 29, 11, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_quiet_hours_hold_until_they_end_in_the_configs_zone(
    make_config: Callable[[str], Config], span: str, now: datetime, until: datetime | None
) -> None:
    config = make_config(
        BASE + f"alerts:\n  - {{id: a, when: [story], send_to: [hook], quiet_hours: '{span}'}}\n"
    )
    assert quiet_until(config.alerts[0], now, RIYADH) == (until or now)
