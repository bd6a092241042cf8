"""Matching throughput by entity count and script: 10, 100 and 1,000 entities, English and Arabic.

    python bench/matching.py [--items 1500] [--repeat 3]

Reuses the matching benchmark's corpus and configs (``match.py``: ~2 KB items from a
Zipf-distributed vocabulary, the real people plus generated ones with 5 aliases each), and
splits its figure by the script of the text and adds the 100-entity point. Prints one JSON
object; ``cost_ratio_1000_10`` is the per-item cost at 1,000 entities over the cost at 10, on
the mixed corpus.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import match as corpus
import yaml

from watcher.config import parse_config
from watcher.match import Matcher
from watcher.model import Item

SIZES = (10, 100, 1000)


def configs(rng: random.Random) -> dict[int, str]:
    """YAML configs with 10, 100 and 1,000 entities (10 real, the rest generated)."""
    real = yaml.safe_load(corpus.REAL)
    real_count = sum(len(real.get(s, [])) for s in ("people", "organizations", "topics"))
    return {
        size: yaml.safe_dump(corpus.big_config(rng, size - real_count), allow_unicode=True)
        for size in SIZES
    }


def items_per_second(matcher: Matcher, items: list[Item], repeat: int) -> float:
    return corpus.throughput(matcher, items, repeat)


def run(count: int, repeat: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    items = corpus.make_items(rng, count)
    by_language = {
        "en": [i for n, i in enumerate(items) if n % 3 != 2],
        "ar": [i for n, i in enumerate(items) if n % 3 == 2],
        "mixed": items,
    }
    rows = []
    for size, text in configs(rng).items():
        config = parse_config(text, Path(f"{size}.yaml"))
        started = time.perf_counter()
        matcher = Matcher(config)
        built = time.perf_counter() - started
        aliases = sum(len(e.aliases) + len(e.weak_aliases) for e in config.entities)
        for language, chosen in by_language.items():
            rows.append(
                {
                    "label": f"{size} entities, {language}",
                    "entities": len(config.entities),
                    "aliases": aliases,
                    "language": language,
                    "items_per_s": round(items_per_second(matcher, chosen, repeat)),
                    "build_s": round(built, 3),
                }
            )
    mixed = {row["entities"]: row["items_per_s"] for row in rows if row["language"] == "mixed"}
    return {
        "rows": rows,
        "items": count,
        "cost_ratio_1000_10": round(mixed[min(mixed)] / mixed[max(mixed)], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(run(args.items, args.repeat, args.seed)))


if __name__ == "__main__":
    main()
