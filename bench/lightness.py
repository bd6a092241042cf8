"""Issue 14's figures: how light watcher is next to rss2email, per item, at start-up and idle.

Medians of the repeated cold and warm runs (``medians.py``) at each farm size, the start-up
commands against ``r2e --version``, the per-item cost of normalise, match and store from the
stage profile, ``normalise_entry``'s own µs, and the daemon's CPU per tick with idle sources.
``report.py`` puts their targets in its table and these lines under it.
"""

from __future__ import annotations

import statistics
from typing import Any

from medians import CONTENDERS, PHASES


def ratio(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 2) if top is not None and bottom else None


def fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def median_ratio(results: dict[str, Any], feeds: str, top: str, bottom: str) -> float | None:
    """The median over the repeated runs at ``feeds`` feeds of ``top``/``bottom`` CPU."""
    runs = results.get("repeats", {}).get(feeds, {}).get("runs", [])
    found = [r for run in runs if (r := ratio(run.get(top), run.get(bottom))) is not None]
    return round(statistics.median(found), 2) if found else None


def median_ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """Issue 14's peer and floor ratios, medians of the repeated runs, at every size run."""
    found = {}
    for feeds in sorted(results.get("repeats", {}), key=int):
        for phase in PHASES:
            found[f"rss2email/watcher CPU {phase}, median ({int(feeds):,} feeds)"] = median_ratio(
                results, feeds, f"peer {phase}", f"watcher {phase}"
            )
        found[f"watcher/floor CPU cold, median ({int(feeds):,} feeds)"] = median_ratio(
            results, feeds, "watcher cold", "floor cold"
        )
    return found


def startup_ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """Each start-up command's median CPU over ``r2e --version``'s."""
    startup = results.get("startup", {})
    peer = startup.get("r2e --version", {}).get("cpu")
    return {
        f"{name} / r2e --version CPU": ratio(figures["cpu"], peer)
        for name, figures in startup.items()
        if name.startswith("watcher")
    }


def per_item_ms(results: dict[str, Any]) -> dict[str, float]:
    """ms an item of normalise, match and store in the cold stage profile (each new item is
    matched once, so the match stage's calls count the items)."""
    cold = results.get("stages", {}).get("cold", {})
    items = cold.get("calls", {}).get("match")
    if not items:
        return {}
    found = {
        stage: round(cold["stages"][stage] / items * 1000, 3)
        for stage in ("normalise", "match", "store")
        if stage in cold.get("stages", {})
    }
    found["in all"] = round(sum(found.values()), 3)
    return found


# Issue 14: five times lighter than rss2email cold, twice warm, at 300 and 2,000 feeds; below
# 0.6x the feedparser floor at 2,000 feeds; a CLI that starts about as fast as ``r2e --version``.
_ISSUE_14_GOALS = {
    "rss2email/watcher CPU cold": ">= 5",
    "rss2email/watcher CPU warm": ">= 2",
    "watcher/floor CPU cold": "<= 0.6",
    "watcher --version / r2e --version CPU": "<= 1.5",
    "watcher --help / r2e --version CPU": "<= 1.5",
    "watcher items --limit 5 / r2e --version CPU": "<= 2.5",
}


def issue_14_goal(name: str) -> str | None:
    """The goal of a median or start-up figure, by the name ``median_ratios`` and
    ``startup_ratios`` give it (the floor's only at 2,000 feeds)."""
    if name.startswith("watcher/floor") and "(2,000 feeds)" not in name:
        return None
    return _ISSUE_14_GOALS.get(name.split(",")[0])


def issue_14_lines(results: dict[str, Any]) -> list[str]:
    return [
        *_median_lines(results.get("repeats", {})),
        *_startup_lines(results.get("startup", {})),
        *_per_item_lines(results),
        *_daemon_lines(results.get("daemon", {})),
    ]


def _median_lines(repeats: dict[str, Any]) -> list[str]:
    """Each size's cold and warm CPU seconds, run by run."""
    if not repeats:
        return []
    lines = [
        "",
        "| feeds | run | floor cold | watcher cold | rss2email cold | floor warm | watcher warm "
        "| rss2email warm | rss2email/watcher cold | warm |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for feeds in sorted(repeats, key=int):
        for number, run in enumerate(repeats[feeds]["runs"], 1):
            cells = [fmt(run.get(f"{c} {p}")) for p in ("cold", "warm") for c in CONTENDERS]
            peer = [fmt(ratio(run.get(f"peer {p}"), run.get(f"watcher {p}"))) for p in PHASES]
            lines.append(f"| {int(feeds):,} | {number} | {' | '.join(cells + peer)} |")
    return lines


def _startup_lines(startup: dict[str, Any]) -> list[str]:
    if not startup:
        return []
    peer = startup.get("r2e --version", {}).get("cpu")
    lines = [
        "",
        "| start-up command | CPU s, median | runs | / r2e --version |",
        "|---|---:|---|---:|",
    ]
    for name, figures in startup.items():
        runs = ", ".join(fmt(cpu) for cpu in figures["runs"])
        lines.append(
            f"| `{name}` | {fmt(figures['cpu'])} | {runs} | {fmt(ratio(figures['cpu'], peer))} |"
        )
    return lines


def _per_item_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    per_item = per_item_ms(results)
    if per_item:
        items = results["stages"]["cold"]["calls"]["match"]
        cells = ", ".join(f"{stage} {ms:.3f} ms" for stage, ms in per_item.items())
        lines += ["", f"Per item, cold, {items:,} items (stage profile): {cells}."]
    for name, figures in results.get("normalise", {}).items():
        if isinstance(figures, dict) and "normalise_entry_us" in figures:
            lines += [
                "",
                f"`normalise_entry` on the {name}'s {figures['entries']:,} entries: "
                f"{figures['normalise_entry_us']:.1f} µs an entry, of which `canonical_url` "
                f"{figures['canonical_url_us']:.1f} µs and `detect_language` "
                f"{figures['detect_language_us']:.1f} µs (`normalise_cost.py`).",
            ]
    return lines


def _daemon_lines(daemon: dict[str, Any]) -> list[str]:
    if "all_304" not in daemon:
        return []
    busy, idle, first = daemon["all_304"], daemon["nothing_due"], daemon["first"]
    per_source = busy["cpu_s"] / max(1, daemon["sources"]) * 1000
    return [
        "",
        f"Daemon with {daemon['sources']:,} idle sources, CPU per `poll_tick` (median of "
        f"{len(busy['runs'])}): nothing due {idle['cpu_s'] * 1000:.1f} ms; every source due and "
        f"answering 304 {busy['cpu_s']:.2f} s ({per_source:.2f} ms a source); the first tick, "
        f"every source new, {first['cpu_s']:.2f} s.",
    ]
