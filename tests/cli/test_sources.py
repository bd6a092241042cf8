"""`watcher sources add / import / export` on a config file with comments, against 127.0.0.1.

Whatever they add, every line already in the file stays byte for byte as it was, and the file
still passes `watcher check`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer

from tests.parse.test_discover import RSS, SITE_PAGE
from watcher.cli import cli
from watcher.config import load_config
from watcher.parse.opml import parse_opml

CONFIG = """\
# A config someone wrote by hand.
timezone: Asia/Riyadh        # digest times

people:
  - id: leike
    name: Jan Leike
    aliases: ['Jan Leike', "Leike", يان لايكه]

sources:
  # Owned sources: what they publish is *by* their owner.
  - {id: leike-substack, feed: "https://aligned.substack.com/feed", owner: leike}
  - {id: wired-ai, feed: 'https://www.wired.com/feed/tag/ai/latest/rss', every: 30m}   # often
  # Arabic outlets come next.

# channels and digests later
"""
OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Reader export</title></head><body>
  <outline text="Tech">
    <outline type="rss" text="WIRED AI" xmlUrl="https://WWW.wired.com/feed/tag/ai/latest/rss?utm_source=opml"/>
    <outline type="rss" text="The Verge – AI" xmlUrl="https://www.theverge.com/rss/ai-artificial-intelligence/index.xml"/>
  </outline>
  <outline type="rss" text="الجزيرة نت" xmlUrl="https://www.aljazeera.net/aljazeerarss/a7c186be/rss"/>
  <outline type="rss" text="The Verge – AI" xmlUrl="https://www.theverge.com/rss/ai-artificial-intelligence/index.xml"/>
</body></opml>
"""


def _run(config: Path, *args: str, code: int = 0) -> Result:
    """Run a command; a user's error (a WatcherError: main prints it) exits with ``code``."""
    result = CliRunner().invoke(cli, ["-c", str(config), *args])
    assert result.exit_code == code, result.output
    return result


def _kept_and_added(before: str, after: str) -> list[str]:
    """The lines inserted into ``before``: ``after`` is ``before`` with only those added."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    added = []
    for line in new:
        if old and line == old[0]:
            old.pop(0)
        else:
            added.append(line)
    assert old == [], "a line of the original file was changed or lost"
    return added


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "watch.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def site(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/").respond_with_data(SITE_PAGE, content_type="text/html")
    httpserver.expect_request("/comments/feed/").respond_with_data(RSS.format(title="Comments"))
    httpserver.expect_request("/feed/").respond_with_data(
        RSS.format(title="The Daily Circuit"), content_type="application/rss+xml"
    )
    return httpserver


def test_add_finds_a_sites_feed_and_inserts_it_keeping_every_line(
    config: Path, site: HTTPServer
) -> None:
    result = _run(config, "sources", "add", site.url_for("/"))

    feed = site.url_for("/feed/")
    assert result.output == f'added source the-daily-circuit: {feed} ("The Daily Circuit")\n'
    after = config.read_text(encoding="utf-8")
    assert _kept_and_added(CONFIG, after) == [
        f'  - {{id: the-daily-circuit, feed: "{feed}", name: "The Daily Circuit"}}\n'
    ]
    assert after.index("the-daily-circuit") < after.index("# Arabic outlets")
    assert "OK — 1 entity, 0 stories, 3 sources" in _run(config, "check").output
    listed = [
        json.loads(line)["id"] for line in _run(config, "sources", "--json").output.splitlines()
    ]
    assert sorted(listed) == ["leike-substack", "the-daily-circuit", "wired-ai"]


def test_a_feed_already_configured_is_reported_and_nothing_changes(
    config: Path, site: HTTPServer
) -> None:
    _run(config, "sources", "add", site.url_for("/feed/"), "--id", "circuit")
    edited = config.read_bytes()
    again = _run(config, "sources", "add", site.url_for("/"))
    assert (
        again.output
        == f"{site.url_for('/feed/')} is already configured as source circuit; nothing changed\n"
    )
    known = _run(config, "sources", "add", "https://www.WIRED.com/feed/tag/ai/latest/rss#top")
    assert "already configured as source wired-ai" in known.output
    assert config.read_bytes() == edited


def test_a_taken_id_or_an_address_without_a_feed_is_an_error_and_changes_nothing(
    config: Path, httpserver: HTTPServer
) -> None:
    taken = _run(config, "sources", "add", httpserver.url_for("/x"), "--id", "wired-ai", code=1)
    assert "there is already a source wired-ai" in str(taken.exception)
    httpserver.expect_request("/page").respond_with_data(
        "<html><body>No feed here</body></html>", content_type="text/html"
    )
    missing = _run(config, "sources", "add", httpserver.url_for("/page"), code=1)
    assert f"no feed found at or from {httpserver.url_for('/page')}; tried" in str(
        missing.exception
    )
    assert config.read_text(encoding="utf-8") == CONFIG


def test_import_adds_the_new_feeds_and_skips_what_is_configured(
    config: Path, tmp_path: Path
) -> None:
    opml = tmp_path / "reader.opml"
    opml.write_text(OPML, encoding="utf-8")

    result = _run(config, "sources", "import", str(opml))

    assert result.output == "imported 2 feeds, skipped 2 already configured\n"
    assert _kept_and_added(CONFIG, config.read_text(encoding="utf-8")) == [
        "  - {id: the-verge-ai, feed: "
        '"https://www.theverge.com/rss/ai-artificial-intelligence/index.xml", '
        'name: "The Verge – AI"}\n',
        '  - {id: aljazeera-net, feed: "https://www.aljazeera.net/aljazeerarss/a7c186be/rss", '
        'name: "الجزيرة نت"}\n',
    ]
    assert "OK — 1 entity, 0 stories, 4 sources" in _run(config, "check").output


def test_import_refuses_a_file_that_is_not_opml(config: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "feeds.opml"
    bogus.write_text("<rss/>", encoding="utf-8")
    result = _run(config, "sources", "import", str(bogus), code=1)
    assert f"{bogus}: not an OPML file" in str(result.exception)
    assert config.read_text(encoding="utf-8") == CONFIG


def test_export_then_import_into_another_config_round_trips_the_feeds(
    config: Path, tmp_path: Path
) -> None:
    exported = _run(config, "sources", "export").output
    assert exported.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<opml version=\"2.0\">")
    assert [(f.title, f.xml_url) for f in parse_opml(exported.encode())] == [
        ("leike-substack", "https://aligned.substack.com/feed"),
        ("wired-ai", "https://www.wired.com/feed/tag/ai/latest/rss"),
    ]
    opml = tmp_path / "export.opml"
    opml.write_text(exported, encoding="utf-8")
    other = tmp_path / "other.yaml"
    fresh = "# a new config\ntimezone: UTC\n"
    other.write_text(fresh, encoding="utf-8")

    assert _run(other, "sources", "import", str(opml)).output.startswith("imported 2 feeds")

    assert _kept_and_added(fresh, other.read_text(encoding="utf-8"))[0] == "sources:\n"
    copied = load_config(other).sources
    assert [(s.id, s.feed) for s in copied] == [(s.id, s.feed) for s in load_config(config).sources]
    assert _run(other, "sources", "export").output.split("<body>")[1] == exported.split("<body>")[1]


def test_sources_without_a_subcommand_still_lists_them(config: Path) -> None:
    listed = _run(config, "sources").output
    assert "leike-substack" in listed and "wired-ai" in listed
