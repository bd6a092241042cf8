"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).

feedparser 6.0.x returns nothing for JSON, so this small path maps the spec's fields itself.
1.0's single ``author`` and 1.1's ``authors`` list are both read; ``url`` (the item's own page)
is the link, ``external_url`` (the page it comments on) only when there is no ``url``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from watcher.model import Entry, ParsedFeed
from watcher.parse.dates import date_text, parse_date
from watcher.parse.feed import MAX_ENTRIES, absolute, usable_link

JSON_FEED_VERSION = "https://jsonfeed.org/version/"


class NotJsonFeedError(ValueError):
    """The body is not JSON, or JSON that is not a feed; the message says which."""


def parse_json_feed(body: bytes, *, url: str) -> ParsedFeed:
    """Parse a JSON Feed body (UTF-8/16/32, as RFC 8259 allows); raise ``NotJsonFeedError``."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise NotJsonFeedError(f"not a feed: invalid JSON ({_short(error)})") from None
    if not isinstance(document, dict) or not (
        str(document.get("version", "")).startswith(JSON_FEED_VERSION)
        or isinstance(document.get("items"), list)
    ):
        raise NotJsonFeedError("not a feed: JSON without a JSON Feed 'version' or 'items' list")
    items = document.get("items")
    items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    notes = []
    if len(items) > MAX_ENTRIES:
        notes.append(f"only the first {MAX_ENTRIES} entries were read")
    feed_language = _text(document.get("language"))
    feed_author = _author(document)
    next_url = _text(document.get("next_url"))
    return ParsedFeed(
        entries=[_entry(item, feed_language, feed_author) for item in items[:MAX_ENTRIES]],
        title=_text(document.get("title")),
        link=_text(document.get("home_page_url")),
        language=_primary(feed_language),
        warning="; ".join(notes) or None,
        next_page=absolute(url, next_url),
    )


def _entry(item: dict[str, Any], feed_language: str | None, feed_author: str | None) -> Entry:
    """One item; the feed's language and authors stand in for the item's own, as the spec says."""
    guid = item.get("id")
    texts = (_text(item.get("date_published")), _text(item.get("date_modified")))
    published, updated = _datetime(texts[0]), _datetime(texts[1])
    return Entry(
        guid=str(guid).strip() or None if isinstance(guid, str | int) else None,
        link=usable_link(_text(item.get("url")) or _text(item.get("external_url"))),
        title=_text(item.get("title")),
        summary=_text(item.get("summary")),
        content=_text(item.get("content_html")) or _text(item.get("content_text")),
        author=_author(item) or feed_author,
        published=published,
        updated=updated,
        language=_primary(_text(item.get("language")) or feed_language),
        date_text=date_text(published, updated, texts),
    )


def _author(item: dict[str, Any]) -> str | None:
    """1.1's ``authors`` names, else 1.0's ``author`` name, of an item or of the feed."""
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else [item.get("author")]
    names = [_text(a.get("name")) for a in candidates if isinstance(a, dict)]
    return ", ".join(name for name in names if name) or None


def _datetime(value: str | None) -> datetime | None:
    """RFC 3339 as the spec requires, else whatever ``parse_date`` reads; naive (read in the
    source's zone) when no zone is written."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except (ValueError, OverflowError):
        return parse_date(value)
    return parsed if parsed.tzinfo is None else parsed.astimezone(UTC)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _primary(tag: str | None) -> str | None:
    return tag.split("-")[0].split("_")[0].strip().lower() or None if tag else None


def _short(error: Exception) -> str:
    return str(error)[:120] or error.__class__.__name__
