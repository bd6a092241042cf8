"""Decoding: BOMs, BOM-less UTF-16/32, undeclared and mis-declared code pages, broken UTF-8."""

from __future__ import annotations

import codecs

import pytest

from watcher.parse.feed import decode_xml

from .conftest import parse, rss

ARABIC_TITLE = "وزير الخارجية يلتقي نظيره الفرنسي في الرياض"
ARABIC_TEXT = "قال المتحدث باسم الوزارة إن اللقاء تناول العلاقات الثنائية والتعاون الاقتصادي"
ITEM = f"<item><title>{ARABIC_TITLE}</title><description>{ARABIC_TEXT}</description></item>"


@pytest.mark.parametrize(
    ("codec", "bom"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-8", codecs.BOM_UTF8),
    ],
)
@pytest.mark.parametrize("with_bom", [True, False])
@pytest.mark.parametrize("declared", [True, False])
def test_unicode_encodings_with_and_without_bom(codec, bom, with_bom, declared):
    declaration = '<?xml version="1.0" encoding="utf-16"?>' if declared else ""
    body = (bom if with_bom else b"") + rss(ITEM, declaration=declaration).encode(codec)
    feed = parse(body)
    assert feed.entries[0].title == ARABIC_TITLE


@pytest.mark.parametrize("declaration", ['<?xml version="1.0"?>', ""])
def test_undeclared_windows_1256_arabic_is_detected(declaration):
    feed = parse(rss(ITEM, declaration=declaration).encode("windows-1256"))
    assert feed.entries[0].title == ARABIC_TITLE


def test_windows_1256_arabic_declared_as_latin_1_is_detected():
    body = rss(ITEM, declaration='<?xml version="1.0" encoding="iso-8859-1"?>')
    feed = parse(body.encode("windows-1256"))
    assert feed.entries[0].title == ARABIC_TITLE
    assert "declared iso8859-1 but decoded as cp1256" in (feed.warning or "")


def test_windows_1256_arabic_declared_by_http_charset_only():
    feed = parse(rss(ITEM, declaration="").encode("windows-1256"), "text/xml; charset=windows-1256")
    assert feed.entries[0].title == ARABIC_TITLE


def test_utf8_declared_as_latin_1_is_read_as_utf8():
    body = rss(ITEM, declaration='<?xml version="1.0" encoding="iso-8859-1"?>').encode("utf-8")
    assert parse(body, "application/rss+xml; charset=iso-8859-1").entries[0].title == ARABIC_TITLE


def test_real_latin_1_stays_latin_1():
    text = "Ça va très bien: élève, garçon, naïve, déjà vu"
    item = f"<item><title>{text}</title><description>{text} {text}</description></item>"
    body = rss(item, declaration='<?xml version="1.0" encoding="iso-8859-1"?>').encode("latin-1")
    feed = parse(body)
    assert feed.entries[0].title == text
    assert feed.warning is None


def test_text_xml_without_charset_is_not_read_as_ascii():
    body = rss(ITEM).encode("utf-8")
    assert parse(body, "text/xml").entries[0].title == ARABIC_TITLE


def test_invalid_utf8_bytes_do_not_lose_the_feed():
    body = rss("<item><title>caf\xe9 ok</title><link>https://example.org/1</link></item>")
    broken = body.encode("utf-8").replace("é".encode(), b"\xff\xfe\xe9")
    feed = parse(broken)
    assert feed.entries[0].link == "https://example.org/1"
    assert feed.entries[0].title.startswith("caf")


def test_decode_xml_reports_nothing_for_plain_utf8():
    assert decode_xml(b"<rss/>") == ("<rss/>", [])


def test_arabic_utf8_with_a_few_broken_bytes_stays_utf8():
    body = rss(ITEM * 3).encode("utf-8")
    broken = body[:400] + b"\xff" + body[400:]
    feed = parse(broken)
    assert feed.entries[-1].title == ARABIC_TITLE
    assert "invalid UTF-8 bytes were replaced" in (feed.warning or "")


def test_windows_1256_arabic_declared_as_utf8_is_detected():
    feed = parse(rss(ITEM).encode("windows-1256"))
    assert feed.entries[0].title == ARABIC_TITLE
    assert "declared utf-8 but decoded as cp1256" in (feed.warning or "")


def test_short_arabic_declared_as_latin_1_is_caught_by_its_mojibake():
    body = rss(
        "<item><title>يان لايكه يستقيل</title><description>ويقول إن ثقافة السلامة تراجعت"
        "</description></item>",
        declaration='<?xml version="1.0" encoding="iso-8859-1"?>',
    )
    feed = parse(body.encode("windows-1256"))
    assert feed.entries[0].title == "يان لايكه يستقيل"


def test_undeclared_gb2312_with_low_chardet_confidence():
    item = "<item><title>不归移民漫画系列：专业工作</title></item>"
    feed = parse(rss(item, declaration="").encode("gb2312"))
    assert feed.entries[0].title == "不归移民漫画系列：专业工作"
