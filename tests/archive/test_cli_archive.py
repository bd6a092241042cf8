"""From the command line: `watcher poll --once` on archived accounts, social feeds, and backfill."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from watcher.cli import cli
from watcher.config import Config
from watcher.fetch.clients import Clients
from watcher.jobs import backfill as backfill_module
from watcher.store import open_store
from watcher.store.archive import backfill_mark
from watcher.store.tables import ArchiveCaptureRow, ItemRow, ItemSourceRow

SOCIAL = Path(__file__).resolve().parent.parent / "fixtures" / "social"


def run(config: Config, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["-c", str(config.path), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def items(config: Config) -> dict[str, dict]:
    output = run(config, "items", "--json", "--limit", "500")
    return {row["url"]: row for row in map(json.loads, output.splitlines())}


def rows(config: Config) -> dict[str, ItemRow]:
    store = open_store(config.database_url)
    with store.session() as session:
        found = {row.key: row for row in session.query(ItemRow)}
    store.close()
    return found


def test_poll_once_stores_archived_posts_with_authors_and_post_times(story_config: Config) -> None:
    output = run(story_config, "poll", "--once")
    assert "0 failed" in output
    stored = rows(story_config)
    assert set(stored) == {
        "x:1791498174659715494",
        "x:1791540958431506563",
        "x:1791543264090472660",
        "x:1791869138132218351",
    }
    reply = stored["x:1791543264090472660"]
    assert reply.by == "altman"
    assert reply.author == "@sama"
    assert reply.url == "https://x.com/sama/status/1791543264090472660"
    assert reply.published_at.isoformat().startswith("2024-05-17T18:56:14")
    assert "🧡" in reply.text
    joint = stored["x:1791869138132218351"]
    assert joint.by == "brockman" and joint.extra["truncated"] is False
    assert joint.text.endswith("— Sam and Greg")
    assert stored["x:1791498174659715494"].by == "leike"


def test_archived_posts_fulfil_the_stories_followups(story_config: Config) -> None:
    run(story_config, "poll", "--once")
    listed = items(story_config)
    reply = listed["https://x.com/sama/status/1791543264090472660"]
    assert "departures" in reply["stories"]
    assert "altman-replies" in reply["followups"]
    joint = listed["https://x.com/gdb/status/1791869138132218351"]
    assert "joint-post" in joint["followups"]


def test_a_second_poll_asks_the_archive_only_for_newer_captures(
    story_config: Config, story_wayback
) -> None:
    run(story_config, "poll", "--once")
    story_wayback.cdx_queries.clear()
    story_wayback.snapshots.clear()
    run(story_config, "poll", "--once")
    froms = {q["url"].split("/")[1]: q["from"] for q in story_wayback.cdx_queries}
    assert froms == {
        "janleike": "20240601120001",
        "sama": "20240521093013",
        "gdb": "20240523000001",
    }
    assert story_wayback.snapshots == []


def test_a_truncated_post_is_replaced_when_a_fuller_capture_appears(
    story_config: Config, story_wayback
) -> None:
    full = next(c for c in story_wayback.captures if c.timestamp == "20240522080000")
    story_wayback.captures.remove(full)
    run(story_config, "poll", "--once")
    assert rows(story_config)["x:1791869138132218351"].extra["truncated"] is True
    story_wayback.captures.append(full)
    full.timestamp = "20240601000000"  # indexed after the first poll
    run(story_config, "poll", "--once")
    joint = rows(story_config)["x:1791869138132218351"]
    assert joint.extra["truncated"] is False
    assert joint.text.endswith("— Sam and Greg")


def test_the_same_post_via_nitter_and_the_archive_is_one_item(
    make_config, story_wayback, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/sama/rss").respond_with_data(
        (SOCIAL / "nitter-sama.rss").read_bytes(), content_type="application/rss+xml"
    )
    config = make_config(
        f"""\
        allow_private_networks: true
        archive: {{base_url: "{story_wayback.base_url}", rate: 1000}}
        people:
          - {{id: altman, name: Sam Altman, accounts: {{x: sama}}}}
          - {{id: brockman, name: Greg Brockman, accounts: {{x: gdb}}}}
        stories:
          - {{id: openai, title: OpenAI, since: 2024-05-15, match: altman}}
        sources:
          - {{id: nitter-sama, feed: "{httpserver.url_for("/sama/rss")}"}}
          - {{id: x-sama, archive: x.com/sama}}
        """
    )
    run(config, "poll", "--once")
    stored = rows(config)
    assert set(stored) == {"x:1791543264090472660", "x:1791869138132218351"}
    assert stored["x:1791869138132218351"].by == "brockman"
    store = open_store(config.database_url)
    with store.session() as session:
        reply = stored["x:1791543264090472660"]
        seen_in = {r.source_id for r in session.query(ItemSourceRow).filter_by(item_id=reply.id)}
    store.close()
    assert seen_in == {"nitter-sama", "x-sama"}
    assert reply.by == "altman"


def test_a_failing_archive_never_blocks_the_feeds(
    make_config, story_wayback, httpserver: HTTPServer
) -> None:
    for path, fixture in (("/gdb.rss", "mastodon-gdb.rss"), ("/jan.rss", "bluesky-janleike.rss")):
        httpserver.expect_request(path).respond_with_data(
            (SOCIAL / fixture).read_bytes(), content_type="application/rss+xml"
        )
    story_wayback.fail_next(50, status=503, retry_after="86400")
    config = make_config(
        f"""\
        allow_private_networks: true
        archive: {{base_url: "{story_wayback.base_url}"}}
        people:
          - {{id: brockman, name: Greg Brockman, accounts: {{mastodon: "@gdb@mastodon.social"}}}}
          - {{id: leike, name: Jan Leike, accounts: {{bluesky: janleike.bsky.social}}}}
        sources:
          - {{id: x-gdb, archive: x.com/gdb}}
          - {{id: mastodon-gdb, feed: "{httpserver.url_for("/gdb.rss")}"}}
          - {{id: bluesky-jan, feed: "{httpserver.url_for("/jan.rss")}"}}
        """
    )
    output = run(config, "poll", "--once", code=1)
    assert "1 failed" in output
    by_key = {key: row.by for key, row in rows(config).items()}
    assert by_key == {
        "https://mastodon.social/@gdb/112462170112413275": "brockman",
        "https://mastodon.social/@gdb/112455001234567890": "brockman",
        "at://did:plc:4lcdgusd5a7i2pe6rujrsmcc/app.bsky.feed.post/3lvnhqv2s7k2u": "leike",
        "at://did:plc:4lcdgusd5a7i2pe6rujrsmcc/app.bsky.feed.post/3lvmz5dyrkc2p": "leike",
    }


def test_backfill_walks_back_and_resumes_without_repeating_work(
    story_config: Config, story_wayback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill_module, "CHUNK", 1)
    seen: list[int] = []

    class StopAfterTwo:
        def begin(self, source_id: str, total: int | None) -> None:
            seen.append(total or 0)

        def advance(self, source_id: str, *, steps: int, items: int) -> None:
            if len(story_wayback.snapshots) >= 2:
                raise KeyboardInterrupt

    store = open_store(story_config.database_url)
    with (
        Clients.open(story_config) as clients,
        pytest.raises(KeyboardInterrupt),
    ):
        backfill_module.backfill(
            store,
            story_config,
            since=date(2013, 1, 1),
            clients=clients,
            source_ids=["x-sama"],
            progress=StopAfterTwo(),
        )
    with store.session() as session:
        assert backfill_mark(session, "x-sama").through == "20160927001122"  # type: ignore[union-attr]
        recorded = session.query(ArchiveCaptureRow).filter_by(source_id="x-sama").all()
        assert [row.outcome for row in recorded] == ["item", "item"]
    store.close()
    first_run = list(story_wayback.snapshots)
    assert seen == [4]

    output = run(story_config, "backfill", "--since", "2013-01-01", "--source", "x-sama")
    assert "x-sama: 2 captures, 1 new item," in output
    assert "resumed from 20160927001122" in output
    fetched = first_run + story_wayback.snapshots[len(first_run) :]
    assert len(fetched) == len(set(fetched)) == 4  # each capture fetched once over both runs
    stored = rows(story_config)
    assert {"x:400000000000000000", "x:780524627036459009"} <= set(stored)
    assert stored["x:780524627036459009"].published_at.isoformat().startswith("2016-09-26")
    assert stored["x:400000000000000000"].published_at.isoformat().startswith("2013-11-11")

    again = run(story_config, "backfill", "--since", "2013-01-01", "--source", "x-sama")
    assert "x-sama: 0 captures, 0 new items" in again
    assert len(story_wayback.snapshots) == len(fetched)


def test_backfill_follows_rfc5005_pages_of_a_feed(make_config, httpserver: HTTPServer) -> None:
    page = """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:blog</id>
<updated>2024-05-20T00:00:00Z</updated>{next}
<entry><id>urn:{n}</id><title>Post {n}</title><link href="https://blog.example/{n}"/>
<updated>{day}T00:00:00Z</updated><summary>About alignment {n}</summary></entry></feed>"""
    pages = [("2024-05-20", 1), ("2024-04-01", 2), ("2023-01-01", 3), ("2022-01-01", 4)]
    for index, (day, n) in enumerate(pages):
        more = f'<link rel="next" href="/feed/{index + 1}"/>' if index + 1 < len(pages) else ""
        httpserver.expect_request(f"/feed/{index}").respond_with_data(
            page.format(next=more, n=n, day=day), content_type="application/atom+xml"
        )
    config = make_config(
        f"""\
        allow_private_networks: true
        sources:
          - {{id: blog, feed: "{httpserver.url_for("/feed/0")}"}}
        """
    )
    output = run(config, "backfill", "--since", "2024-01-01")
    assert "blog: 3 pages, 3 new items" in output  # page 3 reaches past --since: the walk stops
    assert set(rows(config)) == {f"https://blog.example/{n}" for n in (1, 2, 3)}


def test_backfill_refuses_unknown_sources_and_future_dates(story_config: Config) -> None:
    runner = CliRunner()
    unknown = runner.invoke(cli, ["-c", str(story_config.path), "backfill", "--since",
                                  "2024-01-01", "--source", "nope"])  # fmt: skip
    assert unknown.exit_code == 2 and "unknown source nope" in unknown.output
    future = runner.invoke(cli, ["-c", str(story_config.path), "backfill", "--since", "2999-01-01"])
    assert future.exit_code == 2 and "in the future" in future.output


def test_captures_are_recorded_once_per_source(story_config: Config) -> None:
    run(story_config, "poll", "--once")
    run(story_config, "poll", "--once")
    store = open_store(story_config.database_url)
    with store.session() as session:
        recorded = session.query(ArchiveCaptureRow).filter_by(source_id="x-janleike").count()
    store.close()
    assert recorded == 5
