"""Normalise stage: a raw ``Entry`` → an ``Item`` with identity, clean text, UTC date, language.

Identity (``Item.key``), in order:

1. ``Entry.extra["key"]``, set by an earlier step for social or archived posts (``x:1790…``);
2. the canonical article URL (so the same article from two feeds or two polls is one item);
3. the GUID: a URL GUID canonicalised; a URI GUID (``tag:``, ``urn:``), globally unique by
   design, as ``guid:<uri>``; any other GUID (``12345``) as ``guid:<source>:<guid>``, so two
   sources numbering their posts alike never collide;
4. for an entry with neither, a hash of its text, namespaced by source.

Dates: ``published``, else ``updated``, in UTC. No date → the first-seen time, flagged
``published_estimated``. A date more than a day after the first-seen time is a publisher's
clock or template bug, and one before 1970-01-02 a CMS default (epoch 0, year 1): either is
replaced by the first-seen time, flagged estimated, and kept in ``extra["future_date"]`` or
``extra["past_date"]``. An estimated date gives way to a real one seen later (the store).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from watcher.config import Source
from watcher.language import LANGUAGE_SAMPLE, detect_language
from watcher.model import Entry, Item
from watcher.text import clean_text, shorten
from watcher.urls import canonical_url

__all__ = ["canonical_url", "content_hash", "detect_language", "normalise_entries", "normalise_entry"]

KEY_MAX = 1_000  # the store's items.key holds 2,000
SUMMARY_HTML_MAX = 20_000
HTML_MAX = 500_000  # bounds the cleaning work on a pathological body
TEXT_MAX = 50_000
TITLE_FROM_TEXT_MAX = 100
SUMMARY_MAX = 1_000
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)  # before: a CMS default (epoch 0, year 1)

# --- the entry → item step --------------------------------------------------------------------


def normalise_entry(
    entry: Entry,
    *,
    source_id: str,
    feed_url: str,
    seen_at: datetime,
    owner: str | None,
    languages: Sequence[str],
) -> Item | None:
    """One ``Item`` for one entry; None for junk (no link, no GUID and no text)."""
    url = canonical_url(entry.link, feed_url)
    guid = (entry.guid or "").strip() or None
    title = clean_text((entry.title or "")[:HTML_MAX])
    summary_text = clean_text((entry.summary or "")[:HTML_MAX])
    content = "" if entry.content == entry.summary else (entry.content or "")[:HTML_MAX]
    content_text = clean_text(content)
    text = (content_text or summary_text)[:TEXT_MAX]
    if not (url or guid or title or text):
        return None
    seen_at = _utc(seen_at)
    published, estimated, flags = _published(entry, seen_at)
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
) -> list[Item]:
    """A source's entries as items, keeping the first of any that share an identity."""
    items: dict[str, Item] = {}
    for entry in entries:
        item = normalise_entry(
            entry,
            source_id=source.id,
            feed_url=feed_url,
            seen_at=seen_at,
            owner=source.owner,
            languages=languages,
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


def _published(entry: Entry, seen_at: datetime) -> tuple[datetime, bool, dict[str, str]]:
    """(published, estimated, extra flags) following the rules in the module docstring."""
    given = entry.published or entry.updated
    if given is None:
        return seen_at, True, {}
    given = _utc(given)
    if given > seen_at + FUTURE_TOLERANCE:
        return seen_at, True, {"future_date": given.isoformat()}
    if given < EARLIEST:
        return seen_at, True, {"past_date": given.isoformat()}
    return given, False, {}


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def content_hash(item: Item) -> str:
    """A fingerprint of what a reader sees (title, text, link, author): a changed hash on a
    re-seen key means the article was edited. Markup-only changes do not count."""
    fields = (item.url or "", item.title, item.text, item.author or "")
    return hashlib.blake2b("\x1f".join(fields).encode(), digest_size=16).hexdigest()
