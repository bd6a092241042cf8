"""Feed bodies for the reliability suite: well-formed ones, and the hostile ones of issue 7.

Large bodies are generated here at test time, never committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import escape


def rss(
    entries: Iterable[tuple[str, str, str]],
    *,
    title: str = "Feed",
    dates: Iterable[str] | None = None,
    encoding: str = "utf-8",
) -> bytes:
    """An RSS 2.0 body from (title, link, description) triples, text escaped."""
    dates = list(dates or [])
    items = []
    for index, (entry_title, link, description) in enumerate(entries):
        date = dates[index] if index < len(dates) else "Sat, 18 May 2024 06:00:00 GMT"
        items.append(
            f"<item><title>{escape(entry_title)}</title><link>{escape(link)}</link>"
            f"<guid>{escape(link)}</guid><description>{escape(description)}</description>"
            f"<pubDate>{date}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode(encoding)
