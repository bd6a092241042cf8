"""Listing captures with the CDX API and collecting posts from them, against the fake Wayback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from watcher.config import ArchiveSettings, Config, FetchSettings
from watcher.errors import FetchError
from watcher.fetch import archive
from watcher.fetch.archive import ArchiveClient, RateLimiter, list_captures, parse_cdx
from watcher.fetch.http import Fetcher
from watcher.jobs.archive_walk import ArchiveBatch, collect_posts
from watcher.model import CaptureLog, Entry

NOW = datetime(2026, 12, 1, tzinfo=UTC)

LEIKE = "1791498174659715494"


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchSettings(), allow_private_networks=True) as opened:
        yield opened


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(story_config: Config, fetcher: Fetcher, sleeps: list[float]) -> ArchiveClient:
    return ArchiveClient(story_config.archive, fetcher, sleep=sleeps.append)


def by_key(batch: ArchiveBatch) -> dict[str, Entry]:
    return {entry.extra["key"]: entry for entry in batch.entries}


def test_parse_cdx_reads_the_header_row_and_the_resume_key() -> None:
    body = b'[["timestamp","original"],["20240517160512","https://x.com/a/status/1"],[],["k 1"]]'
    captures, resume = parse_cdx(body, "u")
    assert [(c.timestamp, c.original) for c in captures] == [
        ("20240517160512", "https://x.com/a/status/1")
    ]
    assert resume == "k 1"
    assert parse_cdx(b"[]", "u") == ([], None)
    with pytest.raises(FetchError, match="not JSON"):
        parse_cdx(b"<html>busy</html>", "u")


def test_listing_follows_resume_keys_across_url_forms(
    story_config: Config, client: ArchiveClient, story_wayback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "PAGE_SIZE", 1)
    captures = list_captures(client, story_config.source("x-janleike"), since="20240515000000")
    assert [c.timestamp for c in captures] == [
        "20240517160512",
        "20240517190002",
        "20240518093544",
        "20240519101010",
        "20240601120000",
    ]  # the 302 and 404 captures are filtered out by the CDX query
    assert len(story_wayback.cdx_queries) == 5  # 3 pages for x.com, 1 twitter.com, 1 mobile.
    first = story_wayback.cdx_queries[0]
    assert first["url"] == "x.com/janleike/status/*"
    assert first["filter"] == "statuscode:200"
    assert first["fl"] == "timestamp,original,statuscode,mimetype,digest"
    assert first["from"] == "20240515000000"
    assert any("resumeKey" in query for query in story_wayback.cdx_queries)


def test_one_item_per_post_whatever_the_url_form_and_captures(
    story_config: Config, client: ArchiveClient, story_wayback
) -> None:
    batch = collect_posts(
        client, story_config.source("x-janleike"), story_config, now=NOW, after=None
    )
    entries = by_key(batch)
    assert set(entries) == {f"x:{LEIKE}", "x:1791540958431506563"}
    first = entries[f"x:{LEIKE}"]
    assert first.link == f"https://x.com/janleike/status/{LEIKE}"
    assert first.author == "@janleike"
    assert first.extra["by"] == "leike"
    assert first.published == datetime(2024, 5, 17, 15, 57, 3, 922000, tzinfo=UTC)
    assert entries["x:1791540958431506563"].extra["reply"] is True
    outcomes = {c.capture.timestamp: c.outcome for c in batch.captures}
    assert outcomes == {
        "20240517160512": "item",
        "20240517190002": "item",
        "20240518093544": "skipped",
        "20240519101010": "empty",  # a JavaScript shell
        "20240601120000": "skipped",
    }
    fetched = [line.split()[0] for line in story_wayback.snapshots]
    assert fetched == ["20240517160512", "20240517190002", "20240519101010"]
    assert batch.cursor == "20240601120000"
    assert batch.error is None


def test_the_post_time_comes_from_the_id_not_the_late_capture(
    story_config: Config, client: ArchiveClient
) -> None:
    batch = collect_posts(client, story_config.source("x-sama"), story_config, now=NOW, after=None)
    (entry,) = batch.entries  # the profile page under a status URL gave nothing
    assert entry.extra["key"] == "x:1791543264090472660"
    assert entry.extra["by"] == "altman"
    assert entry.published == datetime(2024, 5, 17, 18, 56, 14, 80000, tzinfo=UTC)
    assert "🧡" in (entry.content or "")
    assert {c.outcome for c in batch.captures} == {"item", "empty"}


def test_a_fuller_capture_replaces_a_truncated_one_and_a_missing_snapshot_fails(
    story_config: Config, client: ArchiveClient
) -> None:
    batch = collect_posts(client, story_config.source("x-gdb"), story_config, now=NOW, after=None)
    (entry,) = batch.entries
    assert entry.extra["truncated"] is False
    assert entry.extra["by"] == "brockman"
    assert "— Sam and Greg" in (entry.content or "")
    assert [c.outcome for c in batch.captures] == ["truncated", "item", "failed"]


def test_a_second_poll_asks_only_for_newer_captures(
    story_config: Config, client: ArchiveClient, story_wayback
) -> None:
    source = story_config.source("x-janleike")
    first = collect_posts(client, source, story_config, now=NOW, after=None)
    story_wayback.cdx_queries.clear()
    story_wayback.snapshots.clear()
    second = collect_posts(client, source, story_config, now=NOW, after=first.cursor)
    assert set(story_wayback.froms()) == {"20240601120001"}
    assert second.entries == [] and second.captures == [] and story_wayback.snapshots == []
    assert second.cursor == first.cursor
    story_wayback.add(
        "20240602000000",
        "https://x.com/janleike/status/1791540958431506563",
        "api-v2-janleike-1791540958431506563.json",
    )
    third = collect_posts(client, source, story_config, now=NOW, after=second.cursor)
    assert [e.extra["key"] for e in third.entries] == ["x:1791540958431506563"]
    assert third.cursor == "20240602000000"


def test_a_capture_log_skips_done_captures_and_complete_posts(
    story_config: Config, client: ArchiveClient, story_wayback
) -> None:
    log = CaptureLog(
        done=frozenset({("20240517190002", "https://x.com/janleike/status/1791540958431506563")}),
        complete=frozenset({LEIKE}),
    )
    batch = collect_posts(
        client, story_config.source("x-janleike"), story_config, now=NOW, after=None, log=log
    )
    assert batch.entries == []
    assert [line.split()[0] for line in story_wayback.snapshots] == ["20240519101010"]


def test_retries_honour_retry_after_then_succeed(
    story_config: Config, client: ArchiveClient, story_wayback, sleeps: list[float]
) -> None:
    story_wayback.fail_next(2, status=429, retry_after="7")
    batch = collect_posts(client, story_config.source("x-sama"), story_config, now=NOW, after=None)
    assert batch.error is None and len(batch.entries) == 1
    assert sleeps == [7.0, 7.0]


def test_a_long_retry_after_fails_the_source_and_cools_the_client_down(
    story_config: Config, client: ArchiveClient, story_wayback
) -> None:
    story_wayback.fail_next(1, status=503, retry_after="3600")
    batch = collect_posts(
        client, story_config.source("x-sama"), story_config, now=NOW, after="20240101"
    )
    assert batch.error is not None and batch.error.retry_after == pytest.approx(3600)
    assert batch.cursor == "20240101" and batch.entries == []
    asked = len(story_wayback.cdx_queries)
    again = collect_posts(client, story_config.source("x-gdb"), story_config, now=NOW, after=None)
    assert again.error is not None and "asked to wait" in again.error.reason
    assert len(story_wayback.cdx_queries) == asked  # failed fast, the archive left alone


def test_a_transient_snapshot_failure_keeps_earlier_posts_and_the_cursor_before_it(
    story_config: Config, client: ArchiveClient, story_wayback
) -> None:
    story_wayback.add(
        "20240521000000",
        "https://x.com/gdb/status/1791900000000000001",
        body=b"<html></html>",
        snapshot_status=502,
    )
    batch = collect_posts(client, story_config.source("x-gdb"), story_config, now=NOW, after=None)
    assert batch.error is not None and "502" in batch.error.reason
    assert [e.extra["key"] for e in batch.entries] == ["x:1791869138132218351"]
    assert batch.entries[0].extra["truncated"] is True
    assert batch.cursor == "20240520235959"  # the next poll starts at the failed capture


def test_the_poll_budget_stops_early_with_a_resumable_cursor(
    story_config: Config, client: ArchiveClient
) -> None:
    source = story_config.source("x-janleike")
    batch = collect_posts(client, source, story_config, now=NOW, after=None, limit=2)
    assert len(batch.captures) == 2
    assert batch.cursor == "20240518093543"
    rest = collect_posts(client, source, story_config, now=NOW, after=batch.cursor)
    assert [c.capture.timestamp for c in rest.captures] == [
        "20240518093544",
        "20240519101010",
        "20240601120000",
    ]


def test_the_rate_limiter_spaces_requests_without_real_sleeping() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    limiter = RateLimiter(2.0, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.acquire() for _ in range(3)]
    assert waits == [0.0, 0.5, 1.0]
    now[0] = 10.0
    assert limiter.acquire() == 0.0  # idle time refills the bucket, up to the burst
    assert slept == [0.5, 1.0]


def test_archive_settings_default_to_a_gentle_rate() -> None:
    assert ArchiveSettings().rate <= 1.0
