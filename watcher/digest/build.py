"""What goes into one digest for one period: plain, JSON-ready data, rendered elsewhere.

Order of a digest: per story, its follow-ups board (fulfilled in the period, still awaited,
overdue), then its new items folded into entries and ranked: follow-up answers first, then items
from the watched people's own sources and accounts, then by how many outlets ran the news, then
newest first. Items mentioning watched entities outside any story come last ("Other mentions"),
unless the digest lists its stories. Then per-entity mention counts, and what went wrong:
sources failing for over a day, deliveries given up.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from markupsafe import escape
from sqlalchemy.orm import Session

from watcher.config import Config, Digest, Story
from watcher.digest.fold import near_duplicate_groups
from watcher.digest.sanitise import canonical_link, sanitised_text, snippet
from watcher.match.followups import FollowupStatus, followup_statuses, start_of
from watcher.model import FULL_TEXT
from watcher.redact import error_text, redact
from watcher.store import digests as queries
from watcher.store.matches import fulfilments
from watcher.store.tables import ItemRow

FAILING_THRESHOLD = timedelta(days=1)
FULL_TEXT_READ = 5_000  # characters of a page's text a snippet may be cut from
RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "yi", "ckb", "dv", "sd", "ug"}
_RTL_LETTER = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


@dataclass
class Outlet:
    source: str
    url: str | None
    title: str = ""


@dataclass
class Entry:
    """One piece of news: its most important item, and the outlets that also ran it."""

    item_id: int
    title_html: str
    url: str | None
    source: str
    published: str
    snippet_html: str
    lang: str
    dir: str
    by: str | None = None
    answers: str | None = None
    outlets: int = 1
    also_in: list[Outlet] = field(default_factory=list)


@dataclass
class FollowupLine:
    id: str
    title: str
    status: str  # fulfilled | awaiting | overdue
    by: list[str]
    url: str | None = None
    fulfilled_at: str | None = None
    due: str | None = None
    waiting_days: int | None = None


@dataclass
class Section:
    id: str | None
    title: str
    followups: list[FollowupLine] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    more: list[Outlet] = field(default_factory=list)  # entries beyond max_items, as links
    hidden: int = 0  # entries beyond even the links, counted (keeps a mail under Gmail's cap)


@dataclass
class DigestContent:
    digest_id: str
    title: str
    language: str
    timezone: str
    period_start: str
    period_end: str
    sections: list[Section]
    counts: list[dict[str, Any]]
    failing_sources: list[dict[str, Any]]
    failed_deliveries: list[dict[str, Any]]
    item_count: int

    @property
    def new_entries(self) -> int:
        return sum(len(s.entries) + len(s.more) + s.hidden for s in self.sections)

    @property
    def fulfilled(self) -> int:
        return sum(f.status == "fulfilled" for s in self.sections for f in s.followups)

    @property
    def empty(self) -> bool:
        """Nothing new: no item, no fulfilment, no problem to report (awaited ones are not news)."""
        return not (
            self.new_entries or self.fulfilled or self.failing_sources or self.failed_deliveries
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_digest(
    session: Session, config: Config, digest: Digest, start: datetime, end: datetime
) -> DigestContent:
    """Select and arrange everything new in ``[start, end)`` for ``digest``."""
    found = queries.period_items(session, start, end)
    stories = _digest_stories(config, digest)
    story_ids = {story.id for story in stories}
    wanted = [
        item
        for item in found.items
        if found.stories.get(item.id, set()) & story_ids
        or (digest.stories is None and item.id in found.mentions)
    ]
    names = _source_names(session, config)
    owners = {source.id: source.owner for source in config.sources}
    ranked = sorted(wanted, key=lambda item: _importance([item], found, owners))
    groups = [
        [ranked[index] for index in group]
        for group in near_duplicate_groups(
            [_fold_text(item) for item in ranked], [item.source_id for item in ranked]
        )
    ]
    groups.sort(key=lambda members: _importance(members, found, owners))
    sections = {story.id: Section(story.id, story.title) for story in stories}
    other = Section(None, "")
    for rank, members in enumerate(groups):
        lead = members[0]
        section = next(
            (sections[s.id] for s in stories if s.id in found.stories.get(lead.id, set())), other
        )
        if rank < digest.max_items:
            section.entries.append(_entry(members, found, config, names))
        else:
            source = _source_label(lead, names, config)
            section.more.append(
                Outlet(source, canonical_link(lead.url), sanitised_text(lead.title))
            )
    statuses = followup_statuses(config, fulfilments(session), end)
    for story in stories:
        mine = [status for status in statuses if status.story == story.id]
        sections[story.id].followups = _followup_board(story, mine, config, start, end)
    ordered = [s for s in sections.values() if s.entries or s.more or s.followups]
    if other.entries or other.more or other.hidden:
        ordered.append(other)
    return DigestContent(
        digest_id=digest.id,
        title=digest.title or "",
        language=digest.language,
        timezone=config.timezone,
        period_start=start.isoformat(),
        period_end=end.isoformat(),
        sections=ordered,
        counts=_entity_counts(wanted, found, config),
        failing_sources=_failing_sources(session, config, end, names),
        failed_deliveries=_failed_deliveries(session, start, end),
        item_count=len(wanted),
    )


def _digest_stories(config: Config, digest: Digest) -> list[Story]:
    if digest.stories is None:
        return list(config.stories)
    return [config.story(story_id) for story_id in digest.stories]


def _source_names(session: Session, config: Config) -> dict[str, str]:
    """Source id → what a reader knows it by: its configured name, else its site."""
    names = {source_id: _site(url) for source_id, url in queries.source_names(session).items()}
    for source in config.sources:
        if source.name:
            names[source.id] = source.name
        elif source.kind == "archive":
            names[source.id] = source.url.removeprefix("https://")
        else:
            names[source.id] = _site(source.url)
    return names


def _site(url: str | None) -> str:
    """``https://feeds.bbci.co.uk/arabic/rss.xml`` → ``bbci.co.uk``: the host, never the user
    name of a private feed's ``user:password@``."""
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        host = None
    if not host:
        return redact(url or "")
    return re.sub(r"^(?:www|feeds?|rss|m|mobile)\.", "", host)


def _source_label(item: ItemRow, names: dict[str, str], config: Config) -> str:
    """The source's configured name, else the site the item itself is on, else the feed's site."""
    source = next((s for s in config.sources if s.id == item.source_id), None)
    keep = source is not None and (source.name or source.kind == "archive")
    site = _site(item.url) if item.url and not keep else ""
    return site or names.get(item.source_id, item.source_id)


def _importance(
    members: list[ItemRow], found: queries.PeriodItems, owners: dict[str, str | None]
) -> tuple[Any, ...]:
    """Follow-up answers, then the watched people's own words, then the widest coverage."""
    outlets = {s for m in members for s in found.sources.get(m.id, [m.source_id])}
    return (
        not any(m.id in found.followups for m in members),
        not any(m.by is not None or owners.get(m.source_id) for m in members),
        -len(outlets),
        -max(m.published_at.timestamp() for m in members),
        members[0].id,
    )


def _fold_text(item: ItemRow) -> str:
    return f"{item.title} {_plain_summary(item)[:600]}"


def _plain_summary(item: ItemRow) -> str:
    text = sanitised_text(_readable_text(item))
    title = sanitised_text(item.title)
    return text[len(title) :].lstrip(" .:—-") if title and text.startswith(title) else text


def _readable_text(item: ItemRow) -> str:
    """The page's main text when it was read (``full_text: true``), else the feed's summary."""
    if (item.extra or {}).get(FULL_TEXT) == "ok":
        return item.text[:FULL_TEXT_READ]
    return item.summary or item.summary_html or item.text or ""


def _entry(
    members: list[ItemRow], found: queries.PeriodItems, config: Config, names: dict[str, str]
) -> Entry:
    lead = members[0]
    marked = _names_to_mark(lead, found, config)
    lang, direction = text_direction(lead.language, lead.title + " " + _plain_summary(lead))
    seen = {lead.source_id}
    also_in: list[Outlet] = []
    for member in members:
        for source_id in found.sources.get(member.id, [member.source_id]):
            if source_id not in seen:
                seen.add(source_id)
                url = canonical_link(member.url) if source_id == member.source_id else None
                also_in.append(Outlet(names.get(source_id, source_id), url))
    answers = sorted(found.followups.get(lead.id, set()))
    return Entry(
        item_id=lead.id,
        title_html=str(escape(sanitised_text(lead.title) or lead.url or "")),
        url=canonical_link(lead.url),
        source=_source_label(lead, names, config),
        published=lead.published_at.isoformat(),
        snippet_html=str(snippet(_plain_summary(lead), marked)),
        lang=lang,
        dir=direction,
        by=_entity_name(config, lead.by) if lead.by else None,
        answers=_followup_title(config, *answers[0]) if answers else None,
        outlets=len(seen),
        also_in=also_in,
    )


def _names_to_mark(item: ItemRow, found: queries.PeriodItems, config: Config) -> set[str]:
    names: set[str] = set()
    for mention in found.mentions.get(item.id, []):
        names.add(mention.alias)
        entity = next((e for e in config.entities if e.id == mention.entity_id), None)
        if entity is not None:
            names.update([entity.name, *entity.aliases])
    return names


def text_direction(language: str | None, text: str) -> tuple[str, str]:
    """(lang, dir) for one item: its declared language, else the script most of its letters use."""
    if language:
        primary = language.split("-")[0].lower()
        return primary, "rtl" if primary in RTL_LANGUAGES else "ltr"
    rtl = len(_RTL_LETTER.findall(text))
    return ("ar", "rtl") if rtl > len(_LATIN_LETTER.findall(text)) else ("", "ltr")


def _entity_name(config: Config, entity_id: str) -> str:
    return next((e.name for e in config.entities if e.id == entity_id), entity_id)


def _followup_title(config: Config, story_id: str, followup_id: str) -> str | None:
    story = next((s for s in config.stories if s.id == story_id), None)
    followup = next((f for f in story.followups if f.id == followup_id), None) if story else None
    return followup.title if followup else None


def _followup_board(
    story: Story,
    statuses: list[FollowupStatus],
    config: Config,
    start: datetime,
    end: datetime,
) -> list[FollowupLine]:
    """Fulfilled in this period (found in it), then overdue, then awaited, longest wait first.

    A follow-up fulfilled in an earlier period is done and leaves the board.
    """
    today = end.astimezone(config.tz).date()
    followups = {followup.id: followup for followup in story.followups}
    lines: list[FollowupLine] = []
    for status in statuses:
        followup = followups[status.id]
        names = [_entity_name(config, entity_id) for entity_id in followup.by]
        if status.fulfilment is not None:
            if start <= status.fulfilment.recorded_at < end:
                lines.append(
                    FollowupLine(
                        status.id,
                        status.title,
                        "fulfilled",
                        [_entity_name(config, status.by)] if status.by else names,
                        url=canonical_link(status.item_url),
                        fulfilled_at=status.fulfilment.fulfilled_at.isoformat(),
                    )
                )
            continue
        since = start_of(followup.since or story.since, config.tz).astimezone(config.tz).date()
        lines.append(
            FollowupLine(
                status.id,
                status.title,
                status.status,
                names,
                due=status.due.isoformat() if status.due else None,
                waiting_days=max(0, (today - since).days),
            )
        )
    order = {"fulfilled": 0, "overdue": 1, "awaiting": 2}
    return sorted(lines, key=lambda line: (order[line.status], -(line.waiting_days or 0)))


def _entity_counts(
    items: list[ItemRow], found: queries.PeriodItems, config: Config
) -> list[dict[str, Any]]:
    """How many of the period's items mention each entity, most mentioned first."""
    counts: Counter[str] = Counter()
    for item in items:
        counts.update({mention.entity_id for mention in found.mentions.get(item.id, [])})
    top = counts.most_common(12)
    peak = top[0][1] if top else 1
    return [
        {"entity": e, "name": _entity_name(config, e), "count": n, "percent": round(100 * n / peak)}
        for e, n in top
    ]


def _failing_sources(
    session: Session, config: Config, end: datetime, names: dict[str, str]
) -> list[dict[str, Any]]:
    rows = queries.failing_sources(session, end - FAILING_THRESHOLD)
    configured = {source.id for source in config.sources if source.enabled}
    return [
        {
            "id": row.id,
            "name": names.get(row.id, row.id),
            "since": row.failing_since.isoformat() if row.failing_since else None,
            "error": error_text(row.last_error or "", 200),
        }
        for row in rows
        if row.id in configured
    ]


def _failed_deliveries(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return [
        {
            "channel": delivery.channel_id,
            "digest": run.digest_id,
            "period_end": run.period_end.isoformat(),
            "attempts": delivery.attempts,
            "error": error_text(delivery.last_error or "", 200),
        }
        for delivery, run in queries.given_up_deliveries(session, start, end)
    ]
