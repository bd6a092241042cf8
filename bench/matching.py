"""Matching throughput by entity count and script: 10, 100 and 1,000 entities, English and Arabic.

    python bench/matching.py [--items 1000] [--repeat 3]

Each config has N generated people with 5 aliases each (full name, surname, initial and
surname, the Arabic spelling, the Arabic surname), a weak first name, and one story over the
first three. Items are the farm's kind of text (``feeds.py`` vocabulary, ~1 KB), in English and
in Arabic; a quarter name one of the 1,000 people, so every size reads the same text and the
more people are watched, the more of those names are hits. Prints one JSON object;
``cost_ratio_1000_10`` is the per-item cost at 1,000 entities over the cost at 10, both
scripts together.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from feeds import ARABIC, ENGLISH

from watcher.config import parse_config
from watcher.match import Matcher
from watcher.model import Item

SIZES = (10, 100, 1000)
LATIN, VOWELS = "bcdfghjklmnprstvz", "aeiou"
AR_LETTERS, AR_VOWELS = "بتجدرزسشصطعغفقكلمنهوي", "اوي"


def _word(rng: random.Random, consonants: str, vowels: str) -> str:
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 3)))


def people(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` people, 5 strong aliases each (2 of them Arabic) and a weak first name."""
    found = []
    for index in range(count):
        first, last = _word(rng, LATIN, VOWELS).title(), _word(rng, LATIN, VOWELS).title()
        ar_first, ar_last = _word(rng, AR_LETTERS, AR_VOWELS), _word(rng, AR_LETTERS, AR_VOWELS)
        found.append(
            {
                "id": f"p{index}",
                "name": f"{first} {last}",
                "aliases": [
                    f"{first} {last}",
                    f"{last}{index}",
                    f"{first[0]}. {last}",
                    f"{ar_first} {ar_last}",
                    f"{ar_last}{index}",
                ],
                "weak_aliases": [first],
            }
        )
    return found


def config_text(entities: list[dict[str, Any]]) -> str:
    story = {
        "id": "bench",
        "title": "Bench story",
        "since": "2024-01-01",
        "match": "p0 OR (p1 AND p2)",
    }
    return yaml.safe_dump({"people": entities, "stories": [story]}, allow_unicode=True)


def items(
    rng: random.Random, count: int, language: str, entities: list[dict[str, Any]]
) -> list[Item]:
    """``count`` ~1 KB items; a quarter name someone from ``entities`` in their script."""
    words = ARABIC if language == "ar" else ENGLISH
    made = []
    for index in range(count):
        text = words.choose(rng, 150)
        if rng.random() < 0.25:
            aliases = rng.choice(entities)["aliases"]
            name = aliases[3] if language == "ar" else aliases[0]
            text.insert(rng.randrange(len(text)), name)
        made.append(
            Item(
                key=f"{language}-{index}",
                url=f"https://news.example.org/{language}/{index}",
                title=" ".join(text[:10]),
                text=" ".join(text),
                summary=" ".join(text[:40]),
                source_id="bench",
                published=datetime(2026, 11, 1, tzinfo=UTC),
                language=language,
            )
        )
    return made


def seconds_per_pass(matcher: Matcher, batch: list[Item], repeat: int) -> float:
    """The best CPU time of ``repeat`` passes over ``batch``: CPU, since the machine is shared."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for item in batch:
            matcher.match(item)
        best = min(best, time.process_time() - started)
    return best


def run(count: int, repeat: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    everyone = people(rng, max(SIZES))
    batches = {
        language: items(random.Random(f"{seed}-{language}"), count, language, everyone)
        for language in ("en", "ar")
    }
    # One untimed pass first: whatever warms up once per process (caches, lazy imports) must
    # not be charged to whichever size happens to run first.
    warm = Matcher(parse_config(config_text(everyone[:10]), Path("warm-up.yaml")))
    for batch in batches.values():
        seconds_per_pass(warm, batch, 1)
    rows, mixed = [], {}
    for size in SIZES:
        entities = everyone[:size]
        config = parse_config(config_text(entities), Path(f"{size}-entities.yaml"))
        started = time.perf_counter()
        matcher = Matcher(config)
        built = time.perf_counter() - started
        spent = 0.0
        for language, batch in batches.items():
            seconds = seconds_per_pass(matcher, batch, repeat)
            spent += seconds
            rows.append(
                {
                    "label": f"{size} entities",
                    "entities": size,
                    "aliases": size * 5,
                    "language": language,
                    "items_per_s": round(count / seconds),
                    "build_s": round(built, 3),
                }
            )
        mixed[size] = spent
    return {
        "rows": rows,
        "items": count,
        "cost_ratio_1000_10": round(mixed[max(SIZES)] / mixed[min(SIZES)], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000, help="per language")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(run(args.items, args.repeat, args.seed)))


if __name__ == "__main__":
    main()
