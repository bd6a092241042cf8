"""Hostile configs: ``watcher check`` answers ``FILE:LINE: message`` and exit 2, never a traceback,
in bounded memory, whatever the YAML or the queries in it.

Before issue 12: a 342-byte alias bomb took 3.2 GB and 28 CPU-s to a MemoryError (line
tracking walked every alias again); a query nested 200 parentheses deep, YAML nested 990 deep
and an alias that contains itself each ended in a RecursionError traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import Project, Run
from watcher.config import parse_config
from watcher.config.load import MAX_CONFIG_BYTES
from watcher.config.query import MAX_DEPTH, Query, parse_query, walk
from watcher.errors import ConfigError
from watcher.match.explain import annotate
from watcher.match.query import Evidence, evaluate

Figures = dict[str, dict[str, Any]]
CHECK_RSS_MB = 200  # the interpreter and pydantic: ~75 MB


def _alias_bomb() -> str:
    """Nine levels of nine aliases: 342 bytes that stand for 387,420,489 strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


def _check(project: Project, text: str, figures: Figures, case: str) -> Run:
    project.config_path.write_text(text, encoding="utf-8")
    run = project.run("check", timeout=120)
    figures[f"config:{case}"] = {
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "seconds": round(run.seconds, 1),
        "exit": run.returncode,
        "message": run.stderr.strip()[:200],
    }
    assert run.returncode == 2, str(run)
    assert "Traceback" not in run.output, str(run)
    assert run.peak_rss_mb < CHECK_RSS_MB, str(run)
    return run


def test_an_alias_bomb_is_refused_at_its_line(project: Project, figures: Figures) -> None:
    text = _alias_bomb()
    assert len(text.encode()) < 400
    run = _check(project, text, figures, "alias-bomb")
    assert f"{project.config_path}:7: YAML aliases expand this to more than 1,000,000" in run.stderr


def test_an_alias_inside_its_own_anchor_is_refused(project: Project, figures: Figures) -> None:
    run = _check(project, "people: &loop\n  - *loop\n", figures, "self-alias")
    assert f"{project.config_path}:1: a YAML alias here refers to its own anchor" in run.stderr


def test_yaml_nested_990_deep_gets_a_line_not_a_traceback(
    project: Project, figures: Figures
) -> None:
    run = _check(project, "people: " + "[" * 990 + "]" * 990 + "\n", figures, "yaml-990-deep")
    assert f"{project.config_path}:1: " in run.stderr


def test_a_config_over_the_size_limit_is_refused(project: Project, figures: Figures) -> None:
    padding = "# " + "x" * 98 + "\n"
    text = "timezone: UTC\n" + padding * (MAX_CONFIG_BYTES // len(padding) + 1)
    run = _check(project, text, figures, "oversized")
    assert f"{project.config_path}:1: the config is larger than 5 MB" in run.stderr


def test_a_config_that_is_not_utf8_names_the_line(project: Project) -> None:
    project.config_path.write_bytes(b"timezone: UTC\npeople:\n  - {id: cafe, name: Caf\xe9}\n")
    run = project.run("check")
    assert run.returncode == 2, str(run)
    assert f"{project.config_path}:3: not UTF-8 (byte 0xe9" in run.stderr


QUERY_CONFIG = """\
people:
  - {{id: leike, name: Jan Leike}}
stories:
  - id: exits
    title: Exits
    since: 2024-01-01
    match: '{query}'
"""


def _column_of_nth(text: str, token: str, count: int) -> int:
    """The 1-based column of the ``count``-th ``token`` in ``text``."""
    position = -1
    for _ in range(count):
        position = text.index(token, position + 1)
    return position + 1


@pytest.mark.parametrize(
    ("query", "token"),
    [
        ("(" * 200 + "leike" + ")" * 200, "("),
        ("leike AND " + "NOT " * 200 + "x", "NOT"),
        (" NEAR/1 ".join(["leike"] * 300), "NEAR"),
    ],
    ids=["parentheses", "not", "near-chain"],
)
def test_a_query_nested_too_deep_is_a_config_error_with_line_and_column(
    project: Project, figures: Figures, query: str, token: str
) -> None:
    run = _check(project, QUERY_CONFIG.format(query=query), figures, f"deep-query-{token}")
    column = _column_of_nth(query, token, MAX_DEPTH + 1)
    expected = (
        f"{project.config_path}:7: stories[0].match: nested too deep: at most {MAX_DEPTH} "
        f"levels of parentheses, NOT and NEAR (column {column})"
    )
    assert expected in run.stderr, run.stderr


def test_lines_under_an_alias_are_the_anchors(tmp_path: Path) -> None:
    """An alias is walked once: a problem inside it is reported at its anchor (line 2)."""
    text = (
        "people:\n"
        "  - &leike\n"
        "    id: leike\n"
        "    name: Jan Leike\n"
        "    colour: blue\n"
        "topics:\n"
        "  - *leike\n"
    )
    with pytest.raises(ConfigError) as raised:
        parse_config(text, tmp_path / "watch.yaml")
    problems = "\n".join(raised.value.problems)
    assert "watch.yaml:5: unknown key 'colour' in people[0]" in problems
    assert "watch.yaml:2: unknown key 'colour' in topics[0]" in problems


# --- the deepest query the check lets through must not exhaust the stack anywhere --------------


def _deepest_queries() -> Iterator[str]:
    """Queries at the limit, each nesting the way that costs the most frames per level."""
    inner = "w0"
    for level in range(MAX_DEPTH):  # (… p OR q): an Or over an And per parenthesis
        inner = f"({inner} p{level} OR q{level})"
    yield inner
    yield "w0 AND " + "NOT " * (MAX_DEPTH - 1) + "(w1 OR w2)"
    yield " NEAR/3 ".join(f"w{n}" for n in range(MAX_DEPTH + 1))
    inner = "w0"
    for level in range(MAX_DEPTH // 2):  # a NEAR inside each parenthesis
        inner = f"((a{level} OR b{level}) NEAR/2 {inner})"
    yield inner


@contextmanager
def _stack_of(frames: int) -> Iterator[None]:
    """Only ``frames`` more Python frames than the caller already uses."""
    depth, frame = 0, sys._getframe()
    while frame.f_back is not None:
        depth, frame = depth + 1, frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.parametrize("text", list(_deepest_queries()), ids=["or-and", "not", "near", "mixed"])
def test_the_deepest_accepted_query_fits_in_a_fraction_of_the_stack(text: str) -> None:
    """Parsing, ``walk``, evaluation and ``explain``'s annotation of a query at the depth
    limit need fewer than 400 frames (Python allows 1,000; the daemon's own calls sit
    below them)."""
    query = parse_query(text, set())
    words = {phrase.text for phrase in query.phrases()}
    evidence = Evidence()
    for word in words:
        evidence.phrases[word].append(("title", 0, 1))
    steps: list[Callable[[], object]] = [
        lambda: parse_query(text, set()),
        lambda: list(walk(query.root)),
        lambda: evaluate(query.root, evidence),
        lambda: evaluate(query.root, Evidence()),
        lambda: annotate(query.root, evidence),
    ]
    with _stack_of(400):
        for step in steps:
            step()
    assert isinstance(query, Query)
