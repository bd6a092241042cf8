"""Hostile server behaviours, as route handlers for ``RawServer``: endless bodies, a gzip
bomb, one byte a second, redirects. Large bodies are generated on the fly, never committed."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from functools import cache
from http.server import BaseHTTPRequestHandler

from tests.reliability.conftest import send_body
from tests.reliability.feeds import rss

MB = 1_000_000
Handler = Callable[[BaseHTTPRequestHandler], None]


def endless(chunk: bytes, total: int, *, declare: bool) -> Handler:
    """Stream ``total`` bytes of ``chunk`` repeated, with or without a Content-Length."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        if declare:
            handler.send_header("Content-Length", str(total))
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>')
        sent = 0
        while sent < total and not handler.server.stopping.is_set():  # type: ignore[attr-defined]
            handler.wfile.write(chunk)
            sent += len(chunk)

    return respond


ITEM_CHUNK = b"<item><title>Leike filler</title><link>https://news.example/f</link></item>" * 800


@cache
def gzip_bomb() -> bytes:
    """About 1 MB on the wire, 1 GB once inflated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    block = bytes(MB)
    parts = [compressor.compress(b'<?xml version="1.0"?><rss version="2.0"><channel>')]
    parts += [compressor.compress(block) for _ in range(1000)]
    parts.append(compressor.flush())
    return b"".join(parts)


def one_byte_a_second(handler: BaseHTTPRequestHandler) -> None:
    body = rss([("Leike slowly", "https://news.example/slow", "slow")])
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    for byte in body:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        if handler.server.stopping.wait(1):  # type: ignore[attr-defined]
            return


def redirect(location: str) -> Handler:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return respond


def gzip_bombing(handler: BaseHTTPRequestHandler) -> None:
    send_body(handler, gzip_bomb(), "application/rss+xml", Content_Encoding="gzip")
