"""OPML feed lists (``watcher.parse.opml``): nested categories, hostile XML, OPML 2.0 out."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from watcher.parse.opml import OPML_MAX, OpmlError, OpmlFeed, parse_opml, render_opml

READER_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by a feed reader -->
<opml version="1.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="AI" title="AI">
      <outline type="rss" text="WIRED AI" title="WIRED AI"
               xmlUrl="https://www.wired.com/feed/tag/ai/latest/rss" htmlUrl="https://www.wired.com/"/>
      <outline text="Labs">
        <outline type="rss" text="OpenAI News" xmlUrl="https://openai.com/news/rss.xml"/>
      </outline>
    </outline>
    <outline type="rss" text="&#x627;&#x644;&#x62C;&#x632;&#x64A;&#x631;&#x629;"
             xmlurl="https://www.aljazeera.net/aljazeerarss/a7c186be/rss"/>
    <outline text="A bookmark, not a feed" url="https://example.org/"/>
  </body>
</opml>
"""


def test_feeds_are_read_at_any_depth_with_their_titles() -> None:
    assert parse_opml(READER_EXPORT) == [
        OpmlFeed(
            "WIRED AI", "https://www.wired.com/feed/tag/ai/latest/rss", "https://www.wired.com/"
        ),
        OpmlFeed("OpenAI News", "https://openai.com/news/rss.xml"),
        OpmlFeed("الجزيرة", "https://www.aljazeera.net/aljazeerarss/a7c186be/rss"),
    ]


def test_what_is_written_reads_back_the_same() -> None:
    feeds = parse_opml(READER_EXPORT)
    created = datetime(2024, 5, 18, 9, 0, tzinfo=UTC)
    written = render_opml(feeds, title="watcher sources", created=created)
    assert written.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<opml version=\"2.0\">")
    assert "<dateCreated>Sat, 18 May 2024 09:00:00 GMT</dateCreated>" in written
    assert parse_opml(written.encode()) == feeds


def test_control_characters_in_a_title_do_not_break_the_document() -> None:
    written = render_opml(
        [OpmlFeed("bad\x00\x1b title", "https://example.org/f")],
        title="t",
        created=datetime(2024, 5, 18, tzinfo=UTC),
    )
    assert parse_opml(written.encode()) == [OpmlFeed("bad title", "https://example.org/f")]


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10)
        for i in range(1, 10)
    )
    + b']><opml><body><outline text="&a9;" xmlUrl="https://x.org/&a9;"/></body></opml>'
)
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b'<opml><body><outline text="&e;" xmlUrl="https://x.org/f"/></body></opml>'
)
REMOTE_DTD = (
    b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "http://127.0.0.1:9/opml.dtd">'
    b'<opml><body><outline text="t" xmlUrl="https://x.org/f"/></body></opml>'
)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (LAUGHS, "not valid XML"),
        (EXTERNAL, "not valid XML"),
        (b"<rss><channel/></rss>", "not an OPML file"),
        (b"<opml><body>", "not valid XML"),
        (b"", "not valid XML"),
        (b" " * (OPML_MAX + 1), "larger than"),
    ],
)
def test_hostile_or_wrong_files_are_refused_quickly(data: bytes, reason: str) -> None:
    started = time.process_time()
    with pytest.raises(OpmlError, match=reason):
        parse_opml(data)
    assert time.process_time() - started < 5


def test_a_doctype_pointing_elsewhere_is_not_fetched() -> None:
    assert parse_opml(REMOTE_DTD) == [OpmlFeed("t", "https://x.org/f")]
