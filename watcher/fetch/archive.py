"""The FETCH stage for archived X accounts: list captures with the Wayback CDX API, fetch them raw.

X offers no feed and posts get deleted; the Internet Archive keeps snapshots. For a source
``archive: x.com/HANDLE`` the client:

1. lists the captures of ``x.com/HANDLE/status/*`` (and the ``twitter.com`` and
   ``mobile.twitter.com`` forms) newer than the source's cursor, one CDX query per form,
   following ``showResumeKey``/``resumeKey`` pages (the first row of a JSON answer is the header);
2. fetches a capture raw (``/web/{timestamp}id_/{original}``).

Walking an account (which captures to fetch, extracting their posts) is the jobs' work:
``watcher.jobs.archive_walk``.

Politeness: every request, CDX or snapshot, takes a token from one bucket shared by all archive
sources (``archive.rate`` requests a second). A 429 or a 5xx is retried a few times, honouring
Retry-After; past that the client stops asking for the server's wait and the source fails with
``retry_after`` so the scheduler backs it off. A failing archive never holds a worker for long.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from watcher.config import ArchiveSettings, Source, archive_handle
from watcher.errors import FetchError
from watcher.fetch.http import Fetcher
from watcher.model import Capture, CaptureLog, FetchResult

CDX_FIELDS = ("timestamp", "original", "statuscode", "mimetype", "digest")
URL_FORMS = ("x.com", "twitter.com", "mobile.twitter.com")
PAGE_SIZE = 1000
RETRIES = 3
MAX_WAIT = 60.0  # seconds a worker may sleep for one request; longer waits fail the source
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"


# --- politeness -------------------------------------------------------------------------------


class RateLimiter:
    """A token bucket shared by threads: ``rate`` requests a second, bursts of ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate = rate
        self._burst = max(1.0, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self._burst
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until it is there; return the time slept."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            self._tokens -= 1  # reserve it now: the next caller queues behind this one
            wait = -self._tokens / self._rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


class ArchiveClient:
    """CDX listings and raw snapshots over the shared ``Fetcher``, rate-limited, with backoff."""

    def __init__(
        self,
        settings: ArchiveSettings,
        fetcher: Fetcher,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = settings.base_url.rstrip("/")
        self._fetcher = fetcher
        self._limiter = limiter or RateLimiter(settings.rate, clock=clock, sleep=sleep)
        self._sleep = sleep
        self._clock = clock
        self._cool_until = 0.0
        self._lock = threading.Lock()

    def captures(
        self, prefix: str, *, source_id: str, since: str | None, until: str | None = None
    ) -> Iterator[Capture]:
        """Every 200 capture of URLs under ``prefix`` (``x.com/sama/status/``), page by page."""
        params = {
            "url": f"{prefix}*",
            "output": "json",
            "fl": ",".join(CDX_FIELDS),
            "filter": "statuscode:200",
            "collapse": "digest",
            "limit": str(PAGE_SIZE),
            "showResumeKey": "true",
        }
        if since:
            params["from"] = since
        if until:
            params["to"] = until
        resume: str | None = None
        while True:
            query = params | ({"resumeKey": resume} if resume else {})
            url = f"{self.base_url}/cdx/search/cdx?{urlencode(query)}"
            rows, resume = parse_cdx(self.get(url, source_id=source_id).body or b"", url)
            yield from rows
            if not resume:
                return

    def snapshot(self, capture: Capture, *, source_id: str) -> FetchResult:
        """The capture as the archive stored it, without the Wayback toolbar or rewritten links."""
        return self.get(self.snapshot_url(capture), source_id=source_id)

    def snapshot_url(self, capture: Capture, *, raw: bool = True) -> str:
        flag = "id_" if raw else ""
        return f"{self.base_url}/web/{capture.timestamp}{flag}/{capture.original}"

    def get(self, url: str, *, source_id: str) -> FetchResult:
        """One polite GET: a token from the bucket, retries on 429/5xx within ``MAX_WAIT``."""
        for attempt in range(RETRIES):
            try:
                return self._get_once(url, source_id)
            except FetchError as error:
                if not is_transient(error):
                    raise
                self._pause(error, attempt)
        return self._get_once(url, source_id)

    def _get_once(self, url: str, source_id: str) -> FetchResult:
        self._check_cooldown(source_id, url)
        self._limiter.acquire()
        # Snapshot URLs carry what the archive recorded: untrusted, but on the configured host.
        return self._fetcher.get(url, source_id=source_id, untrusted=True, configured=self.base_url)

    def _pause(self, error: FetchError, attempt: int) -> None:
        """Sleep as the server asked (else 1, 2, 4 s); a longer wish fails the source instead."""
        wait = error.retry_after if error.retry_after is not None else 2.0**attempt
        if wait > MAX_WAIT:
            self._cool_down(wait)
            raise error
        self._sleep(wait)

    def _cool_down(self, seconds: float) -> None:
        """The archive asked for a long pause: every source fails fast until it is over."""
        with self._lock:
            self._cool_until = max(self._cool_until, self._clock() + seconds)

    def _check_cooldown(self, source_id: str, url: str) -> None:
        remaining = self._cool_until - self._clock()
        if remaining > 0:
            raise FetchError(
                source_id,
                url,
                f"the archive asked to wait; {remaining:.0f} s left",
                retry_after=remaining,
            )


def is_transient(error: FetchError) -> bool:
    """Worth retrying: the server asked to wait, timed out, or failed with a 5xx or a 408/429."""
    status = error.status
    if status is None:
        return not error.reason.startswith(("refused", "body larger", "invalid URL"))
    return status in (408, 429) or status >= 500 or error.retry_after is not None


def parse_cdx(body: bytes, url: str) -> tuple[list[Capture], str | None]:
    """A JSON CDX answer → captures and the resume key (after an empty row), if any."""
    try:
        table = json.loads(body) if body.strip() else []
    except ValueError:
        raise FetchError("archive", url, "the CDX answer is not JSON") from None
    if not isinstance(table, list) or not table:
        return [], None
    header, rows = table[0], table[1:]
    resume = None
    if len(rows) >= 2 and rows[-2] == []:
        resume = str(rows[-1][0]) if rows[-1] else None
        rows = rows[:-2]
    captures = []
    for row in rows:
        record = dict(zip(header, row, strict=False))
        if record.get("timestamp") and record.get("original"):
            captures.append(
                Capture(
                    timestamp=str(record["timestamp"]),
                    original=str(record["original"]),
                    statuscode=record.get("statuscode"),
                    mimetype=record.get("mimetype"),
                    digest=record.get("digest"),
                )
            )
    return captures, resume


# --- one walk over an account -------------------------------------------------------------------


def list_captures(
    client: ArchiveClient,
    source: Source,
    *,
    since: str | None,
    until: str | None = None,
    log: CaptureLog | None = None,
) -> list[Capture]:
    """The account's new status captures under every URL form, oldest first, without repeats."""
    handle = archive_handle(source.archive or "")
    done = log.done if log else frozenset()
    found: dict[tuple[str, str], Capture] = {}
    for form in URL_FORMS:
        prefix = f"{form}/{handle}/status/"
        for capture in client.captures(prefix, source_id=source.id, since=since, until=until):
            key = (capture.timestamp, capture.original)
            if capture.status_id and key not in done:
                found.setdefault(key, capture)
    return sorted(found.values(), key=lambda c: (c.timestamp, c.original))


# --- timestamps ---------------------------------------------------------------------------------


def to_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def from_timestamp(value: str) -> datetime:
    """A 1-14 digit Wayback timestamp (missing parts are the earliest) as an aware datetime."""
    padded = (value + "00000101000000"[len(value) :])[:14]
    return datetime.strptime(padded, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def next_timestamp(value: str) -> str:
    return to_timestamp(from_timestamp(value) + timedelta(seconds=1))


def previous_timestamp(value: str) -> str:
    return to_timestamp(from_timestamp(value) - timedelta(seconds=1))
