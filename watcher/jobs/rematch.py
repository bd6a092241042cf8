"""Recompute matches for stored items after the config changed, without refetching anything.

``rematch_if_config_changed`` runs at the start of every poll. It compares a fingerprint of
what matching depends on (entities, source owners, time zone, each story, and the matching
rules' version) with the one stored at the last match, and redoes only what changed:

- entities, owners, time zone or rules changed: every item, everything (mentions too);
- a story added or edited: that story's matches and follow-ups only;
- a story removed: its rows are dropped.

Items are rewritten in batches, one transaction each, so a long rematch never holds one huge
transaction; the new fingerprint is saved only once all batches are done, so an interrupted
rematch is simply redone at the next poll.

``rematch_promised`` is the small rematch a poll does by itself: when an item a follow-up is
anchored on (``after:``) is stored or changes, that follow-up's candidates are matched again
against it (an answer published before the promise stops being one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session

from watcher.config import Config
from watcher.errors import WatcherError
from watcher.match.fingerprint import fingerprint
from watcher.match.matcher import Matcher
from watcher.model import Item
from watcher.store import Store
from watcher.store.claims import exclusive
from watcher.store.items import row_to_item
from watcher.store.matches import (
    count_items,
    forget_stories,
    item_id_batches,
    items_by_ids,
    match_fingerprint,
    record_matches,
    save_match_fingerprint,
)
from watcher.store.promises import followup_candidates, promise_items
from watcher.store.tables import ItemRow

log = logging.getLogger(__name__)


def rematch(store: Store, config: Config, *, now: datetime, story_id: str | None = None) -> int:
    """Rematch every stored item (only ``story_id``'s rows when given); return how many."""
    if story_id is None:
        count = _rematch(store, config, stories=None, now=now)
        with store.session() as session:
            save_match_fingerprint(session, json.dumps(fingerprint(config)), now=now)
        return count
    if story_id not in {story.id for story in config.stories}:
        known = ", ".join(story.id for story in config.stories) or "none"
        raise WatcherError(f"no story '{story_id}' in the config (known: {known})")
    return _rematch(store, config, stories={story_id}, now=now)


def rematch_if_config_changed(store: Store, config: Config, *, now: datetime) -> int:
    """Rematch what a config edit changed since the last match; return the items rematched.

    Workers starting together take turns: the later ones find the fingerprint already saved.
    """
    with exclusive(store, "rematch"):
        return _rematch_changes(store, config, now)


def _rematch_changes(store: Store, config: Config, now: datetime) -> int:
    new = fingerprint(config)
    with store.session() as session:
        stored = match_fingerprint(session)
        empty = count_items(session) == 0
    if stored == json.dumps(new):
        return 0
    old = json.loads(stored) if stored else None
    if empty or old is None or old["shared"] != new["shared"]:
        count = 0 if empty else _rematch(store, config, stories=None, now=now)
    else:
        changed = {
            sid for sid, hashed in new["stories"].items() if old["stories"].get(sid) != hashed
        }
        with store.session() as session:
            forget_stories(session, set(old["stories"]) - set(new["stories"]))
        count = _rematch(store, config, stories=changed, now=now) if changed else 0
    with store.session() as session:
        save_match_fingerprint(session, json.dumps(new), now=now)
    if count:
        log.info("config changed: rematched %d stored items", count)
    return count


def stored_item(row: ItemRow, config: Config) -> Item:
    """A stored item as the matcher should see it now: its author is re-derived from the
    current owners, accounts and aliases (kept as stored when its source left the config)."""
    item = row_to_item(row)
    if any(source.id == item.source_id for source in config.sources):
        item.by = None
    return item


def _rematch(
    store: Store, config: Config, *, stories: Collection[str] | None, now: datetime
) -> int:
    matcher = Matcher(config)
    with store.session() as session:
        batches = list(item_id_batches(session))
        promises = promise_items(session, matcher.promise_keys)
    count = 0
    for ids in batches:
        with store.session() as session:
            for row in items_by_ids(session, ids):
                matches = matcher.match(stored_item(row, config), promises)
                record_matches(session, row, matches, now=now, stories=stories)
                count += 1
    return count


def rematch_promised(
    session: Session, matcher: Matcher, keys: Collection[str], *, now: datetime
) -> int:
    """Match again the candidates of every follow-up anchored on one of ``keys`` (items just
    stored or changed), in the caller's transaction; return how many items that took."""
    arrived = matcher.promise_keys & set(keys)
    if not arrived:
        return 0
    promises = promise_items(session, matcher.promise_keys)
    count = 0
    for followup in matcher.anchored:
        if followup.anchor is None or not arrived & set(followup.anchor.keys):
            continue
        candidates = followup_candidates(
            session, followup.story_id, followup.id, followup.by, followup.since
        )
        for row in candidates:
            matches = matcher.match(row_to_item(row), promises)
            record_matches(session, row, matches, now=now, stories={followup.story_id})
            count += 1
    return count
