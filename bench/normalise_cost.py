"""The normalise stage per item: µs for ``normalise_entry`` and for its two costliest steps.

    python bench/normalise_cost.py [--feeds 300] [--repeat 3] [--profile]

Entries come from the farm's own feeds (``feeds.py``, rendered in this process, no server) and,
when it is present, from the shared real-world corpus (``../shared/corpus/realworld``). Each is
parsed once with ``parse_feed``; then every entry is normalised, every link canonicalised and
every item's language detected, ``--repeat`` times, and the median pass is reported in µs per
call. Prints one JSON object; ``--profile`` prints cProfile's top functions of the normalise
passes to standard error instead of timing them.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feeds import Text, default_epoch, plan_feeds, render
from workload import load_entities, watched_names

from watcher.errors import ParseError
from watcher.model import Entry, Item
from watcher.normalise import canonical_url, detect_language, normalise_entry
from watcher.parse import parse_feed

BENCH = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("WATCHER_SHARED_DIR", BENCH.parent.parent / "shared"))
CORPUS = SHARED / "corpus" / "realworld"
LANGUAGES = ["en", "ar"]
SEEN = datetime.now(UTC)  # the farm dates its entries from now


@dataclass(frozen=True)
class Sample:
    """One entry with the feed URL it came from."""

    entry: Entry
    feed_url: str


def farm_samples(feeds: int) -> list[Sample]:
    """Every entry of the farm's first ``feeds`` feeds, parsed as a poll would parse them."""
    names = watched_names(load_entities(BENCH.parent / "config" / "watch.yaml"))
    text, epoch = Text.from_names(names), default_epoch(20)
    found = []
    for spec in plan_feeds(feeds):
        url = f"http://127.0.0.1:8000{spec.path}"
        parsed = parse_feed(render(spec, 0, 20, text, epoch), source_id="bench", url=url)
        found += [Sample(entry, url) for entry in parsed.entries]
    return found


def corpus_samples(corpus: Path) -> list[Sample]:
    """Every entry of every feed in the shared corpus; none when it is absent."""
    if not (corpus / "manifest.tsv").is_file():
        return []
    with (corpus / "manifest.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    found = []
    for row in rows:
        url = f"https://corpus.example/{row['path']}"
        try:
            parsed = parse_feed((corpus / row["path"]).read_bytes(), source_id="c", url=url)
        except ParseError:
            continue
        found += [Sample(entry, url) for entry in parsed.entries]
    return found


def normalised(sample: Sample) -> Item | None:
    return normalise_entry(
        sample.entry,
        source_id="bench",
        feed_url=sample.feed_url,
        seen_at=SEEN,
        owner=None,
        languages=LANGUAGES,
    )


def normalise_all(samples: list[Sample]) -> None:
    for sample in samples:
        normalised(sample)


def per_call_us(run: Callable[[], int], repeat: int) -> float:
    """Median over ``repeat`` passes of CPU µs per call; ``run`` returns how many calls it made."""
    timings = []
    for _ in range(repeat):
        started = time.process_time()
        calls = run()
        timings.append((time.process_time() - started) / max(calls, 1) * 1e6)
    return round(statistics.median(timings), 2)


def measure(samples: list[Sample], repeat: int) -> dict[str, Any]:
    items = [(item, s.entry) for s in samples if (item := normalised(s)) is not None]
    links = [(s.entry.link, s.feed_url) for s in samples if s.entry.link]
    texts = [(f"{item.title} {item.text}", entry.language) for item, entry in items]

    def normalise() -> int:
        normalise_all(samples)
        return len(samples)

    def canonicalise() -> int:
        for link, base in links:
            canonical_url(link, base)
        return len(links)

    def detect() -> int:
        for text, declared in texts:
            detect_language(text, LANGUAGES, declared)
        return len(texts)

    return {
        "entries": len(samples),
        "items": len(items),
        "normalise_entry_us": per_call_us(normalise, repeat),
        "canonical_url_us": per_call_us(canonicalise, repeat),
        "detect_language_us": per_call_us(detect, repeat),
    }


def profile(sets: dict[str, list[Sample]]) -> None:
    for name, samples in sets.items():
        profiler = cProfile.Profile()
        profiler.runcall(normalise_all, samples)
        print(f"--- {name}: {len(samples)} entries", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=300, help="farm feeds to render and parse")
    parser.add_argument("--repeat", type=int, default=3, help="passes; the median is reported")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the shared corpus folder")
    parser.add_argument("--profile", action="store_true", help="cProfile instead of timings")
    args = parser.parse_args(argv)
    sets = {"farm": farm_samples(args.feeds), "corpus": corpus_samples(args.corpus)}
    sets = {name: samples for name, samples in sets.items() if samples}
    normalise_all([s for samples in sets.values() for s in samples])  # warm every cache once
    if args.profile:
        profile(sets)
        return
    print(json.dumps({name: measure(samples, args.repeat) for name, samples in sets.items()}))


if __name__ == "__main__":
    main()
