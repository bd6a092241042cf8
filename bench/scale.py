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

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from watcher.store import Store, open_store
from watcher.store.digests import period_items
from watcher.store.items import list_items
from watcher.store.tables import ItemRow

SOURCES = 2000
STORY = "openai-safety-exits"  # the bundled config's story
ENTITIES = ("sutskever", "leike", "altman", "openai", "microsoft", "anthropic", "ai_safety")
BATCH = 50_000


def fill(store: Store, count: int, now: datetime, seed: int = 1) -> None:
    """``count`` items over the year before ``now``, written straight through the DB-API.

    The ORM would take minutes for a million rows; plain ``executemany`` with the values in
    the format SQLAlchemy itself stores (checked by ``check_fill``) takes well under one.
    Durability is off while filling: this database is scratch.
    """
    rng = random.Random(seed)
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-200000")
        cursor.executemany(
            "INSERT INTO sources (id, kind, url, consecutive_failures, items_total) "
            "VALUES (?, 'feed', ?, 0, 0)",
            [(f"farm-{i:05d}", f"http://127.0.0.1/feeds/{i}") for i in range(SOURCES)],
        )
        for first in range(1, count + 1, BATCH):
            items = [_item(i, rng, now) for i in range(first, min(count + 1, first + BATCH))]
            cursor.executemany(ITEM_INSERT, items)
            cursor.executemany(
                "INSERT INTO item_sources (item_id, source_id, first_seen_at) VALUES (?, ?, ?)",
                [(item[0], item[10], item[13]) for item in items],
            )
            cursor.executemany(MENTION_INSERT, _mentions(items, rng))
            cursor.executemany(
                "INSERT INTO story_matches (story_id, item_id, matched_at) VALUES (?, ?, ?)",
                [(STORY, item[0], item[13]) for item in items if rng.random() < 0.03],
            )
            raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


ITEM_COLUMNS = (
    "id, key, url, guid, title, summary, summary_html, text, author, by, source_id, "
    "published_at, published_estimated, first_seen_at, updated_at, content_hash, extra"
)
ITEM_INSERT = f"INSERT INTO items ({ITEM_COLUMNS}) VALUES ({', '.join('?' * 17)})"
MENTION_INSERT = (
    'INSERT INTO mentions (item_id, entity_id, alias, field, start, "end", kind) '
    "VALUES (?, ?, ?, 'title', 0, ?, 'alias')"
)


def _stamp(value: datetime) -> str:
    """How SQLAlchemy stores a (naive UTC) DateTime in SQLite."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _item(item_id: int, rng: random.Random, now: datetime) -> tuple[Any, ...]:
    published = now - timedelta(seconds=rng.randrange(365 * 86400))
    first_seen = _stamp(published + timedelta(seconds=rng.randrange(7200)))
    source = f"farm-{rng.randrange(SOURCES):05d}"
    words = " ".join(f"w{rng.randrange(5000)}" for _ in range(40))
    url = f"https://news{source[-5:]}.example.org/story-{item_id}"
    return (
        item_id,
        url,
        url,
        f"https://news{source[-5:]}.example.org/id/{item_id}",
        f"Item {item_id}: {words[:60]}",
        words[:200],
        f"<p>{words[:200]}</p>",
        words,
        "Staff",
        None,
        source,
        _stamp(published),
        0,
        first_seen,
        first_seen,
        f"{item_id:064x}",
        "{}",
    )


def _mentions(items: list[tuple[Any, ...]], rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for item in items:
        if rng.random() < 0.2:
            for entity in rng.sample(ENTITIES, rng.randint(1, 2)):
                yield (item[0], entity, entity, len(entity))


def check_fill(store: Store, now: datetime) -> None:
    """The raw rows read back through the ORM as the app's own would: same types, same zone."""
    with store.session() as session:
        row = session.get_one(ItemRow, 1)
        expected = _item(1, random.Random(1), now)
        assert row.published_at == datetime.fromisoformat(expected[11]).replace(tzinfo=UTC)
        assert row.published_estimated is False and row.extra == {}
        assert session.scalar(select(func.count()).select_from(ItemRow)) > 0


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
        """One line per distinct plan: its SQLite query plan steps, joined."""
        lines = []
        raw = self.store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in self.statements:
                cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                lines.append(" / ".join(row[3] for row in cursor.fetchall()))
        finally:
            raw.close()
        return list(dict.fromkeys(lines))  # a chunked IN query repeats its plan per chunk


def timed(
    store: Store, name: str, query: Callable[[Session], int], repeat: int = 5
) -> dict[str, Any]:
    """Median wall and CPU milliseconds of ``query``, a fresh session each time; its plans.

    CPU time is the figure to judge by on a shared machine: wall time there mostly measures
    how long the query waited for a core.
    """
    walls, cpus, found = [], [], 0
    with PlanRecorder(store) as recorder, store.session() as session:
        found = query(session)
    for _ in range(repeat):
        with store.session() as session:
            wall, cpu = time.perf_counter(), time.thread_time()
            query(session)
            cpus.append((time.thread_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
    return {
        "name": name,
        "ms": round(statistics.median(cpus), 1),
        "wall_ms": round(statistics.median(walls), 1),
        "rows": found,
        "plan": recorder.plans(),
    }


def queries(store: Store, now: datetime) -> list[dict[str, Any]]:
    day = now - timedelta(days=1)
    week = now - timedelta(days=7)
    return [
        timed(store, "items --since 1 day", lambda s: len(list_items(s, since=day))),
        timed(
            store,
            "items --story --since 7 days",
            lambda s: len(list_items(s, story=STORY, since=week)),
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
    check_fill(store, now)
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
