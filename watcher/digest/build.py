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

from watcher.clock import date_from
from watcher.config import Config, Digest, Story
from watcher.digest.fold import near_duplicate_groups
from watcher.digest.marks import counted_weak_spans, names_to_mark
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
    date_from: str = "feed"  # "seen": the feed gave no date; published is when watcher saw it
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
    lead_item: int | None = None  # the most important entry's item: the digest's lead line

    @property
    def new_entries(self) -> int:
        return sum(len(s.entries) + len(s.more) + s.hidden for s in self.sections)

    @property
    def fulfilled(self) -> int:
        return sum(f.status == "fulfilled" for s in self.sections for f in s.followups)

    @property
    def arrived(self) -> list[str]:
        """The titles of the follow-ups fulfilled in the period."""
        return [f.title for s in self.sections for f in s.followups if f.status == "fulfilled"]

    @property
    def also_carried(self) -> int:
        """Entries that other outlets also carried."""
        return sum(1 for s in self.sections for e in s.entries if e.also_in)

    @property
    def lead_entry(self) -> Entry | None:
        return next(
            (e for s in self.sections for e in s.entries if e.item_id == self.lead_item), None
        )

    @property
    def empty(self) -> bool:
        """Nothing new: no item, no fulfilment, no problem to report (awaited ones are not news)."""
        return not (
            self.new_entries or self.fulfilled or self.failing_sources or self.failed_deliveries
        )

    @property
    def has_news(self) -> bool:
        """Something happened in the period: an item, a fulfilment, a delivery given up (a
        source failing for days is reported by every digest, and is not news on its own)."""
        return bool(self.new_entries or self.fulfilled or self.failed_deliveries)

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
    names = outlet_names(session, config)
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
        lead_item=groups[0][0].id if groups else None,
    )


def _digest_stories(config: Config, digest: Digest) -> list[Story]:
    if digest.stories is None:
        return list(config.stories)
    return [config.story(story_id) for story_id in digest.stories]


def outlet_names(session: Session, config: Config) -> dict[str, str]:
    """Source id → what a reader knows it by: its configured name, else the feed's own title
    (as last polled), else its site."""
    stored = queries.source_names(session)
    names = {source_id: title or _site(url) for source_id, (url, title) in stored.items()}
    for source in config.sources:
        title = stored.get(source.id, ("", None))[1]
        if source.name:
            names[source.id] = source.name
        elif source.kind == "archive":
            names[source.id] = source.url.removeprefix("https://")
        elif source.kind == "feed" and title:
            names[source.id] = title
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
    """The source's name (configured, or the feed's own title), else the site the item itself
    is on (a news search's results come from many), else the feed's site."""
    source = next((s for s in config.sources if s.id == item.source_id), None)
    named = (
        source is not None and source.kind != "search" and names.get(source.id) != _site(source.url)
    )
    site = _site(item.url) if item.url and not named else ""
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
    return _summary_and_field(item)[0]


def _summary_and_field(item: ItemRow) -> tuple[str, str, str]:
    """The snippet's text (the readable text less a repeated title), the item field it comes
    from, and that field's whole sanitised text (the snippet's text is its end)."""
    field, readable = _readable_text(item)
    text = sanitised_text(readable)
    title = sanitised_text(item.title)
    summary = text[len(title) :].lstrip(" .:—-") if title and text.startswith(title) else text
    return summary, field, text


def _readable_text(item: ItemRow) -> tuple[str, str]:
    """The page's main text when it was read (``full_text: true``), else the feed's summary;
    with the matcher's name for the field it is."""
    if (item.extra or {}).get(FULL_TEXT) == "ok":
        return "content", item.text[:FULL_TEXT_READ]
    if item.summary or item.summary_html:
        return "summary", item.summary or item.summary_html
    return "content", item.text or ""


def _entry(
    members: list[ItemRow], found: queries.PeriodItems, config: Config, names: dict[str, str]
) -> Entry:
    lead = members[0]
    summary, field, whole = _summary_and_field(lead)
    mentions = found.mentions.get(lead.id, [])
    offset = len(whole) - len(summary)
    counted = [
        (start - offset, end - offset)
        for start, end in counted_weak_spans(lead, mentions, field, whole)
        if start >= offset
    ]
    lang, direction = text_direction(lead.language, lead.title + " " + summary)
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
        date_from=date_from(lead.published_estimated),
        snippet_html=str(snippet(summary, names_to_mark(mentions, config), counted=counted)),
        lang=lang,
        dir=direction,
        by=_entity_name(config, lead.by) if lead.by else None,
        answers=_followup_title(config, *answers[0]) if answers else None,
        outlets=len(seen),
        also_in=also_in,
    )


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
