"""Where watcher's CPU goes in one poll: the same command, with each stage's CPU time summed.

    python bench/stages.py -c bench_config.yaml poll --once

Wraps the pipeline's stage functions (config, database, fetch, parse, normalise, match, store)
with a per-thread CPU clock, runs the ordinary CLI, and prints one JSON object. Stages in worker
threads and in the writer thread, plus the imports, add up to nearly all of the process's CPU.
It reads watcher's internals by name: a stage that is not found is left out, never guessed.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

STAGES = {
    "config": ("watcher.cli.app", None, "load_config"),
    "open and migrate": ("watcher.cli.app", None, "open_store"),
    "sync sources": ("watcher.store.sources", None, "sync_sources"),
    "fetch": ("watcher.fetch.http", "Fetcher", "get"),
    "parse": ("watcher.parse", None, "parse_feed"),  # imported by the poll at its first body
    "normalise": ("watcher.jobs.poll", None, "normalise_entries"),
    "match": ("watcher.match", "Matcher", "match"),
    "store and match": ("watcher.jobs.poll", None, "_store_batch"),
}

spent: dict[str, float] = defaultdict(float)
calls: dict[str, int] = defaultdict(int)
_lock = threading.Lock()


def _timed(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                spent[stage] += time.thread_time() - started
                calls[stage] += 1

    return wrapper


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def instrument() -> list[str]:
    """Wrap every stage that exists; return the names of those that do not."""
    import importlib

    missing = []
    for stage, (module_name, owner_name, attribute) in STAGES.items():
        module = importlib.import_module(module_name)
        owner = getattr(module, owner_name) if owner_name else module
        function = getattr(owner, attribute, None)
        if function is None:
            missing.append(stage)
            continue
        setattr(owner, attribute, _timed(stage, function))
    return missing


def main() -> None:
    missing = instrument()  # imports the CLI and the pipeline: their import cost is counted
    spent["imports"] = _cpu()
    from watcher.cli.app import EXIT_FAILED
    from watcher.cli.app import main as watcher_main

    sys.argv = ["watcher", *sys.argv[1:]]
    try:
        watcher_main()
    except SystemExit as exit_:
        # A poll exits EXIT_FAILED when some sources failed, as the farm's bad feeds always do:
        # the profile is still whole.
        if exit_.code not in (None, 0, EXIT_FAILED):
            raise
    finally:
        result = {
            "process_cpu": round(_cpu(), 2),
            "stages": {stage: round(seconds, 2) for stage, seconds in spent.items()},
            "calls": dict(calls),
            "missing": missing,
        }
        if "store and match" in spent:
            result["stages"]["store"] = round(spent["store and match"] - spent["match"], 2)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
