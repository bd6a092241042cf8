"""Sources inserted into a config file as text (``watcher.config.edit``): nothing else moves."""

from __future__ import annotations

import difflib
import textwrap
from pathlib import Path

import pytest
import yaml

from watcher.config import parse_config
from watcher.config.edit import NewSource, add_sources, add_sources_to_file, source_id
from watcher.errors import ConfigError

NEW = [
    NewSource("wired-ai", "https://www.wired.com/feed/tag/ai/latest/rss", 'WIRED "AI"'),
    NewSource("123", "https://example.org/feed?a=1&b=2"),
]
HEAD = """\
# watcher: a test config
timezone: UTC   # zone
people:
  - {id: leike, name: Jan Leike}
"""


def _inserted_only(before: str, after: str) -> list[str]:
    """The lines ``after`` added, asserting that every line of ``before`` is kept, in order."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    assert {tag for tag, *_ in opcodes} <= {"equal", "insert"}, opcodes
    return [line for tag, _, _, j1, j2 in opcodes if tag == "insert" for line in new[j1:j2]]


def _sources(text: str) -> list[tuple[str, str | None, str | None]]:
    config = parse_config(text, Path("watch.yaml"))
    return [(s.id, s.feed, s.name) for s in config.sources]


EXPECTED = [
    ("wired-ai", "https://www.wired.com/feed/tag/ai/latest/rss", 'WIRED "AI"'),
    ("123", "https://example.org/feed?a=1&b=2", None),
]


@pytest.mark.parametrize(
    ("before", "added"),
    [
        pytest.param(
            HEAD
            + """\
sources:
  # Owned sources
  - {id: openai-news, feed: "https://openai.com/news/rss.xml", owner: leike}   # theirs
  - {id: bbc, feed: 'https://feeds.bbci.co.uk/news/technology/rss.xml'}
  # - {id: disabled, feed: "https://old.example/feed"}

channels: []   # none yet
""",
            [
                '  - {id: wired-ai, feed: "https://www.wired.com/feed/tag/ai/latest/rss", '
                'name: "WIRED \\"AI\\""}\n',
                '  - {id: "123", feed: "https://example.org/feed?a=1&b=2"}\n',
            ],
            id="block list of flow mappings, comments around",
        ),
        pytest.param(
            HEAD
            + """\
sources:
    -   id: openai-news
        feed: https://openai.com/news/rss.xml
        every: 30m   # often
# the end
""",
            [
                "    -   id: wired-ai\n",
                '        feed: "https://www.wired.com/feed/tag/ai/latest/rss"\n',
                '        name: "WIRED \\"AI\\""\n',
                '    -   id: "123"\n',
                '        feed: "https://example.org/feed?a=1&b=2"\n',
            ],
            id="block list of block mappings, four-space indentation",
        ),
        pytest.param(
            HEAD + "sources:   # nothing yet\ndigests: []\n",
            [
                '  - {id: wired-ai, feed: "https://www.wired.com/feed/tag/ai/latest/rss", '
                'name: "WIRED \\"AI\\""}\n',
                '  - {id: "123", feed: "https://example.org/feed?a=1&b=2"}\n',
            ],
            id="an empty sources key",
        ),
        pytest.param(
            HEAD + "# no sources yet\n",
            [
                "sources:\n",
                '  - {id: wired-ai, feed: "https://www.wired.com/feed/tag/ai/latest/rss", '
                'name: "WIRED \\"AI\\""}\n',
                '  - {id: "123", feed: "https://example.org/feed?a=1&b=2"}\n',
            ],
            id="no sources key",
        ),
        pytest.param(
            "people:\n- {id: leike, name: Jan Leike}\nsources:\n- {id: a, feed: 'https://a.org/f'}",
            [
                "\n",
                '- {id: wired-ai, feed: "https://www.wired.com/feed/tag/ai/latest/rss", '
                'name: "WIRED \\"AI\\""}\n',
                '- {id: "123", feed: "https://example.org/feed?a=1&b=2"}\n',
            ],
            id="indentless lists, no final line break",
        ),
    ],
)
def test_new_sources_are_inserted_and_every_old_line_is_kept(before: str, added: list[str]) -> None:
    after = add_sources(before, NEW)
    if not before.endswith("\n"):  # the last line gains its line break: compare it without
        inserted = _inserted_only(before + "\n", after)
        assert inserted == added[1:]
    else:
        assert _inserted_only(before, after) == added
    old_ids = [source["id"] for source in (yaml.safe_load(before) or {}).get("sources") or []]
    assert _sources(after) == [(i, *_feed_and_name(before, i)) for i in old_ids] + EXPECTED


def _feed_and_name(text: str, source_id: str) -> tuple[str, str | None]:
    source = next(s for s in yaml.safe_load(text)["sources"] if s["id"] == source_id)
    return source["feed"], source.get("name")


def test_a_flow_list_on_one_line_gets_the_new_entries_in_line() -> None:
    before = HEAD + 'sources: [{id: a, feed: "https://a.org/f"}]   # one line\nchannels: []\n'
    after = add_sources(before, NEW)
    assert after == before.replace(
        '"https://a.org/f"}]',
        '"https://a.org/f"}, {id: wired-ai, feed: "https://www.wired.com/feed/tag/ai/latest/rss", '
        'name: "WIRED \\"AI\\""}, {id: "123", feed: "https://example.org/feed?a=1&b=2"}]',
    )
    assert [s[0] for s in _sources(after)] == ["a", "wired-ai", "123"]


def test_a_flow_list_one_entry_a_line_keeps_that_shape() -> None:
    before = HEAD + textwrap.dedent(
        """\
        sources: [
          {id: a, feed: "https://a.org/f"},
          {id: b, feed: "https://b.org/f"}   # b
        ]
        """
    )
    after = add_sources(before, NEW[1:])
    assert after == before.replace(
        '"https://b.org/f"}   # b\n',
        '"https://b.org/f"},   # b\n  {id: "123", feed: "https://example.org/feed?a=1&b=2"}\n',
    )
    assert [s[0] for s in _sources(after)] == ["a", "b", "123"]


def test_an_empty_flow_list_and_windows_line_breaks() -> None:
    assert add_sources("sources: []\n", NEW[1:]) == (
        'sources: [{id: "123", feed: "https://example.org/feed?a=1&b=2"}]\n'
    )
    before = "timezone: UTC\r\nsources:\r\n  - {id: a, feed: 'https://a.org/f'}\r\nx: 1\r\n"
    after = add_sources(before, NEW[1:])
    assert after == before.replace(
        "\r\nx: 1", '\r\n  - {id: "123", feed: "https://example.org/feed?a=1&b=2"}\r\nx: 1'
    )


def test_an_edit_that_would_not_load_is_refused_and_the_file_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "watch.yaml"
    original = HEAD + "sources:\n  - {id: a, feed: 'https://a.org/f'}\n"
    path.write_bytes(original.encode())
    with pytest.raises(ConfigError, match=r"watch\.yaml:\d+: .*'not an id' is not a valid id"):
        add_sources_to_file(path, [NewSource("not an id", "https://b.org/f")])
    assert path.read_bytes() == original.encode()
    add_sources_to_file(path, [NewSource("b", "https://b.org/f")])
    assert path.read_text().startswith(original)


def test_the_bundled_config_is_never_edited() -> None:
    from watcher.resources import bundled

    with pytest.raises(ConfigError, match="bundled config"):
        add_sources_to_file(bundled("config/watch.yaml"), NEW)


@pytest.mark.parametrize(
    ("title", "url", "taken", "expected"),
    [
        ("WIRED – AI", "https://www.wired.com/feed", set(), "wired-ai"),
        ("WIRED – AI", "https://www.wired.com/feed", {"wired-ai", "wired-ai-2"}, "wired-ai-3"),
        ("Ça va, l'été ?", "https://example.fr/rss", set(), "ca-va-l-ete"),
        ("الجزيرة نت", "https://www.aljazeera.net/rss", set(), "aljazeera-net"),
        (None, "http://127.0.0.1:8080/feed", set(), "127-0-0-1"),
        ("!!!", "not a url", set(), "feed"),
        ("A" * 30 + " " + "B" * 30, "https://x.org/", set(), "a" * 30),
    ],
)
def test_ids_are_ascii_slugs_of_the_title_else_the_host_and_unique(
    title: str | None, url: str, taken: set[str], expected: str
) -> None:
    assert source_id(title, url, set(taken)) == expected
