"""Normalise stage: a raw ``Entry`` → an ``Item`` with identity, clean text, UTC date, language.

Identity (``Item.key``), in order:

1. ``Entry.extra["key"]``, set by an earlier step for social or archived posts (``x:1790…``);
2. the canonical article URL (so the same article from two feeds or two polls is one item);
3. the GUID: a URL GUID canonicalised; a URI GUID (``tag:``, ``urn:``), globally unique by
   design, as ``guid:<uri>``; any other GUID (``12345``) as ``guid:<source>:<guid>``, so two
   sources numbering their posts alike never collide;
4. for an entry with neither, a hash of its text, namespaced by source.

Dates: ``published``, else ``updated``, in UTC; a time written without a zone (naive from the
parse stage) is read in the zone the caller gives: the source's ``timezone``, else the config's.
No date → the first-seen time, flagged ``published_estimated``. So is a date no parser could
read, and one more than a day after the first-seen time (a publisher's clock or template bug)
or before 1995 (a CMS default: epoch 0, year 1, no news feed yet): the feed's text is kept in
``extra["unreadable_date"]`` (with the reading in ``extra["future_date"]`` or
``extra["past_date"]``) and logged once per source. An estimated date gives way to a real one
seen later (the store).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from watcher.config import Source
from watcher.language import LANGUAGE_SAMPLE, detect_language
from watcher.model import Entry, Item
from watcher.text import clean_text, shorten
from watcher.urls import canonical_url

__all__ = [
    "canonical_url",
    "content_hash",
    "detect_language",
    "normalise_entries",
    "normalise_entry",
]

KEY_MAX = 1_000  # the store's items.key holds 2,000
SUMMARY_HTML_MAX = 20_000
HTML_MAX = 500_000  # bounds the cleaning work on a pathological body
TEXT_MAX = 50_000
TITLE_FROM_TEXT_MAX = 100
SUMMARY_MAX = 1_000
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before: a CMS default (epoch 0, year 1)

log = logging.getLogger(__name__)

# --- the entry → item step --------------------------------------------------------------------


def normalise_entry(
    entry: Entry,
    *,
    source_id: str,
    feed_url: str,
    seen_at: datetime,
    owner: str | None,
    languages: Sequence[str],
    zone: tzinfo = UTC,
) -> Item | None:
    """One ``Item`` for one entry; None for junk (no link, no GUID and no text). ``zone`` is
    where a time written without one is read (the source's, else the config's)."""
    url = canonical_url(entry.link, feed_url)
    guid = (entry.guid or "").strip() or None
    title = clean_text((entry.title or "")[:HTML_MAX])
    summary_text = clean_text((entry.summary or "")[:HTML_MAX])
    content = "" if entry.content == entry.summary else (entry.content or "")[:HTML_MAX]
    content_text = clean_text(content)
    text = (content_text or summary_text)[:TEXT_MAX]
    if not (url or guid or title or text):
        return None
    seen_at = to_utc(seen_at)
    published, estimated, flags = _published(entry, seen_at, zone)
    if "unreadable_date" in flags:
        _report_unreadable(source_id, flags)
    extra: dict[str, Any] = {k: v for k, v in entry.extra.items() if k not in ("key", "by")} | flags
    if not title and text:
        # Posts (X, Bluesky, Mastodon) have no title: their first words make the headline.
        title, extra["title_from_text"] = shorten(text, TITLE_FROM_TEXT_MAX), True
    key = entry.extra.get("key") or url or _guid_key(guid, source_id)
    return Item(
        key=_bounded(key) if key else _text_key(source_id, title, text),
        url=url,
        title=title,
        text=text,
        source_id=source_id,
        published=published,
        published_estimated=estimated,
        guid=guid,
        summary=shorten(summary_text or text, SUMMARY_MAX),
        summary_html=(entry.summary or entry.content or "")[:SUMMARY_HTML_MAX],
        author=clean_text(entry.author) or None,
        by=entry.extra.get("by") or owner,
        language=_language(title, text, languages, entry.language),
        extra=extra,
    )


def normalise_entries(
    entries: Iterable[Entry],
    source: Source,
    *,
    feed_url: str,
    seen_at: datetime,
    languages: Sequence[str],
    zone: tzinfo = UTC,
) -> list[Item]:
    """A source's entries as items, keeping the first of any that share an identity; ``zone``
    as for ``normalise_entry`` (``Config.source_zone``)."""
    items: dict[str, Item] = {}
    for entry in entries:
        item = normalise_entry(
            entry,
            source_id=source.id,
            feed_url=feed_url,
            seen_at=seen_at,
            owner=source.owner,
            languages=languages,
            zone=zone,
        )
        if item is not None:
            items.setdefault(item.key, item)
    return list(items.values())


def _language(title: str, text: str, languages: Sequence[str], declared: str | None) -> str | None:
    """The language the letters say; the declared one when they say nothing ("2026 — 42")."""
    sample = f"{title} {text[:LANGUAGE_SAMPLE]}"
    return detect_language(sample, languages, declared) or declared


_URI_SCHEME = re.compile(r"(?:tag|urn|uuid|at|did):\S", re.IGNORECASE)


def _guid_key(guid: str | None, source_id: str) -> str | None:
    """A URL GUID is a URL; a URI GUID is global; a bare GUID is unique only in its source."""
    if not guid:
        return None
    if guid.lower().startswith(("http:", "https:")):
        return canonical_url(guid) or f"guid:{source_id}:{guid}"
    if _URI_SCHEME.match(guid):
        return f"guid:{guid}"
    return f"guid:{source_id}:{guid}"


def _bounded(key: str) -> str:
    """A key of at most ``KEY_MAX`` characters: a longer one (a URL full of parameters) keeps
    its start for people to read and ends with a hash of the whole, so it stays unique."""
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return f"{key[: KEY_MAX - len(digest) - 1]}~{digest}"


def _text_key(source_id: str, title: str, text: str) -> str:
    digest = hashlib.blake2b(f"{title}\n{text}".encode(), digest_size=12).hexdigest()
    return f"text:{source_id}:{digest}"


def _published(
    entry: Entry, seen_at: datetime, zone: tzinfo
) -> tuple[datetime, bool, dict[str, Any]]:
    """(published, estimated, extra flags) following the rules in the module docstring."""
    given = entry.published or entry.updated
    unread = {"unreadable_date": entry.date_text} if entry.date_text else {}
    if given is None:
        return seen_at, True, unread
    given = to_utc(given, zone)
    unread = unread or {"unreadable_date": given.isoformat()}
    if given > seen_at + FUTURE_TOLERANCE:
        return seen_at, True, unread | {"future_date": given.isoformat()}
    if given < EARLIEST:
        return seen_at, True, unread | {"past_date": given.isoformat()}
    return given, False, {}


def to_utc(moment: datetime, zone: tzinfo = UTC) -> datetime:
    """Aware UTC; a naive datetime is a time as written, read in ``zone``. A time that the
    clocks skip or pass twice (a DST change) takes the offset before the change (``fold=0``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


_reported: set[str] = set()  # sources whose unreadable date was logged by this process
_reported_lock = threading.Lock()


def _report_unreadable(source_id: str, extra: dict[str, Any]) -> None:
    """Log a source's unreadable date once per process, with its text (every item keeps it
    in ``extra``; `watcher sources` counts them and `watcher explain` shows it)."""
    with _reported_lock:
        if source_id in _reported:
            return
        _reported.add(source_id)
    log.warning(
        "source %s: %s; its items are dated when first seen",
        source_id,
        date_problem(extra),
        extra={"source": source_id},
    )


def date_problem(extra: Mapping[str, Any]) -> str | None:
    """What is wrong with the date the feed gave (an item's ``extra`` says), when it was not
    used; None when the feed gave a date that was used, or none at all."""
    text = extra.get("unreadable_date") or extra.get("future_date") or extra.get("past_date")
    if not text:
        return None
    if "future_date" in extra:
        return f"the feed's date {text!r} is more than a day in the future"
    if "past_date" in extra:
        return f"the feed's date {text!r} is before 1995"
    return f"the feed's date {text!r} cannot be read"


def content_hash(item: Item) -> str:
    """A fingerprint of what a reader sees (title, text, link, author): a changed hash on a
    re-seen key means the article was edited. Markup-only changes do not count."""
    fields = (item.url or "", item.title, item.text, item.author or "")
    return hashlib.blake2b("\x1f".join(fields).encode(), digest_size=16).hexdigest()
