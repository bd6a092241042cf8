"""The digest's cost: build (select, fold near-duplicates, rank) and render one digest.

    WATCHER_DATABASE_URL=sqlite:///… python bench/digest_cost.py -c bench_config.yaml

The database is one ``watcher poll --once`` filled from a farm whose every entry mentions a
watched name, so the config's first digest (which lists no stories: it takes every matched
item) covers them all. Prints one JSON object (the median of ``--repeat`` runs, default 1).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta

from watcher.config import load_config
from watcher.digest.build import build_digest
from watcher.digest.render import render_digest
from watcher.store import open_store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    digest = config.digests[0]
    store = open_store(config.database_url)
    end = datetime.now(UTC) + timedelta(minutes=1)
    start = end - timedelta(days=1)
    builds, renders = [], []
    for _ in range(args.repeat):
        with store.session() as session:
            started = time.perf_counter()
            content = build_digest(session, config, digest, start, end)
            built = time.perf_counter()
            rendered = render_digest(content, config, digest)
            builds.append(built - started)
            renders.append(time.perf_counter() - built)
    store.close()
    result = {
        "items": content.item_count,
        "entries": sum(len(s.entries) for s in content.sections),
        "links": sum(len(s.more) for s in content.sections),
        "html_kb": round(len(rendered.html.encode()) / 1024, 1),
        "timings": {
            "build": round(statistics.median(builds), 3),
            "render": round(statistics.median(renders), 3),
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
