"""The FETCH stage over HTTP: one conditional GET per poll, safe against hostile servers.

``Fetcher.get`` makes one attempt (no retries: backoff across polls is the store's job) and
either returns a ``FetchResult`` or raises a ``FetchError`` whose reason a user can act on.
What a server cannot do to a worker:

- hold it: connect and read timeouts, plus a deadline for the whole fetch (``fetch.timeout``,
  redirects included, counted from the first request, not from the wait for a per-host slot)
  enforced on the sockets themselves (see ``guard``). Only a hanging DNS lookup escapes it
  (``getaddrinfo`` cannot be interrupted); the system resolver's own timeout bounds that;
- fill its memory: the body is streamed and *decoded* bytes are counted against
  ``fetch.max_bytes``, so a gzip bomb stops at the cap like a plain huge body;
- walk it around: at most ``fetch.max_redirects`` redirects, loops detected, and no redirect
  to a private address unless ``allow_private_networks`` (see ``guard``);
- be hammered by it: at most ``fetch.per_host`` requests in flight to one host name across all
  the threads sharing the Fetcher.

Cookies a server sets live for one fetch only (across its redirects), never across sources.
Proxies from the environment are ignored: the address guard must see the real destination.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from http.client import HTTPException, RemoteDisconnected
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import NameResolutionError, NewConnectionError, ReadTimeoutError

from watcher import __version__
from watcher.config import FetchSettings
from watcher.errors import FetchError
from watcher.fetch.guard import BlockedAddress, Call, GuardedAdapter, origin
from watcher.model import FetchResult

USER_AGENT = f"watcher/{__version__} (+self-hosted feed monitor)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_CHUNK = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TLS_NOISE = re.compile(r"^\[SSL: \w+\]|\(_ssl\.c:\d+\)$")  # OpenSSL's codes, not for users


class _Failed(Exception):  # noqa: N818 - internal: becomes a FetchError in Fetcher.get
    def __init__(
        self,
        reason: str,
        retry_after: float | None = None,
        status: int | None = None,
        *,
        transient: bool | None = False,  # None: as the status says (FetchError.transient)
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status
        self.transient = transient


class Fetcher:
    """Fetches URLs over one pooled, thread-safe requests Session.

    ``get`` is the whole interface. An unconditional fetch (the archive client's snapshots and
    CDX queries) is ``get`` without validators.
    """

    def __init__(self, settings: FetchSettings, *, allow_private_networks: bool = False) -> None:
        self._settings = settings
        self._allow_private = allow_private_networks
        self._hosts = _HostLimiter(settings.per_host)
        self._session = _new_session(settings)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections. Fetches in flight still finish normally: a config
        reload closes the old Fetcher while its last polls may be running."""
        self._session.close()

    def get(
        self,
        url: str,
        *,
        source_id: str,
        etag: str | None = None,
        last_modified: str | None = None,
        untrusted: bool = False,
        configured: str | None = None,
    ) -> FetchResult:
        """GET ``url``, conditionally when validators are given; one attempt, no retries.

        Returns the body of a 2xx (``changed`` True) or, for a 304, ``changed`` False and no
        body; either way the validators to send next time. Anything else raises ``FetchError``
        (``retry_after`` set from a 429/503's Retry-After).

        By default ``url`` is a URL the user configured: its host may be private (see
        ``guard``); hosts reached by redirect may not. ``untrusted`` marks a URL that a feed, a
        page or an archive chose (paging links, article pages): its host may not be private
        either, unless it is the host and port of ``configured``, the URL the user gave for
        that source (a self-hosted feed paging on its own server).
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seconds = self._settings.timeout.total_seconds()
        call = Call(seconds=seconds, allow_private=self._allow_private)
        started = time.monotonic()
        try:
            # The host the user configured may be private (see guard); a link's may not.
            trusted = configured if untrusted else url
            call.trusted = _origin_of(trusted) if trusted else None
            with call:
                response, body = self._follow(url, headers, call)
        except _Failed as failure:
            raise FetchError(
                source_id,
                url,
                failure.reason,
                retry_after=failure.retry_after,
                status=failure.status,
                transient=failure.transient,
            ) from None
        except BlockedAddress as blocked:
            raise FetchError(source_id, url, str(blocked), transient=False) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            raise FetchError(source_id, url, self._describe(error, call)) from error
        return FetchResult(
            url=url,
            final_url=response.url,
            status=response.status_code,
            changed=response.status_code != 304,
            body=body,
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag") or etag,
            last_modified=response.headers.get("Last-Modified") or last_modified,
            elapsed=time.monotonic() - started,
        )

    def _follow(
        self, url: str, headers: dict[str, str], call: Call
    ) -> tuple[requests.Response, bytes | None]:
        """Follow redirects by hand: counted, loop-checked, each hop under its host's limit."""
        visited = [url]
        cookies = RequestsCookieJar()
        while True:
            with self._hosts.slot(_origin_of(url)[0]):
                call.start()
                try:
                    response = self._send(url, headers, cookies, call)
                except BlockedAddress as blocked:
                    if len(visited) > 1:
                        raise
                    raise _Failed(_private_link(blocked)) from None
                with response:
                    if response.status_code not in _REDIRECTS:
                        return response, self._outcome(response, call)
                    url = self._next_hop(response, visited)
            visited.append(url)

    def _send(
        self, url: str, headers: dict[str, str], cookies: RequestsCookieJar, call: Call
    ) -> requests.Response:
        remaining = call.remaining()
        if remaining <= 0:
            raise _Failed(_timed_out(self._settings.timeout), transient=True)
        timeouts = (
            min(self._settings.connect_timeout.total_seconds(), remaining),
            min(self._settings.timeout.total_seconds(), remaining),
        )
        # Not Session.prepare_request: it builds and merges three cookie jars a request, more
        # CPU than a 304's whole exchange; the session has no cookies, auth or hooks to add.
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method="GET",
            url=url,
            headers=merge_setting(headers, self._session.headers, CaseInsensitiveDict),
            cookies=cookies,
        )
        # Straight to the adapter: Session.send would read a redirect's whole body, uncapped.
        adapter = self._session.get_adapter(url)
        response = adapter.send(prepared, stream=True, timeout=timeouts, verify=True, proxies={})
        extract_cookies_to_jar(cookies, prepared, response.raw)
        return response

    def _outcome(self, response: requests.Response, call: Call) -> bytes | None:
        """The body of a success, None for a 304; anything else is a failure."""
        status = response.status_code
        if status == 304:
            response.raw.drain_conn()  # a 304 has no body: the connection goes back to the pool
            return None
        if 200 <= status < 300:
            body = _read_capped(response, self._settings.max_bytes)
            if call.expired:  # a body cut short by the deadline can look complete
                raise _Failed(_timed_out(self._settings.timeout), transient=True)
            return body
        retry_after = None
        if status in _RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"),
                datetime.now(UTC),
                cap=self._settings.max_backoff.total_seconds(),
            )
        reason = _describe_status(status, response.reason, retry_after)
        raise _Failed(reason, retry_after, status, transient=None)

    def _next_hop(self, response: requests.Response, visited: list[str]) -> str:
        location = self._session.get_redirect_target(response)
        if not location:
            raise _Failed(f"HTTP {response.status_code} redirect without a Location header")
        try:
            target = urljoin(response.url, location).split("#", 1)[0]
            scheme = urlsplit(target).scheme
            if scheme in _DEFAULT_PORTS:
                _origin_of(target)
        except (ValueError, _Failed):
            raise _Failed(f"redirects to an invalid URL: {_clip(location)}") from None
        if scheme not in _DEFAULT_PORTS:
            raise _Failed(f"refused: redirects to a {scheme} URL ({_clip(target)})")
        if target in visited:
            raise _Failed(f"redirect loop ({target} again after {len(visited) - 1} redirects)")
        if len(visited) > self._settings.max_redirects:
            raise _Failed(
                f"too many redirects ({len(visited)}; "
                f"fetch.max_redirects is {self._settings.max_redirects})"
            )
        return target

    def _describe(self, error: Exception, call: Call) -> str:
        """Turn a requests/urllib3/socket error into a reason a user can act on."""
        if call.expired:
            return _timed_out(self._settings.timeout)
        causes = list(_causes(error))
        for cause in causes:
            if isinstance(cause, BlockedAddress):
                return str(cause)
            if isinstance(cause, NameResolutionError):
                return f"DNS lookup failed for host {cause.conn.host}"
        if isinstance(error, requests.ConnectTimeout):
            return f"{_timed_out(self._settings.connect_timeout)} connecting to {_host_in(error)}"
        if isinstance(error, requests.ReadTimeout) or any(
            isinstance(cause, ReadTimeoutError | TimeoutError) for cause in causes
        ):
            return _timed_out(self._settings.timeout)
        if isinstance(error, requests.exceptions.SSLError):
            return f"TLS error: {_TLS_NOISE.sub('', _innermost(causes)).strip()}"
        if isinstance(error, requests.exceptions.ContentDecodingError):
            return f"could not decode the compressed body: {_innermost(causes)}"
        if isinstance(error, requests.exceptions.ChunkedEncodingError):
            return "the connection broke before the whole body arrived"
        for cause in causes:
            if isinstance(cause, RemoteDisconnected):
                return "the server closed the connection without answering"
            if isinstance(cause, HTTPException):
                return f"the server's answer is not valid HTTP: {_clip(str(cause))}"
        for cause in causes:
            if isinstance(cause, NewConnectionError):
                reason = _innermost(causes)
                return f"could not connect to {_host_in(error)}: {reason}"
        if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
            return f"invalid URL: {error}"
        return f"request failed: {_innermost(causes)}"


def parse_retry_after(value: str | None, now: datetime, *, cap: float) -> float | None:
    """A Retry-After header in seconds from ``now``: delta-seconds or an HTTP-date, clamped to
    ``0 … cap`` before anything is computed with it (a server asking for 10^14 seconds gets the
    cap, never an overflow). The one parser for fetching and delivering.

    None when absent or unreadable; a date in the past gives 0. ``now`` must be aware.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC without saying so
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), cap)


class _HostLimiter:
    """At most ``limit`` requests in flight to one host name, across all threads.

    Waiting for a slot is not bounded: every holder is bounded by its own deadline.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._busy: Counter[str] = Counter()
        self._free = threading.Condition()

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._free:
            self._free.wait_for(lambda: self._busy[host] < self._limit)
            self._busy[host] += 1
        try:
            yield
        finally:
            with self._free:
                self._busy[host] -= 1
                if not self._busy[host]:
                    del self._busy[host]
                self._free.notify_all()


def _new_session(settings: FetchSettings) -> requests.Session:
    """One Session for every thread: guarded connections, a pool sized for the workers.

    Each host's pool keeps up to ``workers`` connections; 64 hosts' pools stay open at once
    (the least recently used one is closed beyond that).
    """
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc from the environment
    adapter = GuardedAdapter(pool_connections=64, pool_maxsize=settings.workers, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = settings.user_agent or USER_AGENT
    session.headers["Accept"] = ACCEPT
    return session


def _read_capped(response: requests.Response, limit: int) -> bytes:
    """The decoded body, refusing more than ``limit`` bytes; memory stays near ``limit``.

    urllib3 (>= 2.6) bounds what one read may inflate to, so a gzip, deflate or brotli bomb
    yields ``_CHUNK``-sized pieces like any other body and stops at the cap (for brotli this
    needs brotli >= 1.2, hence the pin).
    """
    declared = response.headers.get("Content-Length", "")
    encoded = response.headers.get("Content-Encoding")
    if not encoded and declared.isdigit() and int(declared) > limit:
        raise _Failed(f"body larger than {_size(limit)} ({_size(int(declared))} announced)")
    body = bytearray()
    for chunk in response.iter_content(_CHUNK):
        body += chunk
        if len(body) > limit:
            raise _Failed(f"body larger than {_size(limit)}")
    return bytes(body)


def _describe_status(status: int, reason: str | None, retry_after: float | None) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:  # a status HTTP does not define: the server's own phrase, made safe
        phrase = _clip(reason or "", 60)
    text = f"HTTP {status} {phrase}".rstrip()
    if retry_after is not None:
        text += f" (retry after {retry_after:.0f} s)"
    return text


def _private_link(blocked: BlockedAddress) -> str:
    """Why a link (not a redirect) chosen by a feed or page was refused."""
    named = "" if blocked.host.strip("[]") == blocked.address else f" ({blocked.host})"
    return (
        f"refused: a link to a private address {blocked.address}{named} "
        "(set allow_private_networks: true to allow)"
    )


def _timed_out(limit: timedelta) -> str:
    return f"timed out after {limit.total_seconds():g} s"


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.3g} MB"
    if count >= 1_000:
        return f"{count / 1_000:.3g} kB"
    return f"{count} bytes"


def _origin_of(url: str) -> tuple[str, int]:
    """The (host, port) a URL points at, compared the way ``guard`` compares them."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)
    except ValueError as error:
        raise _Failed(f"invalid URL: {error}") from None
    if not parts.hostname:
        raise _Failed("invalid URL: no host name")
    return origin(parts.hostname, port)


def _host_in(error: Exception) -> str:
    request = getattr(error, "request", None)
    return (urlsplit(request.url or "").netloc if request is not None else "") or "the server"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps: urllib3 reasons, arguments, causes, contexts."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [getattr(current, "reason", None), *current.args]
        wrapped += [current.__cause__, current.__context__]
        pending += [item for item in wrapped if isinstance(item, BaseException)]


def root_cause(error: BaseException) -> str:
    """What really went wrong under a requests error (``Connection refused``), clipped."""
    return _innermost(list(_causes(error)))


def _innermost(causes: list[BaseException]) -> str:
    """The message of the deepest cause: the one naming what really went wrong."""
    for cause in reversed(causes):
        text = str(cause).strip()
        if text:
            return _clip(getattr(cause, "strerror", None) or text)
    return "unknown error"


def _clip(text: str, limit: int = 120) -> str:
    """Server-controlled text, made safe to show: printable and short."""
    text = text if text.isprintable() else repr(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
