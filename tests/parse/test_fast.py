"""The fast path's refusals (feedparser reads those bodies) and a few bodies it must accept."""

from __future__ import annotations

import pytest

from watcher.parse.fast import NotForFastPathError, parse_fast
from watcher.parse.feed import parse_prepared, prepare_xml

from .conftest import FEED_URL, rss

ATOM_XHTML = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar"><title>T</title>
<link rel="alternate" href="https://example.org/"/><id>tag:example.org,2024:feed</id>
<entry><title type="html">A &amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt; title</title>
<id>tag:example.org,2024:1</id><link rel="alternate" type="text/html" href="/posts/1"/>
<updated>2024-05-01T08:00:00+02:00</updated><author><name>Jan</name></author>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>One<br/>two &amp; <b
 class="x">three</b></p></div></content></entry></feed>"""

ARABIC_RSS = rss(
    "<item><title>وزير الخارجية</title><link>https://example.org/1</link>"
    '<guid isPermaLink="false">https://example.org/id/1</guid>'
    "<pubDate>Wed, 01 May 2024 08:00:00 GMT</pubDate>"
    "<description>&lt;p&gt;نص&lt;/p&gt;</description>"
    "<content:encoded><![CDATA[<p>نص <a href='/x'>كامل</a></p>]]></content:encoded></item>"
).replace(
    '<rss version="2.0">',
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
)


def _fast(body: bytes):
    return parse_fast(prepare_xml(body), url=FEED_URL)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (rss("<item><title>&ent;</title></item>",
             declaration='<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY ent "x">]>'), "DOCTYPE"),
        (rss("<item><title>x</title></item>",
             declaration='<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
                         '"http://my.netscape.com/publish/formats/rss-0.91.dtd">'), "DOCTYPE"),
        (rss("<item><title>Fish & chips</title></item>"), "repaired"),
        (rss("<item><title>unclosed</item>"), "repaired"),
        ('<?xml version="1.0"?><config><a>1</a></config>', "root"),
        ('<feed xmlns="http://purl.org/atom/ns#"><title>0.3</title></feed>', "root"),
        (rss('<item xml:base="https://other.example/"><link>one</link></item>')
         .replace("<rss ", '<rss xmlns:x="urn:x" '), None),
        (rss("<item><title>x</title><source url='https://a.example/'>A</source>"
             "<media:title xmlns:media='http://search.yahoo.com/mrss/'>m</media:title></item>"),
         None),
        (rss("<item><description><p>unescaped</p></description></item>"), "markup"),
        ('<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="application/pdf">'
         "QUJD</content></entry></feed>", "content type"),
    ],
)  # fmt: skip
def test_what_the_fast_path_refuses_feedparser_reads(body, why):
    data = body.encode() if isinstance(body, str) else body
    try:
        fast = _fast(data)
    except NotForFastPathError as refusal:
        assert why is None or why.lower() in str(refusal).lower()
    else:
        assert why is None, "the fast path should have refused"
        assert fast == parse_prepared(prepare_xml(data), url=FEED_URL)


def test_entity_bomb_is_refused_before_expansion():
    bomb = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 9))
    body = rss(
        "<item><title>&l8;</title></item>",
        declaration=f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{bomb}]>',
    ).encode()
    with pytest.raises(NotForFastPathError):
        _fast(body)


@pytest.mark.parametrize("body", [ATOM_XHTML, ARABIC_RSS], ids=["atom-xhtml", "arabic-rss"])
def test_common_feeds_are_accepted_and_read_as_feedparser_reads_them(body):
    prepared = prepare_xml(body.encode())
    fast = parse_fast(prepared, url=FEED_URL)
    assert fast == parse_prepared(prepared, url=FEED_URL)
    assert fast.entries and fast.entries[0].content


def test_atom_xhtml_is_serialised_as_feedparser_does():
    entry = _fast(ATOM_XHTML.encode()).entries[0]
    assert entry.content == '<p>One<br></br>two &amp; <b class="x">three</b></p>'
    assert entry.title == "A &lt;b&gt;bold&lt;/b&gt; title"
    assert (entry.link, entry.author, entry.language) == ("/posts/1", "Jan", "ar")
