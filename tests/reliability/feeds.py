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


def entity_bomb() -> bytes:
    """Billion laughs: nine levels of ten references, 10⁹ "lol"s once expanded."""
    declarations = ['<!ENTITY lol0 "lol">']
    declarations += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return _with_doctype(
        "\n".join(declarations),
        "<item><title>Leike &lol9;</title><link>https://news.example/laughs</link>"
        "<description>&lol9;</description></item>",
    )


def external_entities(secret_file: str, dtd_url: str) -> bytes:
    """XXE: a general entity reading a local file, and a parameter entity loading a remote DTD."""
    declarations = (
        f'<!ENTITY xxe SYSTEM "{secret_file}">\n<!ENTITY % remote SYSTEM "{dtd_url}">\n%remote;'
    )
    return _with_doctype(
        declarations,
        "<item><title>Leike &xxe;</title><link>https://news.example/xxe</link>"
        "<description>before &xxe; after</description></item>",
    )


def _with_doctype(declarations: str, items: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{declarations}\n]>\n'
        '<rss version="2.0"><channel><title>hostile</title><link>https://news.example/</link>'
        f"{items}</channel></rss>"
    ).encode()


def many_entries(count: int) -> bytes:
    """One feed with ``count`` small entries."""
    head = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>'
    items = b"".join(
        b"<item><title>Entry %d</title><link>https://news.example/e/%d</link></item>" % (n, n)
        for n in range(count)
    )
    return head + items + b"</channel></rss>"


HOSTILE_HTML = (
    '<p onclick="steal()" onmouseover="steal()" style="width:expression(alert(1))">Jan Leike '
    "<script>alert('script')</script><SCRIPT SRC=https://evil.example/x.js></SCRIPT>"
    '<a href="javascript:alert(1)">js link</a> <a href="JaVaScRiPt&#58;alert(2)">js2</a> '
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgzKTwvc2NyaXB0Pg==">data link</a> '
    '<img src="https://tracker.example/pixel.gif?u=42" width="1" height="1"> '
    '<img src=x onerror="alert(4)"><svg onload="alert(5)"></svg>'
    '<iframe src="https://evil.example/frame"></iframe>'
    '<style>body{background:url("javascript:alert(6)")}</style>'
    '<div style="background-image:url(https://tracker.example/bg.gif)">said safety took a '
    "backseat.</div></p>"
)
