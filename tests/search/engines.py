"""Fake news-search engines on 127.0.0.1 that answer like the real ones.

Each engine searches a small corpus of ``Article``s by their *hidden* text too (``body``: real
engines search the whole article, while their answers carry only the title, or a snippet), so
an unrelated article that names someone in passing comes back, as it does for real. Answers
follow the real formats: GDELT DOC 2.0's JSON (and its plain-text refusals for a query it
cannot parse), Google News RSS (``news.google.com/rss/articles/ID`` links, ``<source url>``,
titles ending " - Outlet") and Bing News RSS (``apiclick.aspx`` links, ``News:Source``).
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ALL = frozenset({"gdelt", "google_news", "bing_news"})
LANGUAGE_CODES = {"English": "en", "Arabic": "ar"}


@dataclass
class Article:
    url: str
    title: str
    published: datetime
    outlet: str = "Example News"
    domain: str = "example.com"
    language: str = "English"  # as GDELT names it
    country: str = "United States"
    summary: str = ""  # Bing's snippet
    body: str = ""  # searched by the engines, never sent
    outlet_url: str = ""
    opaque: bool = False  # Google News: a new-style ID that hides the publisher's URL
    engines: frozenset[str] = ALL

    def searchable(self) -> str:
        return f"{self.title} {self.summary} {self.body}".casefold()


# --- answers --------------------------------------------------------------------------------


def gdelt_json(articles: Iterable[Article | dict[str, object]]) -> bytes:
    rows = []
    for article in map(_as_article, articles):
        rows.append(
            {
                "url": article.url,
                "url_mobile": "",
                "title": article.title,
                "seendate": article.published.strftime("%Y%m%dT%H%M%SZ"),
                "socialimage": f"https://{article.domain}/image.jpg",
                "domain": article.domain,
                "language": article.language,
                "sourcecountry": article.country,
            }
        )
    return json.dumps({"articles": rows}, ensure_ascii=False).encode()


def google_link_token(url: str) -> str:
    """An old-style Google News article ID: protobuf {1: 19, 4: url, 26: amp url}, base64."""
    data = url.encode()
    message = b"\x08\x13\x22" + _varint(len(data)) + data + b"\xd2\x01" + _varint(4) + b"amp/"
    return base64.urlsafe_b64encode(message).decode().rstrip("=")


def opaque_token(url: str) -> str:
    """A new-style ID: it holds an encrypted reference, not the URL."""
    inner = b"AU_yqL" + base64.urlsafe_b64encode(url.encode()[::-1])
    message = b"\x08\x13\x22" + _varint(len(inner)) + inner
    return base64.urlsafe_b64encode(message).decode().rstrip("=")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def google_rss(articles: Iterable[Article | dict[str, object]], *, base: str) -> bytes:
    items = []
    for article in map(_as_article, articles):
        token = opaque_token(article.url) if article.opaque else google_link_token(article.url)
        link = f"{base}/rss/articles/{token}?oc=5"
        title = article.title if " - " in article.title else f"{article.title} - {article.outlet}"
        items.append(
            f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
            f'<guid isPermaLink="false">{token}</guid>'
            f"<pubDate>{format_datetime(article.published, usegmt=True)}</pubDate>"
            f"<description>{escape(_google_description(link, article))}</description>"
            f'<source url="{escape(article.outlet_url or "https://" + article.domain)}">'
            f"{escape(article.outlet)}</source></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        "<generator>NFE/5.0</generator><title>Google News</title>"
        f"<link>{escape(base)}/search</link><language>en-US</language>"
        "<description>Google News</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def _google_description(link: str, article: Article) -> str:
    return (
        f'<a href="{link}" target="_blank">{escape(article.title)}</a>&nbsp;&nbsp;'
        f'<font color="#6f6f6f">{escape(article.outlet)}</font>'
    )


def bing_rss(articles: Iterable[Article | dict[str, object]]) -> bytes:
    items = []
    for index, article in enumerate(map(_as_article, articles)):
        link = (
            f"http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=66a{index}"
            f"&url={quote(article.url, safe='').lower()}&c=1234{index}&mkt=en-us"
        )
        items.append(
            f"<item><title>{escape(article.title)}</title><link>{escape(link)}</link>"
            f"<description>{escape(article.summary)}</description>"
            f"<pubDate>{format_datetime(article.published, usegmt=True)}</pubDate>"
            f"<News:Source>{escape(article.outlet)}</News:Source>"
            f"<News:Image>http://www.bing.com/th?id=OVFT.{index}&amp;pid=News</News:Image>"
            "</item>"
        )
    namespace = "https://www.bing.com:443/news/search?q=x&amp;format=rss"
    return (
        f'<?xml version="1.0" encoding="utf-8" ?><rss version="2.0" xmlns:News="{namespace}">'
        "<channel><title>BingNews</title><link>https://www.bing.com/news</link>"
        "<description>Search results</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def _as_article(given: Article | dict[str, object]) -> Article:
    if isinstance(given, Article):
        return given
    known = {k: v for k, v in given.items() if k in Article.__dataclass_fields__}
    return Article(**known)  # type: ignore[arg-type]


# --- the servers ----------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(near\d+:"[^"]*")|(-?)"([^"]*)"|([()])|(-?)([^\s()"]+))')


@dataclass
class Query:
    """A query in the engines' shared syntax: AND of OR-groups, -exclusions, sourcelang:."""

    groups: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    language: str | None = None
    bare_or: bool = False  # an OR outside parentheses (GDELT refuses it)

    @classmethod
    def parse(cls, text: str) -> Query:
        query = cls()
        group: list[str] | None = None
        for near, neg, phrase, paren, neg_word, word in _TOKEN.findall(text):
            term = near or phrase or word
            if paren == "(":
                group = []
            elif paren == ")":
                query.groups.append(group or [])
                group = None
            elif word == "OR" and not neg_word:
                query.bare_or = query.bare_or or group is None
            elif word.startswith("sourcelang:"):
                query.language = word.split(":", 1)[1]
            elif neg or neg_word:
                query.excluded.append(term)
            elif group is not None:
                group.append(term)
            else:
                query.groups.append([term])
        if query.bare_or:  # Google and Bing read a bare OR as one big group
            query.groups = [[term for group in query.groups for term in group]]
        return query

    def terms(self) -> list[str]:
        return [term for group in self.groups for term in group] + self.excluded

    def matches(self, article: Article) -> bool:
        text = article.searchable()
        if self.language and article.language.casefold() != self.language:
            return False
        found = [any(_contains(text, t) for t in group) for group in self.groups]
        return all(found) and not any(_contains(text, t) for t in self.excluded)


def _contains(text: str, term: str) -> bool:
    if term.startswith("near"):
        words = term.split(":", 1)[1].strip('"').split()
        return all(word.casefold() in text for word in words)
    return term.casefold() in text


@dataclass
class FakeEngines:
    """GDELT, Google News and Bing News on one local server (their paths do not collide)."""

    server: HTTPServer
    corpus: list[Article] = field(default_factory=list)
    asked: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    publishers: dict[str, str] = field(default_factory=dict)  # opaque token → redirect target
    gdelt_busy: int = 0  # answer this many GDELT requests with 429 first
    gdelt_refuse: str | None = None  # refuse queries containing this, as GDELT refuses

    def __post_init__(self) -> None:
        self.server.expect_request("/api/v2/doc/doc").respond_with_handler(self._gdelt)
        self.server.expect_request("/rss/search").respond_with_handler(self._google)
        self.server.expect_request("/news/search").respond_with_handler(self._bing)
        self.server.expect_request(re.compile(r"^/rss/articles/")).respond_with_handler(
            self._google_article
        )

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def queries(self, engine: str) -> list[str]:
        return [params.get("query") or params.get("q", "") for params in self.asked[engine]]

    def _found(self, engine: str, query: Query, language: str | None = None) -> list[Article]:
        found = [
            article
            for article in self.corpus
            if engine in article.engines
            and query.matches(article)
            and (language is None or LANGUAGE_CODES.get(article.language) == language)
        ]
        return sorted(found, key=lambda article: article.published, reverse=True)

    def _gdelt(self, request: Request) -> Response:
        params = dict(request.args)
        self.asked["gdelt"].append(params)
        if self.gdelt_busy:
            self.gdelt_busy -= 1
            return Response(
                "Please limit requests to one every 5 seconds or contact kalev.leetaru5@gmail.com "
                "for larger queries.",
                status=429,
                headers={"Retry-After": "5"},
            )
        text = params.get("query", "")
        query = Query.parse(text)
        if query.bare_or:
            return _text("Queries containing OR'd terms must be surrounded by ().")
        if len(text) > 250 or (self.gdelt_refuse and self.gdelt_refuse in text):
            return _text("Your query was too short or too long.")
        if len(text) > 250 or any(len(t.strip('"')) < 3 for t in query.terms()):
            return _text("Your query was too short or too long.")
        found = self._found("gdelt", query)
        if start := params.get("startdatetime"):
            since = datetime.strptime(start, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            found = [article for article in found if article.published >= since]
        if not found:
            return Response("{}", content_type="application/json")
        limit = int(params.get("maxrecords", "75"))
        return Response(gdelt_json(found[:limit]), content_type="application/json; charset=utf-8")

    def _google(self, request: Request) -> Response:
        params = dict(request.args)
        self.asked["google_news"].append(params)
        found = self._found("google_news", Query.parse(params.get("q", "")), params.get("hl"))
        return Response(google_rss(found, base=self.base_url), content_type="application/xml")

    def _bing(self, request: Request) -> Response:
        params = dict(request.args)
        self.asked["bing_news"].append(params)
        found = self._found("bing_news", Query.parse(params.get("q", "")), params.get("setlang"))
        return Response(bing_rss(found), content_type="application/rss+xml; charset=utf-8")

    def _google_article(self, request: Request) -> Response:
        """Today's Google answers an article link with a page of its own; a mirror may
        redirect (``publishers``)."""
        token = request.path.rsplit("/", 1)[-1]
        self.asked["google_article"].append({"token": token})
        if token in self.publishers:
            return Response(status=302, headers={"Location": self.publishers[token]})
        return Response(
            "<!doctype html><html><body>Google News</body></html>", content_type="text/html"
        )


def _text(message: str) -> Response:
    return Response(message, content_type="text/html; charset=utf-8")
