"""Atom feeds any feed reader can subscribe to (``?token=`` when the view has a token).

``/stories/ID.atom``: the story's newest items. ``/followups.atom``: one entry per fulfilled
follow-up, which appears when watcher finds the item (its ``updated`` is that moment) and keeps
its id if an earlier item takes the fulfilment over, so a reader shows it as updated, not new.
Ids are ``urn:uuid:`` names derived from what they stand for: stable across restarts and hosts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from watcher.clock import iso_utc
from watcher.match.followups import followup_statuses
from watcher.store.matches import fulfilments
from watcher.store.views import ItemFilter, browse_items
from watcher.text import shorten
from watcher.web.page import Page
from watcher.web.render import safe_url
from watcher.web.shapes import entity_name

FEED_ITEMS = 50
SUMMARY = 600  # characters


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    title: str
    link: str
    updated: str
    published: str | None
    author: str
    summary: str
    categories: list[str] = field(default_factory=list)


def story_feed(page: Page, story_id: str) -> Response:
    story = next((s for s in page.config.stories if s.id == story_id), None)
    if story is None:
        raise NotFound(f"no story '{story_id}' in the config")
    views = browse_items(page.session, ItemFilter(story=story.id), before=None, limit=FEED_ITEMS)
    entries = [
        Entry(
            id=_urn(f"item:{view.row.key}"),
            title=view.row.title or view.row.url or view.row.key,
            link=safe_url(view.row.url) or page.absolute(f"/items/{view.row.id}"),
            updated=_iso(view.row.updated_at),
            published=_iso(view.row.published_at),
            author=view.row.author or view.row.source_id,
            summary=shorten(view.row.summary, SUMMARY),
            categories=[entity_name(page.config, e) for e in view.entities],
        )
        for view in views
    ]
    return _feed(page, f"story:{story.id}", story.title, f"/stories/{story.id}", entries)


def followups_feed(page: Page) -> Response:
    statuses = followup_statuses(page.config, fulfilments(page.session), page.now)
    done = [s for s in statuses if s.fulfilment is not None]
    done.sort(key=lambda s: s.fulfilment.recorded_at if s.fulfilment else page.now, reverse=True)
    entries = []
    for state in done:
        fulfilment = state.fulfilment
        assert fulfilment is not None
        by = entity_name(page.config, fulfilment.by) if fulfilment.by else "watcher"
        entries.append(
            Entry(
                id=_urn(f"followup:{state.story}/{state.id}"),
                title=state.title,
                link=safe_url(fulfilment.item_url) or page.absolute(f"/items/{fulfilment.item_id}"),
                updated=_iso(fulfilment.recorded_at),
                published=_iso(fulfilment.fulfilled_at),
                author=by,
                summary=f"{by}: {fulfilment.item_title}",
                categories=[state.story],
            )
        )
    return _feed(page, "followups", "Follow-ups fulfilled", "/", entries)


def _feed(page: Page, name: str, title: str, home: str, entries: list[Entry]) -> Response:
    updated = max((entry.updated for entry in entries), default=_iso(page.now))
    return page.feed(
        "feed.atom.j2",
        feed={
            "id": _urn(name),
            "title": f"watcher: {title}",
            "updated": updated,
            "self": page.absolute(page.request.path),
            "alternate": page.absolute(home),
        },
        entries=entries,
    )


def _urn(name: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"watcher:{name}").urn


def _iso(moment: datetime) -> str:
    return iso_utc(moment) or ""
