"""The web view's search at scale: /items?q= on a database of stored items, index and matcher.

    python bench/web_search.py --items 100000 --db bench/work/web_search.db

Fills a migrated SQLite database as ``scale.py`` does (a year of items, 40 words each from a
5,000-word vocabulary, a fifth mentioning a watched entity), builds the search index the way
the web view's indexer does, then times each query: the search alone (index, candidates, the
matcher on each) and the whole /items page (the WSGI app, rendering included), CPU and wall
milliseconds, median of five. For scale it also times the matcher reading items one by one,
which is what a search without an index would have to do. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from werkzeug.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import PlanRecorder, fill

from watcher.config import Config, load_config
from watcher.jobs.rematch import stored_item
from watcher.match import Matcher
from watcher.store import Store, open_store
from watcher.store.tables import ItemRow, MentionRow
from watcher.store.views import ItemFilter
from watcher.web.app import WebApp
from watcher.web.indexer import SearchIndexer
from watcher.web.search import search

CONFIG = Path(__file__).resolve().parents[1] / "config" / "watch.yaml"
QUERIES = [
    ("a rare word", "w4321"),
    ("two words", "w17 AND w23"),
    ("a phrase", '"w10 w20"'),
    ("a prefix", "w123*"),
    ("an entity", "leike"),
    ("an entity and a word", "leike AND w77"),
    ("either word", "w5 OR w6"),
    ("a word but not another", "w5 AND NOT w6"),
    ("words near", "w1 NEAR/3 w2"),
    ("a word no item has", "zeppelin"),
]


def _timed(action: Callable[[], Any], repeat: int = 5) -> tuple[float, float, Any]:
    """Median CPU and wall milliseconds of ``action``, and its last result."""
    cpus, walls, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return round(statistics.median(cpus), 1), round(statistics.median(walls), 1), result


def measure_query(
    store: Store, app: Client, config: Config, matcher: Matcher, name: str, text: str
) -> dict:
    def run() -> Any:
        with store.session() as session:
            return search(session, config, matcher, text, ItemFilter(), before=None, limit=50)

    with PlanRecorder(store) as recorder:
        run()
    cpu, wall, found = _timed(run)
    page_cpu, page_wall, response = _timed(lambda: app.get("/items", query_string={"q": text}))
    assert response.status_code == 200
    return {
        "name": name,
        "query": text,
        "ms": cpu,
        "wall_ms": wall,
        "page_ms": page_cpu,
        "page_wall_ms": page_wall,
        "matches": len(found.rows),
        "candidates_read": found.examined,
        "plan": [plan for plan in recorder.plans() if "items" in plan][:1],
    }


def name_the_mentions(store: Store, config: Config) -> None:
    """``fill`` records mentions without writing the names in the text; write them in, so the
    matcher (which reads the text) finds what the mentions say."""
    with store.session() as session:
        for entity in config.entities:
            mentioned = select(MentionRow.item_id).where(MentionRow.entity_id == entity.id)
            session.execute(
                update(ItemRow)
                .where(ItemRow.id.in_(mentioned))
                .values(text=ItemRow.text + f" {entity.aliases[0]}.")
            )


def matcher_rate(store: Store, config: Config, matcher: Matcher, count: int = 5000) -> float:
    """Items per second the matcher reads without an index (what a scan would cost)."""
    with store.session() as session:
        rows = list(session.scalars(select(ItemRow).limit(count)))
    started = time.process_time()
    for row in rows:
        matcher.analyse(stored_item(row, config))
    return round(len(rows) / (time.process_time() - started))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    args.db.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{args.db}")
    now = datetime.now(UTC).replace(microsecond=0)
    config = load_config(CONFIG)
    fill(store, args.items, now)
    name_the_mentions(store, config)
    before = args.db.stat().st_size

    wall, cpu = time.perf_counter(), time.process_time()
    indexed = SearchIndexer(store, clock=lambda: now).index()
    index_cpu, index_wall = time.process_time() - cpu, time.perf_counter() - wall

    matcher = Matcher(config)
    client = Client(WebApp(store, lambda: config, token=None, clock=lambda: now))
    with store.session() as session:
        total = session.scalar(select(func.count()).select_from(ItemRow))
    result = {
        "items": total,
        "db_mb": round(before / 1e6, 1),
        "index_mb": round((args.db.stat().st_size - before) / 1e6, 1),
        "index_items": indexed,
        "index_cpu_s": round(index_cpu, 1),
        "index_wall_s": round(index_wall, 1),
        "matcher_items_per_s": matcher_rate(store, config, matcher),
        "queries": [measure_query(store, client, config, matcher, *q) for q in QUERIES],
    }
    store.close()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
