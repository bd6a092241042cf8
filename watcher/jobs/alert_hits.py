"""Alert hits: which new items an alert is about, recorded in the poll's own transaction.

The first of the two steps ``watcher.jobs.alerts`` describes: each new item an alert is about
becomes a hit, under a unique (alert, item) key, inside the transaction that stores it. Kept
apart from sending so that a poll imports the digest and delivery stacks (~0.3 s) only when
its config has alerts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from watcher.config import Alert, Config
from watcher.match import Matcher
from watcher.store import alerts as queries

Reason = tuple[str, str | None, str | None]  # (why, story, follow-up)


def record_alert_hits(
    session: Session, config: Config, matcher: Matcher, item_ids: list[int], *, now: datetime
) -> int:
    """In the poll's transaction: the hits of the items it just stored. Returns how many."""
    if not config.alerts or not item_ids:
        return 0
    watched = {story.id: story.entity_ids() for story in matcher.stories}
    hits = []
    for item in queries.item_facts(session, item_ids):
        for alert in config.alerts:
            reason = (
                _reason(alert, item, watched) if now - item.published_at <= alert.max_age else None
            )
            if reason is None:
                continue
            why, story_id, followup_id = reason
            hits.append(
                {
                    "alert_id": alert.id,
                    "item_id": item.id,
                    "reason": why,
                    "story_id": story_id,
                    "followup_id": followup_id,
                    "found_at": now,
                    "due_at": now if why == "followup" else quiet_until(alert, now, config.tz),
                }
            )
    queries.insert_hits(session, hits)
    return len(hits)


def _reason(alert: Alert, item: queries.ItemFacts, watched: dict[str, set[str]]) -> Reason | None:
    stories = set(watched) if alert.stories is None else set(alert.stories)
    if "followup" in alert.when:
        for story_id, followup_id in item.fulfils:
            if story_id in stories:
                return "followup", story_id, followup_id
    if "author" in alert.when and item.by is not None:
        for story_id in sorted(stories):
            if item.by in watched.get(story_id, ()):
                return "author", story_id, None
    if "story" in alert.when:
        for story_id in sorted(item.stories & stories):
            return "story", story_id, None
    return None


def quiet_until(alert: Alert, now: datetime, tz: ZoneInfo) -> datetime:
    """``now``, or when the alert's quiet hours end if ``now`` is inside them."""
    span = alert.quiet_span()
    if span is None:
        return now
    start, end = span
    local = now.astimezone(tz)
    moment = local.time()
    quiet = start <= moment < end if start < end else (moment >= start or moment < end)
    if not quiet:
        return now
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC)
