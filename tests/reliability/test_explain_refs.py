"""``watcher explain`` with a bad reference: a clean error and exit status, never a traceback.

Before issue 12, ``explain ²`` (a digit to ``str.isdigit`` that ``int`` refuses) and
``explain 99999999999999999999`` (too large for SQLite's integer) printed tracebacks. A
malformed id is a usage error (exit 2); a well-formed one that names nothing is exit 1.
"""

from __future__ import annotations

import pytest

from tests.reliability.harness import Project

CONFIG = """\
people:
  - {id: leike, name: Jan Leike}
stories:
  - {id: exits, title: Exits, since: 2024-01-01, match: leike}
"""


@pytest.mark.parametrize(
    ("ref", "code", "message"),
    [
        ("²", 2, "'²' is not an item id"),
        ("99999999999999999999", 2, "'99999999999999999999' is not an item id"),
        ("٣", 2, "is not an item id"),
        ("a\x01b", 2, "is not an item id, key or URL"),
        ("", 2, "is not an item id, key or URL"),
        ("12345", 1, "no stored item has the id, key or URL '12345'"),
        ("http://[", 1, "no stored item has the id, key or URL"),
        ("https://news.example/none", 1, "no stored item has the id, key or URL"),
    ],
    ids=["superscript", "huge", "arabic-digit", "control", "empty", "absent", "bad-url", "url"],
)
def test_a_bad_or_unknown_reference_is_a_clean_error(
    project: Project, ref: str, code: int, message: str
) -> None:
    project.write(CONFIG)
    run = project.run("explain", ref)
    assert run.returncode == code, str(run)
    assert "Traceback" not in run.output, str(run)
    assert message in run.stderr, run.stderr
