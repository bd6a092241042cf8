"""The FETCH stage for archived X accounts: list captures with the Wayback CDX API, fetch them raw.

X offers no feed and posts get deleted; the Internet Archive keeps snapshots. For a source
``archive: x.com/HANDLE`` a poll:

1. lists the captures of ``x.com/HANDLE/status/*`` (and the ``twitter.com`` and
   ``mobile.twitter.com`` forms) newer than the source's cursor, one CDX query per form,
   following ``showResumeKey``/``resumeKey`` pages (the first row of a JSON answer is the header);
2. fetches each new capture raw (``/web/{timestamp}id_/{original}``), oldest first, and
   extracts the post (``watcher.parse.archive``); a post already complete in this batch is not
   fetched again under another URL form;
3. returns the entries (one per status id, the fullest text kept), what happened to each
   capture (to be recorded with the entries, in one transaction) and the new cursor.

Politeness: every request, CDX or snapshot, takes a token from one bucket shared by all archive
sources (``archive.rate`` requests a second). A 429 or a 5xx is retried a few times, honouring
Retry-After; past that the client stops asking for the server's wait and the source fails with
``retry_after`` so the scheduler backs it off. A failing archive never holds a worker for long.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from watcher.config import ArchiveSettings, Config, Source, archive_handle
from watcher.errors import FetchError
from watcher.fetch.http import Fetcher
from watcher.model import Entry, FetchResult
from watcher.parse.archive import extract_post, post_entry, status_ref
from watcher.parse.social import account_index

CDX_FIELDS = ("timestamp", "original", "statuscode", "mimetype", "digest")
URL_FORMS = ("x.com", "twitter.com", "mobile.twitter.com")
PAGE_SIZE = 1000
SNAPSHOTS_PER_POLL = 300  # snapshots fetched per poll; the rest waits for the next poll
FIRST_POLL_WINDOW = timedelta(days=30)  # without a story to date it from
RETRIES = 3
MAX_WAIT = 60.0  # seconds a worker may sleep for one request; longer waits fail the source
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"

Outcome = Literal["item", "truncated", "empty", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class Capture:
    """One row of a CDX answer."""

    timestamp: str
    original: str
    statuscode: str | None = None
    mimetype: str | None = None
    digest: str | None = None

    @property
    def status_id(self) -> str | None:
        ref = status_ref(self.original)
        return ref.status_id if ref else None


@dataclass(frozen=True, slots=True)
class CaptureOutcome:
    """What processing a capture gave: ``item`` (a complete post), ``truncated`` (a post cut
    short), ``empty`` (no post: a profile, a JavaScript shell), ``failed`` (the archive has no
    usable snapshot) or ``skipped`` (its post was already complete from another capture)."""

    capture: Capture
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class CaptureLog:
    """What is already done for a source: processed captures, and posts complete in the store."""

    done: frozenset[tuple[str, str]] = frozenset()
    complete: frozenset[str] = frozenset()


@dataclass(slots=True)
class ArchiveBatch:
    """One walk over an account's captures: entries to store, captures to record, the cursor.

    ``cursor`` is the newest capture timestamp up to which everything is done; ``error`` is set
    when the archive stopped the walk early (what came before it is still good to store).
    """

    entries: list[Entry] = field(default_factory=list)
    captures: list[CaptureOutcome] = field(default_factory=list)
    cursor: str | None = None
    error: FetchError | None = None


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
        return self._fetcher.get(url, source_id=source_id)

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


_CLIENTS: weakref.WeakKeyDictionary[Fetcher, ArchiveClient] = weakref.WeakKeyDictionary()
_CLIENTS_LOCK = threading.Lock()


def shared_client(fetcher: Fetcher, settings: ArchiveSettings) -> ArchiveClient:
    """The one client (one rate limit) of every archive source polled through ``fetcher``."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(fetcher)
        if client is None:
            client = _CLIENTS[fetcher] = ArchiveClient(settings, fetcher)
        return client


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


class PostCollector:
    """Turns captures into entries, one per status id, keeping the fullest text seen."""

    def __init__(self, client: ArchiveClient, source: Source, config: Config, log: CaptureLog):
        self._client = client
        self._source = source
        self._accounts = account_index(config.entities, "x")
        self._complete: set[str] = set(log.complete)
        self.entries: dict[str, Entry] = {}

    def process(self, capture: Capture) -> CaptureOutcome:
        """Fetch and extract one capture; raise ``FetchError`` only for a transient failure."""
        status_id = capture.status_id
        if status_id is None or status_id in self._complete:
            return CaptureOutcome(capture, "skipped")
        try:
            result = self._client.snapshot(capture, source_id=self._source.id)
        except FetchError as error:
            if is_transient(error):
                raise
            return CaptureOutcome(capture, "failed")
        post = extract_post(
            result.body or b"", url=capture.original, content_type=result.content_type
        )
        if post is None:
            return CaptureOutcome(capture, "empty")
        entry = post_entry(
            post,
            by=self._accounts.get(post.handle.lower()) or self._owner_for(post.handle),
            capture_url=self._client.snapshot_url(capture, raw=False),
        )
        self._keep(status_id, entry)
        if post.truncated:
            return CaptureOutcome(capture, "truncated")
        self._complete.add(status_id)
        return CaptureOutcome(capture, "item")

    def _owner_for(self, handle: str) -> str | None:
        """The source's owner authored the posts of its own account."""
        own = archive_handle(self._source.archive or "") or ""
        return self._source.owner if handle.lower() == own.lower() else None

    def _keep(self, status_id: str, entry: Entry) -> None:
        kept = self.entries.get(status_id)
        if kept is None or _fuller(entry, kept):
            self.entries[status_id] = entry


def _fuller(new: Entry, old: Entry) -> bool:
    if old.extra.get("truncated") and not new.extra.get("truncated"):
        return True
    return len(new.content or "") > len(old.content or "")


def collect_posts(
    client: ArchiveClient,
    source: Source,
    config: Config,
    *,
    after: str | None,
    until: str | None = None,
    log: CaptureLog | None = None,
    limit: int = SNAPSHOTS_PER_POLL,
) -> ArchiveBatch:
    """List the captures newer than the cursor ``after`` and extract their posts.

    Without a cursor the walk starts at the earliest story's ``since`` (the posts a story
    needs), else ``FIRST_POLL_WINDOW`` ago; ``watcher backfill`` goes further back.
    """
    since = next_timestamp(after) if after else first_poll_start(config)
    batch = ArchiveBatch(cursor=after)
    try:
        captures = list_captures(client, source, since=since, until=until, log=log)
    except FetchError as error:
        batch.error = error
        return batch
    collector = PostCollector(client, source, config, log or CaptureLog())
    fetched = 0
    for index, capture in enumerate(captures):
        if fetched >= limit:
            batch.cursor = previous_timestamp(capture.timestamp)
            break
        try:
            outcome = collector.process(capture)
        except FetchError as error:
            batch.error = error
            batch.cursor = previous_timestamp(capture.timestamp) if index else after
            break
        fetched += outcome.outcome != "skipped"
        batch.captures.append(outcome)
        batch.cursor = max(batch.cursor or "", capture.timestamp)
    batch.entries = list(collector.entries.values())
    return batch


# --- timestamps ---------------------------------------------------------------------------------


def first_poll_start(config: Config, now: datetime | None = None) -> str:
    """Where a source with no cursor starts: the earliest story's ``since``, else 30 days ago."""
    dates = [story.since for story in config.stories]
    if dates:
        return min(dates).strftime("%Y%m%d") + "000000"
    return to_timestamp((now or datetime.now(UTC)) - FIRST_POLL_WINDOW)


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
