"""What every connection watcher opens enforces: the address policy and the fetch's deadline.

Both checks live in the urllib3 connection class, below requests, because that is the only
place that sees what really happens on the wire.

**Addresses (SSRF).** A feed, or anything it redirects to, must not make watcher talk to the
machine or network it runs on (127.0.0.0/8, 10/8, 172.16/12, 192.168/16, 169.254.169.254,
``::1``, ``fc00::/7``…). Checking the URL's host *text* is not enough: a public-looking name
can resolve to 10.0.0.5, or resolve to a public address when checked and to a private one a
moment later when connecting (DNS rebinding). So ``_new_conn`` resolves the host once, refuses
when any of its addresses is not public, and then connects to exactly the addresses it
checked: there is no second lookup to trick. Pools are shared by every source, so a pooled
connection is checked again each time it is reused, against the policy of the fetch that
reuses it.

The policy belongs to one fetch (``Call``): private addresses are allowed everywhere when the
config says ``allow_private_networks: true``, and otherwise only for the host and port the user
configured (a self-hosted RSSHub on ``localhost:1200``), never for hosts reached by redirect.
The configured host is trusted whatever it resolves to (``rsshub.lan`` → 192.168.1.10): the
guard is about where a feed can send watcher, not about the user's own choices. Hosts are
compared by name and port, so the same server reached by redirect under another name
(``127.0.0.1`` instead of ``localhost``) is refused too.

**Deadline.** A read timeout bounds each ``recv`` but not the whole response: a server sending
one byte a second never trips it. ``Call`` arms the deadline for the fetch; every socket the
fetch uses registers with it, and when the time is up one watchdog thread, shared by all fetches
(a thread per fetch cost more CPU than a 304's whole exchange), shuts those sockets down, which
wakes the blocked read at once, in the headers or the body, plain or TLS. (The TLS handshake runs
before its socket can register, since wrapping detaches the plain socket; CPython bounds a
whole handshake by the socket timeout, which the fetcher caps at what is left of the deadline.)
"""

from __future__ import annotations

import contextlib
import heapq
import ipaddress
import itertools
import os
import socket
import threading
import time
from typing import Any, cast

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family, create_connection

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_local = threading.local()


class BlockedAddress(Exception):  # noqa: N818 - it is a refusal, not a malfunction
    """A connection would reach a private address the fetch may not reach.

    Deliberately not an ``OSError``: urllib3 and requests let it through unwrapped.
    """

    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        named = "" if _same_host(host, address) else f" ({host})"
        super().__init__(
            f"refused: redirects to a private address {address}{named} "
            "(set allow_private_networks: true to allow)"
        )


def is_public(address: str) -> bool:
    """True for an address on the public internet; False for loopback, private, link-local…

    IPv4 addresses smuggled inside IPv6 (``::ffff:10.0.0.5``, 6to4, NAT64) are judged by the
    IPv4 address they carry.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.is_site_local:  # deprecated fec0::/10, still routable inside a site
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def origin(host: str, port: int) -> tuple[str, int]:
    """How hosts are compared: lower case, no IPv6 brackets, no trailing dot."""
    return host.strip("[]").rstrip(".").lower(), port


def _same_host(host: str, address: str) -> bool:
    return origin(host, 0)[0] == address


class Call:
    """One fetch: which private origin it may reach, and its deadline, enforced on its sockets.

    Use it as a context manager around the fetch (it becomes the calling thread's current
    call), and ``start()`` it when the first request goes out.
    """

    def __init__(
        self,
        *,
        seconds: float | None = None,
        allow_private: bool = False,
        trusted: tuple[str, int] | None = None,
    ) -> None:
        self.seconds = seconds
        self.allow_private = allow_private
        self.trusted = trusted
        self.expired = False
        self._deadline: float | None = None
        self._sockets: list[socket.socket] = []
        self._done = False
        self._lock = threading.Lock()

    def __enter__(self) -> Call:
        _local.call = self
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._done = True
            self._sockets.clear()
        _local.call = None

    def start(self) -> None:
        """Start the clock (once; later calls do nothing)."""
        if self._deadline is not None or self.seconds is None:
            return
        self._deadline = time.monotonic() + self.seconds
        _WATCHDOG.arm(self._deadline, self)

    def remaining(self) -> float:
        """Seconds left before the deadline (infinite when there is none)."""
        if self._deadline is None:
            return float("inf")
        return max(0.0, self._deadline - time.monotonic())

    def check(self, host: str, port: int, address: str) -> None:
        """Raise ``BlockedAddress`` unless this call may connect to ``address`` for ``host``."""
        if self.allow_private or is_public(address) or origin(host, port) == self.trusted:
            return
        raise BlockedAddress(host, address)

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes (at once if it has passed already)."""
        with self._lock:
            if self._done or self._deadline is None:
                return
            if self.expired:
                _shut(sock)
            else:
                self._sockets.append(sock)

    @property
    def done(self) -> bool:
        return self._done

    def expire(self) -> None:
        """The deadline has passed: shut every socket of the fetch (unless it has ended)."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


class _Watchdog:
    """One daemon thread expiring every fetch's ``Call`` at its deadline.

    Deadlines wait in a heap; the thread sleeps until the earliest and is woken when an earlier
    one is armed. A fetch that ends leaves its entry behind, dropped when it comes up.
    """

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Call]] = []
        self._order = itertools.count()  # ties never compare two Calls
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, call: Call) -> None:
        with self._changed:
            heapq.heappush(self._due, (deadline, next(self._order), call))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="watcher-fetch-deadlines", daemon=True
                )
                self._thread.start()
            elif self._due[0][2] is call:
                self._changed.notify()

    def forget(self) -> None:
        """In a forked child: the parent's fetches and thread are not this process's (ending
        a copied fetch would shut sockets the parent may have pooled again meanwhile)."""
        self._due = []
        self._changed = threading.Condition()
        self._thread = None

    def _run(self) -> None:
        while True:
            for call in self._wait_for_expired():
                call.expire()

    def _wait_for_expired(self) -> list[Call]:
        with self._changed:
            while True:
                now = time.monotonic()
                due = []  # expired, or ended early (``Call.expire`` then does nothing)
                while self._due and (self._due[0][0] <= now or self._due[0][2].done):
                    due.append(heapq.heappop(self._due)[2])
                if due:
                    return due
                self._changed.wait(self._due[0][0] - now if self._due else None)


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.forget)


_OUTSIDE_FETCH = Call()  # a connection used outside Fetcher.get: strict, no deadline


def current_call() -> Call:
    return getattr(_local, "call", None) or _OUTSIDE_FETCH


def _shut(sock: socket.socket) -> None:
    # The plain socket method, also for an SSLSocket: it acts on the file descriptor and
    # wakes a read blocked in another thread without touching the TLS state under it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Guarded:
    """Mixin for urllib3 connections: checked addresses, watched sockets (see module doc)."""

    host: str
    port: int
    timeout: Any
    source_address: tuple[str, int] | None
    socket_options: Any
    sock: socket.socket | None
    _dns_host: str
    _peer: str | None = None

    def _new_conn(self) -> socket.socket:
        call = current_call()
        addresses = self._resolve()
        for address in addresses:
            call.check(self.host, self.port, address)
        sock = self._connect(addresses, call)
        call.watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:  # connected: pooled (any fetch may reuse it) or fresh TLS
            call = current_call()
            if self._peer is not None:
                call.check(self.host, self.port, self._peer)
            call.watch(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]

    def _resolve(self) -> list[str]:
        try:
            infos = socket.getaddrinfo(
                self._dns_host, self.port, allowed_gai_family(), socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as error:  # UnicodeError: not a valid host name
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    def _connect(self, addresses: list[str], call: Call) -> socket.socket:
        """Connect to the first checked address that answers; never look the name up again.

        Like urllib3, try the next address when one fails or times out (a host whose IPv6 is
        unreachable), but never past the fetch's deadline.
        """
        error: OSError | None = None
        for address in addresses:
            timeout = self.timeout
            if isinstance(timeout, int | float):
                timeout = min(timeout, call.remaining())
            if timeout == 0:
                break
            try:
                sock = create_connection(
                    (address, self.port),
                    timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as failure:
                error = failure
                continue
            self._peer = address
            return sock
        if error is None or isinstance(error, TimeoutError):
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from error
        message = f"Failed to establish a new connection: {error}"
        raise NewConnectionError(cast(HTTPConnection, self), message) from error


class GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose every connection is guarded (see the module doc)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }
