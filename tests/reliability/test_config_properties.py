"""Property: whatever YAML a user writes, loading it either succeeds or names a line."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watcher.config import Config, parse_config
from watcher.errors import ConfigError

PROBLEM = re.compile(r"^watch\.yaml:\d+: .+")

KEYS = st.sampled_from(
    [
        "timezone",
        "people",
        "sources",
        "stories",
        "digests",
        "channels",
        "smtp",
        "id",
        "name",
        "aliases",
        "feed",
        "archive",
        "match",
        "since",
        "every",
        "by",
        "send_to",
        "fetch",
        "bogus",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.text(max_size=12),
    st.sampled_from(
        ["x.com/sama", "https://a.example/f", "30m", "07:00", "2024-05-14", "a AND (b"]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)


def _load(text: str) -> None:
    try:
        assert isinstance(parse_config(text, Path("watch.yaml")), Config)
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert PROBLEM.match(problem), problem


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_random_structures_load_or_name_a_line(data: dict[str, object]) -> None:
    _load(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_loads_or_names_a_line(text: str) -> None:
    _load(text)
