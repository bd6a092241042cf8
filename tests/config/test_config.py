"""The config loader: the bundled config is valid; each broken config names its line and problem."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from watcher.config import Config, config_path, load_config, parse_config, parse_duration
from watcher.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

BASE = """\
timezone: Asia/Riyadh
people:
  - id: altman
    name: Sam Altman
    aliases: ["Sam Altman", "Altman"]
organizations:
  - {id: openai, name: OpenAI}
stories:
  - id: exits
    title: Exits
    since: 2024-05-14
    match: 'altman AND openai'
    followups:
      - {id: post, title: Longer post, by: [altman], due: 2024-05-21}
sources:
  - {id: news, feed: "https://openai.com/news/rss.xml", owner: openai}
channels:
  - {id: me, email: ["me@example.com"]}
  - {id: hook, webhook: "https://hooks.example.com/w", secret_env: HOOK_SECRET}
smtp: {host: localhost, sender: "Watcher <watcher@example.com>", password_env: SMTP_PASSWORD}
digests:
  - {id: daily, at: "07:00", stories: [exits], send_to: [me, hook]}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(textwrap.dedent(text), Path("watch.yaml"))
    return caught.value.problems


def test_the_bundled_config_is_valid() -> None:
    config = load_config(REPO / "config" / "watch.yaml")
    assert {"altman", "leike", "sutskever", "openai", "superalignment"} <= {
        e.id for e in config.entities
    }
    story = config.story("openai-safety-exits")
    assert story.since == date(2024, 5, 14)
    assert "altman-longer-post" in {f.id for f in story.followups}
    assert any(s.kind == "archive" for s in config.sources)


def test_the_starter_config_is_valid() -> None:
    assert load_config(REPO / "config" / "starter.yaml").sources


def test_the_base_config_is_valid_and_defaults_fill_in() -> None:
    config = parse_config(BASE, Path("watch.yaml"))
    assert config.organizations[0].aliases == ["OpenAI"]
    assert config.organizations[0].kind == "organization"
    assert config.source_interval(config.sources[0]) == timedelta(hours=1)
    assert config.channel("hook").kind == "webhook"


BROKEN = [
    pytest.param(
        BASE.replace("    aliases:", "    alias:"),
        "watch.yaml:5: unknown key 'alias' in people[0]; did you mean 'aliases'?",
        id="unknown-key-with-hint",
    ),
    pytest.param(
        BASE.replace("timezone: Asia/Riyadh", "timezone: Mars/Olympus"),
        "watch.yaml:1: unknown time zone 'Mars/Olympus': use an IANA name like Asia/Riyadh",
        id="bad-timezone",
    ),
    pytest.param(
        BASE.replace("{id: openai, name: OpenAI}", "{id: altman, name: OpenAI}").replace(
            "altman AND openai", "altman"
        ),
        "watch.yaml:7: id 'altman' is used twice in organizations; ids must be unique",
        id="duplicate-entity-id-across-sections",
    ),
    pytest.param(
        BASE.replace("by: [altman]", "by: [altmann]"),
        "watch.yaml:14: unknown person or organisation 'altmann'; did you mean 'altman'?",
        id="unknown-followup-author",
    ),
    pytest.param(
        BASE.replace("owner: openai", "owner: open-ai"),
        "watch.yaml:16: unknown person or organisation 'open-ai'; did you mean 'openai'?",
        id="unknown-source-owner",
    ),
    pytest.param(
        BASE.replace("send_to: [me, hook]", "send_to: [me, slack]"),
        "watch.yaml:22: unknown channel 'slack' (known: hook, me)",
        id="unknown-channel",
    ),
    pytest.param(
        BASE.replace("stories: [exits]", "stories: [exit]"),
        "watch.yaml:22: unknown story 'exit'; did you mean 'exits'?",
        id="unknown-story",
    ),
    pytest.param(
        BASE.replace("password_env: SMTP_PASSWORD", "password: hunter2"),
        "watch.yaml:20: 'password' is not allowed: secrets never go in the config. Put it in an "
        "environment variable and give its name with 'password_env'",
        id="inline-secret",
    ),
    pytest.param(
        BASE.replace(
            'feed: "https://openai.com/news/rss.xml"',
            'feed: "https://openai.com/news/rss.xml", every: soon',
        ),
        "watch.yaml:16: sources[0].every: 'soon' is not a duration: write it like 30m, 2h, 1d or 1w",
        id="bad-duration",
    ),
    pytest.param(
        BASE.replace('at: "07:00"', 'at: "7pm"'),
        "watch.yaml:22: digests[0].at: '7pm' is not a time of day: write it as HH:MM, like 07:00",
        id="bad-time-of-day",
    ),
    pytest.param(
        BASE.replace(
            '{id: news, feed: "https://openai.com/news/rss.xml", owner: openai}', "{id: news}"
        ),
        "watch.yaml:16: sources[0]: give exactly one of 'feed' (a URL), 'archive' (like "
        "x.com/HANDLE) or 'search' (a news search)",
        id="source-without-feed",
    ),
    pytest.param(
        BASE.replace('email: ["me@example.com"]', 'email: ["me at example"]'),
        "watch.yaml:18: channels[0].email[0]: 'me at example' is not a valid email address",
        id="bad-email",
    ),
    pytest.param(
        BASE.replace('at: "07:00"', 'cron: "61 7 * * *"'),
        "watch.yaml:22: digests[0].cron: '61 7 * * *' is not a cron expression",
        id="bad-cron",
    ),
    pytest.param(
        BASE.replace("    name: Sam Altman\n", ""),
        "watch.yaml:3: people[0].name is required",
        id="missing-name",
    ),
    pytest.param(
        BASE.replace("timezone: Asia/Riyadh", "timezone: Asia/Riyadh\ntimezone: UTC"),
        "watch.yaml:2: 'timezone' is given twice; keep one",
        id="duplicate-key",
    ),
    pytest.param(
        BASE.replace("  - id: altman\n    name: Sam Altman", "  - id: altman\n   name: Sam Altman"),
        "watch.yaml:4: invalid YAML",
        id="bad-indentation",
    ),
    pytest.param(
        BASE.replace("'altman AND openai'", "'altman AND (openai'"),
        "watch.yaml:12: stories[0].match:",
        id="bad-query",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_broken_configs_name_the_line_and_the_problem(text: str, expected: str) -> None:
    problems = _problems(text)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_every_problem_is_reported_at_once_schema_and_references_alike() -> None:
    text = (
        BASE.replace("by: [altman]", "by: [nobody]")
        .replace("owner: openai", "owner: nobody")
        .replace("    aliases:", "    alias:")
    )
    problems = _problems(text)
    assert [p.split(":")[1] for p in problems] == ["5", "14", "16"]


def test_a_query_error_gives_its_column() -> None:
    (problem,) = _problems(BASE.replace("'altman AND openai'", "'altman AND (openai'"))
    assert "(column " in problem


def test_database_url_from_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    text = BASE + "database: sqlite:///here.db\n"
    config = parse_config(text, Path("/srv/w/watch.yaml"))
    assert config.database_url == "sqlite:////srv/w/here.db"
    monkeypatch.setenv("WATCHER_DATABASE_URL", "postgresql+psycopg://db/w")
    assert config.database_url == "sqlite:////srv/w/here.db"  # read once, when it loaded
    assert parse_config(text, Path("/srv/w/watch.yaml")).database_url == "postgresql+psycopg://db/w"


def test_default_database_lives_in_the_data_directory(tmp_path: Path) -> None:
    config = parse_config(BASE, Path("watch.yaml"))
    assert config.database_url == f"sqlite:///{tmp_path / 'data' / 'watcher.db'}"


def test_config_path_prefers_option_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_CONFIG", "/etc/watcher.yaml")
    assert config_path("mine.yaml") == Path("mine.yaml")
    assert config_path(None) == Path("/etc/watcher.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        (timedelta(seconds=90), timedelta(seconds=90)),  # from code, as it is
    ],
)
def test_durations(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_a_bare_number_is_not_a_duration() -> None:
    with pytest.raises(ValueError, match="write 30m for minutes or 30s for seconds"):
        parse_duration(30)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config"):
        load_config(tmp_path / "absent.yaml")


def test_an_empty_file_is_a_valid_empty_config(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert isinstance(load_config(path), Config)
