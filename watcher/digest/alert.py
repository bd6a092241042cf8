"""What an alert says: the item it is about (or the items, when several are folded into one
message), the follow-up it fulfils, rendered short with the ``alert*.j2`` templates.

The same ``AlertContent`` is the webhook's ``alert.v1`` data (``payload``), so every channel says
the same thing. Feed text goes through the digest's sanitiser; HTML templates autoescape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from watcher.clock import date_from
from watcher.config import Alert, Config
from watcher.digest.build import outlet_names, text_direction
from watcher.digest.render import Rendered, environment
from watcher.digest.sanitise import canonical_link, sanitised_text
from watcher.store import alerts as queries
from watcher.store.tables import AlertHitRow
from watcher.text import one_line, shorten

MAX_SUBJECT = 200
MAX_LISTED = 20  # items listed in a folded message; the rest are counted


@dataclass
class AlertItem:
    url: str | None
    title: str
    by: str | None  # entity id of the author, when watched
    by_name: str | None
    entities: list[str]
    stories: list[str]
    published: str
    source: str
    dir: str = "ltr"
    date_from: str = "feed"  # as in `watcher items --json`


@dataclass
class AlertContent:
    alert_id: str
    when: str  # followup | story | author: why (the most telling reason among its items)
    items: list[AlertItem]
    built_at: str
    followup: dict[str, Any] | None = None  # {story, id, title, due}
    story_title: str | None = None
    more: int = 0  # items folded in beyond those listed
    held: bool = False  # sent late: quiet hours or the hourly cap held it

    @property
    def count(self) -> int:
        return len(self.items) + self.more

    def payload(self, subject: str) -> dict[str, Any]:
        """The ``data`` of a webhook's ``alert.v1`` payload."""
        items = [
            {k: v for k, v in asdict(item).items() if k not in ("dir", "by_name")}
            for item in self.items
        ]
        return {
            "alert": self.alert_id,
            "when": self.when,
            "subject": subject,
            "item": items[0] if items else None,
            "items": items,
            "count": self.count,
            "followup": self.followup,
        }


REASON_ORDER = {"followup": 0, "author": 1, "story": 2}


def build_alert(
    session: Session, config: Config, alert: Alert, hits: list[AlertHitRow], now: datetime
) -> AlertContent:
    """The content of one message for ``hits`` (one, or several folded together)."""
    hits = sorted(hits, key=lambda hit: (REASON_ORDER[hit.reason], hit.found_at, hit.id))
    rows = queries.items_for_message(session, [hit.item_id for hit in hits[:MAX_LISTED]])
    names = outlet_names(session, config)
    first = hits[0]
    return AlertContent(
        alert_id=alert.id,
        when=first.reason,
        items=[_item(row, config, names) for row in rows],
        built_at=now.isoformat(),
        followup=_followup(config, first) if first.reason == "followup" else None,
        story_title=_story_title(config, first.story_id),
        more=max(0, len(hits) - MAX_LISTED),
        held=any(hit.due_at > hit.found_at for hit in hits),
    )


def _item(row: queries.AlertItemRows, config: Config, names: dict[str, str]) -> AlertItem:
    item = row.item
    title = sanitised_text(item.title) or item.url or ""
    return AlertItem(
        url=canonical_link(item.url),
        title=title,
        by=item.by,
        by_name=_entity_name(config, item.by),
        entities=row.entities,
        stories=row.stories,
        published=item.published_at.isoformat(),
        source=names.get(item.source_id, item.source_id),
        dir=text_direction(item.language, title)[1],
        date_from=date_from(item.published_estimated),
    )


def _entity_name(config: Config, entity_id: str | None) -> str | None:
    if entity_id is None:
        return None
    return next((e.name for e in config.entities if e.id == entity_id), entity_id)


def _story_title(config: Config, story_id: str | None) -> str | None:
    return next((s.title for s in config.stories if s.id == story_id), None)


def _followup(config: Config, hit: AlertHitRow) -> dict[str, Any] | None:
    story = next((s for s in config.stories if s.id == hit.story_id), None)
    followup = (
        next((f for f in story.followups if f.id == hit.followup_id), None) if story else None
    )
    if story is None or followup is None:
        return None
    return {
        "story": story.id,
        "id": followup.id,
        "title": followup.title,
        "due": followup.due.isoformat() if followup.due else None,
    }


def sample_alert(config: Config, alert: Alert, now: datetime) -> AlertContent:
    """What ``watcher alerts test`` sends: a made-up item, marked as a test."""
    story = next(
        (s for s in config.stories if alert.stories is None or s.id in alert.stories), None
    )
    followup = next(iter(story.followups), None) if story else None
    when = "followup" if "followup" in alert.when and followup else alert.when[0]
    item = AlertItem(
        url="https://example.org/watcher-alert-test",
        title=f"Test of alert {alert.id}: this is what an alert looks like",
        by=None,
        by_name=None,
        entities=[],
        stories=[story.id] if story else [],
        published=now.isoformat(),
        source="watcher",
    )
    return AlertContent(
        alert_id=alert.id,
        when=when,
        items=[item],
        built_at=now.isoformat(),
        followup=(
            {"story": story.id, "id": followup.id, "title": followup.title, "due": None}
            if when == "followup" and story and followup
            else None
        ),
        story_title=story.title if story else None,
    )


@dataclass(frozen=True)
class RenderedAlert(Rendered):
    payload: dict[str, Any] = field(default_factory=dict)


def render_alert(content: AlertContent, config: Config) -> RenderedAlert:
    """Subject (names the follow-up or the item), short text and HTML, and the webhook data."""
    env = environment("en", config.timezone, config.resolved_templates_dir)
    context = {"alert": content, "language": "en", "direction": "ltr"}
    subject = env.get_template("alert-subject.txt.j2").render(context)
    subject = shorten(one_line(subject), MAX_SUBJECT)
    context["subject"] = subject
    text = env.get_template("alert.txt.j2").render(context).strip() + "\n"
    html = env.get_template("alert.html.j2").render(context)
    return RenderedAlert(
        subject=subject, text=text, html=str(Markup(html)), payload=content.payload(subject)
    )
