"""The SSRF guard: redirects to private addresses are refused; configured hosts stay allowed.

Test servers live on loopback, which is private: every feed here is *configured* on a private
host (allowed), and the refusals come from redirects to another host name or address.
"""

from __future__ import annotations

import os
import posix
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from watcher.errors import FetchError
from watcher.fetch import Fetcher, guard
from watcher.fetch.guard import Call, is_public

from .conftest import RawServer

MakeFetcher = Callable[..., Fetcher]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("10.0.0.5", False),
        ("172.16.0.1", False),
        ("172.31.255.255", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:10.0.0.5", False),  # IPv4-mapped
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:5", False),  # NAT64 around 10.0.0.5
        ("64:ff9b::808:808", True),  # NAT64 around 8.8.8.8
        ("::7f00:1", False),  # IPv4-compatible (deprecated) 127.0.0.1
        ("fec0::1", False),  # site-local (deprecated)
        ("ff02::1", False),  # multicast
        ("2001:db8::1", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("240.0.0.1", False),  # reserved
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(address) is public


def _redirect(server: RawServer, path: str, location: str) -> str:
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    server.routes[path] = handler
    return server.url(path)


def _feed(server: RawServer, path: str = "/feed") -> None:
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Length", "4")
        request.end_headers()
        request.wfile.write(b"feed")

    server.routes[path] = handler


def refusal(fetcher: Fetcher, url: str) -> str:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url, source_id="src")
    return caught.value.reason


def test_a_directly_configured_private_host_is_allowed(
    make_fetcher: MakeFetcher, raw_server: RawServer
) -> None:
    _feed(raw_server)
    assert make_fetcher().get(raw_server.url("/feed"), source_id="s").body == b"feed"
    localhost = raw_server.url("/feed", host="localhost")
    assert make_fetcher().get(localhost, source_id="s").body == b"feed"


def test_redirects_within_the_configured_private_host_are_allowed(
    make_fetcher: MakeFetcher, raw_server: RawServer
) -> None:
    _feed(raw_server)
    start = _redirect(raw_server, "/old", "/feed")
    assert make_fetcher().get(start, source_id="s").body == b"feed"


def test_redirect_to_another_private_address_is_refused(
    make_fetcher: MakeFetcher, raw_server: RawServer, other_loopback_server: RawServer
) -> None:
    _feed(other_loopback_server)
    start = _redirect(raw_server, "/jump", other_loopback_server.url("/feed"))
    configured = start.replace("127.0.0.1", "localhost")
    assert refusal(make_fetcher(), configured) == (
        "refused: redirects to a private address 127.0.0.2 "
        "(set allow_private_networks: true to allow)"
    )


def test_allow_private_networks_allows_the_redirect(
    make_fetcher: MakeFetcher, raw_server: RawServer, other_loopback_server: RawServer
) -> None:
    _feed(other_loopback_server)
    start = _redirect(raw_server, "/jump", other_loopback_server.url("/feed"))
    result = make_fetcher(allow_private_networks=True).get(start, source_id="s")
    assert result.body == b"feed"
    assert result.final_url == other_loopback_server.url("/feed")


@pytest.mark.parametrize(
    ("location", "address"),
    [
        ("http://10.0.0.5/admin", "10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:8080/", "::1"),
        ("http://192.168.1.1/", "192.168.1.1"),
        ("http://172.16.0.1/", "172.16.0.1"),
        ("http://[fc00::1]/", "fc00::1"),
    ],
)
def test_redirects_to_private_networks_are_refused_before_connecting(
    make_fetcher: MakeFetcher, raw_server: RawServer, location: str, address: str
) -> None:
    start = _redirect(raw_server, "/jump", location)
    reason = refusal(make_fetcher(), start)
    assert reason.startswith(f"refused: redirects to a private address {address} ")


def test_the_same_server_under_another_name_is_not_the_configured_host(
    make_fetcher: MakeFetcher, raw_server: RawServer
) -> None:
    """Only the configured host (and port) is exempt, not whatever shares its address."""
    _feed(raw_server)
    start = _redirect(raw_server, "/jump", raw_server.url("/feed", host="localhost"))
    assert refusal(make_fetcher(), start).startswith(
        "refused: redirects to a private address 127.0.0.1 (localhost)"
    )


def test_a_public_name_resolving_to_a_private_address_is_refused(
    make_fetcher: MakeFetcher, raw_server: RawServer, fake_dns: dict[str, list[str]]
) -> None:
    """The check is on the resolved address, not on the host name's text."""
    _feed(raw_server)
    fake_dns["feeds.example"] = ["127.0.0.1"]
    start = _redirect(raw_server, "/jump", raw_server.url("/feed", host="feeds.example"))
    assert refusal(make_fetcher(), start).startswith(
        "refused: redirects to a private address 127.0.0.1 (feeds.example)"
    )
    configured = raw_server.url("/feed", host="feeds.example")  # a self-hosted name: allowed
    assert make_fetcher().get(configured, source_id="s").body == b"feed"


def test_a_name_with_any_private_address_is_refused(
    make_fetcher: MakeFetcher, raw_server: RawServer, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["mixed.example"] = ["93.184.216.34", "10.1.2.3"]
    start = _redirect(raw_server, "/jump", "http://mixed.example/feed")
    assert refusal(make_fetcher(), start).startswith(
        "refused: redirects to a private address 10.1.2.3 (mixed.example)"
    )


def test_a_pooled_connection_is_checked_again_when_reused(
    make_fetcher: MakeFetcher, raw_server: RawServer
) -> None:
    """Source A opens (and pools) a connection to its configured private host; source B,
    redirected there, must not slip through on that pooled connection."""
    _feed(raw_server)
    fetcher = make_fetcher()
    trusted = raw_server.url("/feed", host="localhost")
    assert fetcher.get(trusted, source_id="a").body == b"feed"
    start = _redirect(raw_server, "/jump", trusted)
    assert refusal(fetcher, start).startswith("refused: redirects to a private address")
    assert fetcher.get(trusted, source_id="a").body == b"feed"


def test_ipv6_loopback_configured_directly_is_allowed_but_not_by_redirect(
    make_fetcher: MakeFetcher, raw_server: RawServer, ipv6_loopback_server: RawServer
) -> None:
    _feed(ipv6_loopback_server)
    configured = ipv6_loopback_server.url("/feed")
    assert configured.startswith("http://[::1]:")
    assert make_fetcher().get(configured, source_id="s").body == b"feed"
    start = _redirect(raw_server, "/jump", configured)
    assert refusal(make_fetcher(), start).startswith("refused: redirects to a private address ::1 ")


def _blocked_read(call: Call) -> bytes:
    """A read on a socket the call watches, blocked until the call's deadline shuts it."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(30)  # a safety net for a broken watchdog, far beyond the deadlines
        call.watch(ours)
        return ours.recv(1)


def test_every_deadline_is_kept_by_one_shared_watchdog_thread() -> None:
    """Many fetches in flight arm one thread between them; an earlier deadline armed after a
    later one still fires first, and a fetch that ended is never shut down."""
    late, early, ended = Call(seconds=600), Call(seconds=0.05), Call(seconds=0.01)
    for call in (late, early, ended):
        call.start()
    with ended:
        pass
    assert _blocked_read(early) == b""
    assert early.expired and not late.expired and not ended.expired
    watchdogs = [t for t in threading.enumerate() if t.name == "watcher-fetch-deadlines"]
    assert len(watchdogs) == 1


def test_a_forked_child_keeps_no_deadline_of_its_parent() -> None:
    """A child must never shut sockets its parent's fetches registered (the descriptors are
    shared); it starts its own watchdog when it fetches."""
    parent = Call(seconds=600)
    parent.start()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child reports what its watchdog holds, then leaves at once
        os.write(write, str(len(guard._WATCHDOG._due)).encode())
        posix._exit(0)  # os._exit is refused inside tests (conftest); a child must not go on
    os.close(write)
    try:
        assert os.read(read, 16) == b"0"
    finally:
        os.close(read)
        os.waitpid(child, 0)
