"""The store at scale: a year of items in SQLite, and the queries users wait for.

    python bench/scale.py --items 1000000 --db bench/work/scale.db

Fills a migrated database through the real schema (a year of items from 2,000 sources, a fifth
of them mentioning a watched entity, a few percent matching a story), then times the queries
behind ``watcher items --since``, ``watcher items --story`` and the digest's "what did this
period bring", each through the store function the CLI and the digest call, with SQLite's
query plan for every statement they run. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session

from watcher.store import Store, open_store
from watcher.store.digests import period_items
from watcher.store.items import list_items
from watcher.store.tables import ItemRow, ItemSourceRow, MentionRow, SourceRow, StoryMatchRow

SOURCES = 2000
STORY = "openai-safety-exits"  # the bundled config's story
ENTITIES = ("sutskever", "leike", "altman", "openai", "microsoft", "anthropic", "ai_safety")
BATCH = 20_000


def fill(store: Store, count: int, now: datetime, seed: int = 1) -> None:
    """``count`` items over the year before ``now``, in batches of one transaction each."""
    rng = random.Random(seed)
    with store.session() as session:
        session.execute(
            insert(SourceRow),
            [
                {"id": f"farm-{i:05d}", "kind": "feed", "url": f"http://127.0.0.1/feeds/{i}"}
                for i in range(SOURCES)
            ],
        )
    for start in range(0, count, BATCH):
        rows = [
            _item(item_id, rng, now) for item_id in range(start + 1, min(count, start + BATCH) + 1)
        ]
        with store.session() as session:
            session.execute(insert(ItemRow), rows)
            session.execute(
                insert(ItemSourceRow),
                [
                    {
                        "item_id": r["id"],
                        "source_id": r["source_id"],
                        "first_seen_at": r["first_seen_at"],
                    }
                    for r in rows
                ],
            )
            mentions = list(_mentions(rows, rng))
            if mentions:
                session.execute(insert(MentionRow), mentions)
            stories = [
                {"story_id": STORY, "item_id": r["id"], "matched_at": r["first_seen_at"]}
                for r in rows
                if rng.random() < 0.03
            ]
            if stories:
                session.execute(insert(StoryMatchRow), stories)
    with store.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def _item(item_id: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    published = now - timedelta(seconds=rng.randrange(365 * 86400))
    first_seen = published + timedelta(seconds=rng.randrange(7200))
    source = f"farm-{rng.randrange(SOURCES):05d}"
    words = " ".join(f"w{rng.randrange(5000)}" for _ in range(40))
    return {
        "id": item_id,
        "key": f"https://news{source[-5:]}.example.org/story-{item_id}",
        "url": f"https://news{source[-5:]}.example.org/story-{item_id}",
        "guid": f"https://news{source[-5:]}.example.org/id/{item_id}",
        "title": f"Item {item_id}: {words[:60]}",
        "summary": words[:200],
        "summary_html": f"<p>{words[:200]}</p>",
        "text": words,
        "author": "Staff",
        "source_id": source,
        "published_at": published,
        "published_estimated": False,
        "first_seen_at": first_seen,
        "updated_at": first_seen,
        "content_hash": f"{item_id:064x}",
        "extra": {},
    }


def _mentions(rows: list[dict[str, Any]], rng: random.Random) -> Iterator[dict[str, Any]]:
    for row in rows:
        if rng.random() < 0.2:
            for entity in rng.sample(ENTITIES, rng.randint(1, 2)):
                yield {
                    "item_id": row["id"],
                    "entity_id": entity,
                    "alias": entity,
                    "field": "title",
                    "start": 0,
                    "end": len(entity),
                    "kind": "alias",
                }


class PlanRecorder:
    """Collects every statement a block runs, to ask SQLite how it executes each one."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.statements: list[tuple[str, Any]] = []

    def __enter__(self) -> PlanRecorder:
        event.listen(self.store.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.store.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))

    def plans(self) -> list[str]:
        """One line per statement: its SQLite query plan steps, joined."""
        lines = []
        raw = self.store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in self.statements:
                cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                lines.append(" / ".join(row[3] for row in cursor.fetchall()))
        finally:
            raw.close()
        return lines


def timed(
    store: Store, name: str, query: Callable[[Session], int], repeat: int = 5
) -> dict[str, Any]:
    """Median milliseconds of ``query`` in a fresh session each time, and its plans."""
    times, found = [], 0
    with PlanRecorder(store) as recorder, store.session() as session:
        found = query(session)
    for _ in range(repeat):
        with store.session() as session:
            start = time.perf_counter()
            query(session)
            times.append((time.perf_counter() - start) * 1000)
    return {
        "name": name,
        "ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "rows": found,
        "plan": recorder.plans(),
    }


def queries(store: Store, now: datetime) -> list[dict[str, Any]]:
    day = now - timedelta(days=1)
    return [
        timed(store, "items --since 1 day (limit 50)", lambda s: len(list_items(s, since=day))),
        timed(
            store,
            "items --since 30 days (limit 1000)",
            lambda s: len(list_items(s, since=now - timedelta(days=30), limit=1000)),
        ),
        timed(
            store,
            "items --story --since 7 days (limit 50)",
            lambda s: len(list_items(s, story=STORY, since=now - timedelta(days=7))),
        ),
        timed(store, "digest: period_items, 1 day", lambda s: len(period_items(s, day, now).items)),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    args.db.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{args.db}")
    now = datetime.now(UTC).replace(microsecond=0)
    start = time.perf_counter()
    fill(store, args.items, now)
    filled = time.perf_counter() - start
    result = {
        "items": args.items,
        "fill_s": round(filled, 1),
        "db_mb": round(args.db.stat().st_size / 1e6, 1),
        "queries": queries(store, now),
    }
    store.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
