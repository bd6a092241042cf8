"""Archived X posts: find the post in one raw Wayback capture, whatever era of markup it is.

X has changed its pages many times, and the archive kept every version. In order of trust:

1. ``og:description`` (``“TEXT”`` in curly quotes, entities encoded once more), served to
   crawlers from about 2011 on;
2. ``twitter:description``, the same text on some pages that lack the Open Graph tag;
3. the ``<title>``: ``NAME on X: "TEXT" / X`` (``on Twitter`` before mid-2023);
4. the old server-rendered permalink markup (until 2020): the tweet ``div`` carrying
   ``data-tweet-id`` and its ``p.tweet-text`` (emoji as ``<img alt>``, links with
   ``data-expanded-url``); it also says whether the post is a reply or a retweet;
5. JSON captures of the API (``text``, ``full_text``, ``data.text``).

A profile page (its bio in ``og:description``) is never a post, and a JavaScript-only shell
holds no post: both yield None, quietly. A text cut short with ``…`` is marked ``truncated``
so that a fuller capture of the same post replaces it later.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.html
from lxml.etree import ParserError, _Element

from watcher.model import Entry, StatusRef, status_ref

TWITTER_EPOCH_MS = 1288834974657
FIRST_SNOWFLAKE = 29_700_859_247  # the first id after the switch to snowflakes (Nov 2010)
ELLIPSIS = "…"

_TITLE_POST = re.compile(
    r"^(?P<name>.+?) on (?:X|Twitter): [\"“](?P<text>.*)[\"”](?:\s*/\s*(?:X|Twitter))?\s*$",
    re.DOTALL,
)
_TITLE_PROFILE = re.compile(r"\(@[A-Za-z0-9_]{1,30}\)\s*(?:/|\|)\s*(?:X|Twitter)\s*$")


@dataclass(frozen=True, slots=True)
class Post:
    """What one capture says about one post. ``None`` flags mean "the capture does not say"."""

    status_id: str
    handle: str
    text: str
    name: str | None = None
    truncated: bool = False
    reply: bool | None = None
    repost: bool | None = None
    language: str | None = None
    published: datetime | None = None


def snowflake_time(status_id: str | int) -> datetime | None:
    """When a post was made, from its id: ``(id >> 22) + 1288834974657`` ms since the epoch.

    Ids from before November 2010 are plain counters and carry no time: None.
    """
    number = int(status_id)
    if number < FIRST_SNOWFLAKE:
        return None
    millis = (number >> 22) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def extract_post(body: bytes, *, url: str, content_type: str | None = None) -> Post | None:
    """The post in a raw capture of ``url`` (a status URL), or None when it holds none."""
    ref = status_ref(url)
    if ref is None or not body.strip():
        return None
    if _is_json(body, content_type):
        return _from_json(body, ref)
    return _from_html(body, ref, content_type)


# --- HTML ---------------------------------------------------------------------------------------


def _from_html(body: bytes, ref: StatusRef, content_type: str | None) -> Post | None:
    try:
        document = lxml.html.document_fromstring(_decode(body, content_type))
    except (ParserError, ValueError):
        return None
    meta = _meta(document)
    title = " ".join((document.findtext(".//title") or "").split())
    if _is_other_page(meta, title, ref):
        return None
    legacy = _legacy_tweet(document, ref.status_id)
    titled = _TITLE_POST.match(title)
    candidates = [
        _unquote(meta.get("og:description")),
        _unquote(meta.get("twitter:description")),
        html.unescape(titled["text"]) if titled else None,
        _legacy_text(legacy) if legacy is not None else None,
    ]
    text = _best_text([c for c in candidates if c])
    if text is None:
        return None
    handle = _page_handle(meta, legacy) or ref.handle
    return Post(
        status_id=ref.status_id,
        handle=handle,
        text=text,
        name=_page_name(meta, titled, legacy),
        truncated=text.endswith(ELLIPSIS),
        reply=_legacy_reply(legacy) if legacy is not None else _starts_with_mention(text),
        repost=_legacy_repost(legacy) if legacy is not None else _is_retweet_text(text),
        language=_legacy_language(legacy),
        published=_legacy_time(legacy),
    )


def _decode(body: bytes, content_type: str | None) -> str:
    """Bytes → text by the declared charset, else UTF-8 (what X has always served)."""
    match = re.search(r"charset=([\w.-]+)", content_type or "", re.IGNORECASE)
    try:
        return body.decode(match[1] if match else "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _meta(document: _Element) -> dict[str, str]:
    """``<meta property|name=… content=…>`` as a dict, first occurrence wins."""
    found: dict[str, str] = {}
    for element in document.iter("meta"):
        name = (element.get("property") or element.get("name") or "").strip().lower()
        content = element.get("content")
        if name and content is not None:
            found.setdefault(name, content)
    return found


def _is_other_page(meta: dict[str, str], title: str, ref: StatusRef) -> bool:
    """A profile page, or a page about another post: its description is not this post."""
    if meta.get("og:type", "").lower() == "profile":
        return True
    canonical = meta.get("og:url")
    if canonical:
        other = status_ref(canonical)
        if other is None or other.status_id != ref.status_id:
            return True
    return bool(_TITLE_PROFILE.search(title)) and not _TITLE_POST.match(title)


def _unquote(value: str | None) -> str | None:
    """``“TEXT”`` → ``TEXT``, entities that survived one decoding decoded, spaces tidied."""
    if value is None:
        return None
    text = html.unescape(value.strip())
    if len(text) >= 2 and text[0] in '“"' and text[-1] in '”"':
        text = text[1:-1]
    elif text.startswith("“") and text.endswith(ELLIPSIS):
        text = text[1:]
    return text.strip() or None


def _best_text(candidates: list[str]) -> str | None:
    """The first candidate, unless it is cut short and a later one is fuller."""
    if not candidates:
        return None
    first = candidates[0]
    if first.endswith(ELLIPSIS):
        fuller = [c for c in candidates[1:] if not c.endswith(ELLIPSIS) and len(c) >= len(first)]
        if fuller:
            return fuller[0]
    return first


def _page_handle(meta: dict[str, str], legacy: _Element | None) -> str | None:
    """The author's handle as the page states it (X shows any post under any handle's URL)."""
    if legacy is not None and legacy.get("data-screen-name"):
        return legacy.get("data-screen-name")
    canonical = status_ref(meta.get("og:url", ""))
    return canonical.handle if canonical else None


def _page_name(
    meta: dict[str, str], titled: re.Match[str] | None, legacy: _Element | None
) -> str | None:
    if legacy is not None and legacy.get("data-name"):
        return legacy.get("data-name")
    if titled:
        return titled["name"].strip()
    og_title = meta.get("og:title", "")
    match = re.match(r"^(.+?) on (?:X|Twitter)\b", og_title)
    return match[1] if match else None


def _starts_with_mention(text: str) -> bool | None:
    """A post that opens with an @mention is a reply on X; otherwise the page does not say."""
    return True if re.match(r"^@[A-Za-z0-9_]{1,30}\b", text) else None


def _is_retweet_text(text: str) -> bool | None:
    return True if text.startswith("RT @") else None


# --- the old server-rendered permalink page ------------------------------------------------------


def _legacy_tweet(document: _Element, status_id: str) -> _Element | None:
    """The permalink tweet's container (the page also lists replies: pick by id)."""
    for element in document.xpath("//*[@data-tweet-id]"):
        if element.get("data-tweet-id") == status_id:
            return element
    return None


def _legacy_text_element(tweet: _Element) -> _Element | None:
    found = tweet.xpath(".//p[contains(concat(' ', normalize-space(@class), ' '), ' tweet-text ')]")
    return found[0] if found else None


def _legacy_text(tweet: _Element) -> str | None:
    paragraph = _legacy_text_element(tweet)
    if paragraph is None:
        return None
    text = re.sub(r"[ \t]+", " ", "".join(_visible_text(paragraph))).strip()
    return text or None


def _visible_text(element: _Element) -> list[str]:
    """Text as shown: emoji from ``alt``, links expanded, hidden media links dropped."""
    parts: list[str] = []
    if element.tag == "img":
        parts.append(element.get("alt") or "")
    elif "u-hidden" in (element.get("class") or "").split():
        pass
    elif element.tag == "a" and element.get("data-expanded-url"):
        parts.append(element.get("data-expanded-url") or "")
    elif element.tag == "br":
        parts.append("\n")
    else:
        parts.append(element.text or "")
        for child in element:
            parts.extend(_visible_text(child))
            parts.append(child.tail or "")
    return parts


def _legacy_reply(tweet: _Element) -> bool:
    if tweet.get("data-has-parent-tweet") == "true" or tweet.get("data-is-reply-to") == "true":
        return True
    conversation = tweet.get("data-conversation-id")
    if conversation and conversation != tweet.get("data-tweet-id"):
        return True
    return bool(tweet.xpath(".//*[contains(@class, 'ReplyingToContextBelowAuthor')]"))


def _legacy_repost(tweet: _Element) -> bool:
    return bool(tweet.get("data-retweet-id") or tweet.get("data-retweeter"))


def _legacy_language(tweet: _Element | None) -> str | None:
    paragraph = _legacy_text_element(tweet) if tweet is not None else None
    return paragraph.get("lang") if paragraph is not None else None


def _legacy_time(tweet: _Element | None) -> datetime | None:
    """``data-time`` (seconds): the only date an id from before snowflakes has."""
    if tweet is None:
        return None
    for element in tweet.xpath(".//*[@data-time]"):
        value = element.get("data-time", "")
        if value.isdigit():
            return datetime.fromtimestamp(int(value), tz=UTC)
    return None


# --- JSON captures of the API -------------------------------------------------------------------


def _is_json(body: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type.lower():
        return True
    return body.lstrip()[:1] in (b"{", b"[")


def _from_json(body: bytes, ref: StatusRef) -> Post | None:
    """API v1.1 and syndication (``text``/``full_text``), and v2 (``data.text``)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("data"), dict):
        return _from_v2(document, ref)
    return _from_v1(document, ref)


def _from_v1(tweet: dict[str, Any], ref: StatusRef) -> Post | None:
    text = tweet.get("full_text") or tweet.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    user: dict[str, Any] = tweet["user"] if isinstance(tweet.get("user"), dict) else {}
    text = html.unescape(text).strip()
    return Post(
        status_id=str(tweet.get("id_str") or ref.status_id),
        handle=user.get("screen_name") or ref.handle,
        text=text,
        name=user.get("name"),
        truncated=bool(tweet.get("truncated")) or text.endswith(ELLIPSIS),
        reply=bool(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id")),
        repost="retweeted_status" in tweet or text.startswith("RT @"),
        language=tweet.get("lang"),
        published=_api_time(tweet.get("created_at")),
    )


def _from_v2(document: dict[str, Any], ref: StatusRef) -> Post | None:
    data = document["data"]
    note = data.get("note_tweet") if isinstance(data.get("note_tweet"), dict) else {}
    text = note.get("text") or data.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    users = (document.get("includes") or {}).get("users") or []
    author: dict[str, Any] = next(
        (u for u in users if isinstance(u, dict) and u.get("id") == data.get("author_id")), {}
    )
    kinds = {r.get("type") for r in data.get("referenced_tweets") or [] if isinstance(r, dict)}
    text = html.unescape(text).strip()
    return Post(
        status_id=str(data.get("id") or ref.status_id),
        handle=author.get("username") or ref.handle,
        text=text,
        name=author.get("name"),
        truncated=text.endswith(ELLIPSIS),
        reply="replied_to" in kinds,
        repost="retweeted" in kinds,
        language=data.get("lang"),
        published=_api_time(data.get("created_at")),
    )


def _api_time(value: Any) -> datetime | None:
    """``Fri May 17 15:57:33 +0000 2024`` (v1.1) or ISO 8601 (v2)."""
    if not isinstance(value, str):
        return None
    for parse in (
        lambda v: datetime.strptime(v, "%a %b %d %H:%M:%S %z %Y"),
        lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")),
    ):
        try:
            return parse(value).astimezone(UTC)
        except ValueError:
            continue
    return None


# --- Post → Entry -------------------------------------------------------------------------------


def post_entry(post: Post, *, by: str | None, capture_url: str | None = None) -> Entry:
    """The pipeline's ``Entry`` for a post: identity ``x:<id>``, time from the id, author ``by``.

    The content is the text as escaped HTML (line breaks kept), like any feed's; the title is
    left to the normaliser, as for every post without one.
    """
    published = snowflake_time(post.status_id) or post.published
    extra: dict[str, Any] = {
        "key": f"x:{post.status_id}",
        "status_id": post.status_id,
        "truncated": post.truncated,
    }
    if by is not None:
        extra["by"] = by
    if post.reply is not None:
        extra["reply"] = post.reply
    if post.repost is not None:
        extra["repost"] = post.repost
    if post.name:
        extra["author_name"] = post.name
    if capture_url:
        extra["archived_at"] = capture_url
    return Entry(
        guid=extra["key"],
        link=StatusRef(post.handle, post.status_id).url,
        content=html.escape(post.text).replace("\n", "<br>\n"),
        author=f"@{post.handle}",
        published=published,
        language=post.language,
        extra=extra,
    )
