"""Issue 13, problem 4: ``check`` catches what would silently never match.

Mistyped entity ids and lower-case operators are warnings with "did you mean"; a bare number
as a duration is an error; an empty config, a query that contradicts itself and a follow-up
only a topic could fulfil are warnings. Warnings read ``FILE:LINE: warning: …`` and change the
exit status only with ``--strict``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli
from watcher.config import check_config
from watcher.config.query import edit_distance
from watcher.errors import ConfigError

ENTITIES = """\
people:
  - {id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike"]}
  - {id: sutskever, name: Ilya Sutskever}
topics:
  - {id: superalignment, name: Superalignment}
sources:
  - {id: a, feed: "https://a.example/feed"}
"""


def _story(match: str, followups: str = "") -> str:
    return (
        f"{ENTITIES}stories:\n  - id: s\n    title: S\n    since: 2024-05-14\n"
        f"    match: '{match}'\n{followups}"
    )


def _warnings(write_config: Callable[[str], Path], text: str) -> list[str]:
    path = write_config(text)
    _config, warnings = check_config(path)
    return [w.removeprefix(f"{path}:") for w in warnings]


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (
            "leik OR superalignmnet",
            [
                "12: warning: stories[0].match, column 1: 'leik' is a word to find, not an "
                "entity: did you mean 'leike'?",
                "12: warning: stories[0].match, column 9: 'superalignmnet' is a word to find, "
                "not an entity: did you mean 'superalignment'?",
            ],
        ),
        (
            "leike and sutskever",
            [
                "12: warning: stories[0].match, column 7: 'and' is read as a word to find: did "
                "you mean the operator AND? (operators are written in capitals)"
            ],
        ),
        (
            "leike or sutskever",
            [
                "12: warning: stories[0].match, column 7: 'or' is read as a word to find: did "
                "you mean the operator OR? (operators are written in capitals)"
            ],
        ),
        (
            "leike AND not sutskever",
            [
                "12: warning: stories[0].match, column 11: 'not' is read as a word to find: did "
                "you mean the operator NOT? (operators are written in capitals)"
            ],
        ),
        (
            'leike near/5 "longer post"',
            [
                "12: warning: stories[0].match, column 7: 'near/5' is read as a word to find: "
                "did you mean the operator NEAR/5? (operators are written in capitals)"
            ],
        ),
        (
            "Sutskevr OR Leik",
            [
                "12: warning: stories[0].match, column 1: 'Sutskevr' is a word to find, not an "
                "entity: did you mean 'sutskever'?",
                "12: warning: stories[0].match, column 13: 'Leik' is a word to find, not an "
                "entity: did you mean 'leike'?",
            ],
        ),
        (
            "(leike AND resigned) AND NOT (resigned AND leike)",
            [
                "12: warning: stories[0].match, column 26: this part can never match: it asks "
                "for something and for NOT the same thing"
            ],
        ),
    ],
)
def test_query_mistakes_are_warnings_with_a_hint(
    write_config: Callable[[str], Path], match: str, expected: list[str]
) -> None:
    assert _warnings(write_config, _story(match)) == expected


@pytest.mark.parametrize(
    "match",
    [
        "leike OR sutskever OR superalignment",
        '"and" OR Leike OR leike AND safety',  # quoted, an alias as a word, a real word
        "lake OR seek OR resign*",  # short words are too often other words
        "policy AND NOT leike",
    ],
)
def test_well_written_queries_have_no_warnings(
    write_config: Callable[[str], Path], match: str
) -> None:
    assert _warnings(write_config, _story(match)) == []


def test_a_followup_only_a_topic_could_fulfil_is_a_warning(
    write_config: Callable[[str], Path],
) -> None:
    followups = "    followups:\n      - {id: f, title: F, by: [leike, superalignment]}\n"
    assert _warnings(write_config, _story("leike", followups)) == [
        "14: warning: 'superalignment' is a topic, and a topic never writes anything: this "
        "follow-up can never be fulfilled; name a person or organisation in 'by'"
    ]


def test_an_empty_config_and_one_without_stories_or_sources_are_warnings(
    write_config: Callable[[str], Path],
) -> None:
    assert _warnings(write_config, "# nothing yet\n") == [
        "1: warning: the config is empty: nothing to poll and nothing to look for (watcher "
        "init DIR writes a commented starter config)"
    ]
    assert _warnings(write_config, "timezone: UTC\n") == [
        "1: warning: no sources: nothing will be polled; add feeds under 'sources'",
        "1: warning: no stories: no item will match anything; add one under 'stories'",
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  - {id: a, feed: 'https://a.example/f', every: 30}", "sources[0].every: 30 has no unit"),
        ("fetch: {timeout: 30}", "fetch.timeout: 30 has no unit"),
        ("retention: 90", "retention: 90 has no unit"),
    ],
)
def test_a_bare_number_as_a_duration_is_an_error_with_the_units(
    write_config: Callable[[str], Path], line: str, expected: str
) -> None:
    text = f"sources:\n{line}\n" if line.startswith("  -") else f"{line}\n"
    path = write_config(text)
    with pytest.raises(ConfigError) as raised:
        check_config(path)
    (problem,) = raised.value.problems
    assert problem.startswith(f"{path}:") and expected in problem
    assert "write 30m for minutes or 30s for seconds" in problem or "90m" in problem


def test_warnings_change_the_exit_status_only_with_strict(
    write_config: Callable[[str], Path],
) -> None:
    path = write_config(_story("leik"))
    runner = CliRunner()
    plain = runner.invoke(cli, ["check", "-c", str(path)])
    assert plain.exit_code == 0
    assert f"{path}:12: warning: stories[0].match, column 1: 'leik'" in plain.stderr
    assert "OK — 3 entities, 1 story, 1 source, 0 digests, 1 warning (above)" in plain.stdout
    strict = runner.invoke(cli, ["check", "--strict", "-c", str(path)])
    assert strict.exit_code == 2


def test_run_logs_the_warnings_when_it_starts(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import watcher.schedule.daemon as daemon

    monkeypatch.setattr(daemon.Daemon, "run", lambda self: None)
    path = write_config(_story("leik"))
    result = CliRunner().invoke(cli, ["run", "-c", str(path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "warning: stories[0].match, column 1: 'leik'" in result.stderr


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("leik", "leike", 1), ("superalignmnet", "superalignment", 2), ("abc", "xyz", 3)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, limit=2) == min(distance, 3)
