"""Turn a run's figures into ratios, a checked list of targets, one table, and the JSON file.

Ratios come first because this machine is noisy: absolute seconds mean little, but two
processes measured side by side on the same farm keep their proportion.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from lightness import (
    fmt,
    issue_14_goal,
    issue_14_lines,
    median_ratios,
    per_item_ms,
    ratio,
    startup_ratios,
)

BENCH = Path(__file__).resolve().parent
README_START = "<!-- bench-table:start -->"
README_END = "<!-- bench-table:end -->"


@dataclass(frozen=True)
class Target:
    name: str
    value: float | None
    goal: str | None  # like "<= 1.3"; None for a figure shown for context

    @property
    def met(self) -> bool | None:
        if self.value is None or self.goal is None:
            return None
        op, limit = self.goal.split()
        return {"<=": self.value <= float(limit), "<": self.value < float(limit)}.get(
            op, self.value >= float(limit)
        )

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "goal": self.goal, "met": self.met}


def cpu(results: dict[str, Any], name: str) -> float | None:
    run = results["passes"].get(name)
    return run["cpu"] if run and run.get("completed", run["returncode"] == 0) else None


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    match = results.get("match", {})
    return {
        "watcher/floor CPU cold": ratio(cpu(results, "watcher cold"), cpu(results, "floor cold")),
        "watcher/floor CPU warm": ratio(cpu(results, "watcher warm"), cpu(results, "floor warm")),
        "watcher/floor CPU churn": ratio(
            cpu(results, "watcher churn"), cpu(results, "floor churn")
        ),
        "rss2email/watcher CPU cold": ratio(
            cpu(results, "peer cold"), cpu(results, "watcher cold")
        ),
        "rss2email/watcher CPU warm": ratio(
            cpu(results, "peer warm"), cpu(results, "watcher warm")
        ),
        "watcher/fastfeedparser floor CPU cold": ratio(
            cpu(results, "watcher cold"), cpu(results, "floor fastfeedparser cold")
        ),
        "match cost 1000/10 entities": match.get("cost_ratio_1000_10"),
        **median_ratios(results),
        **startup_ratios(results),
        "normalise + match + store per item (ms)": per_item_ms(results).get("in all"),
    }


def targets(results: dict[str, Any]) -> list[Target]:
    shown = ratios(results)
    watcher_cold = results["passes"].get("watcher cold", {})
    store = results.get("store", {})
    slowest = max((q["ms"] for q in store.get("queries", [])), default=None)
    return [
        Target("watcher/floor CPU cold", shown["watcher/floor CPU cold"], "<= 1.3"),
        Target("… and below the floor (faster parser)", shown["watcher/floor CPU cold"], "< 1"),
        Target("watcher/floor CPU warm", shown["watcher/floor CPU warm"], None),
        Target("watcher/floor CPU churn", shown["watcher/floor CPU churn"], None),
        Target(
            "watcher/fastfeedparser floor CPU cold",
            shown["watcher/fastfeedparser floor CPU cold"],
            None,
        ),
        Target("rss2email/watcher CPU cold", shown["rss2email/watcher CPU cold"], ">= 5"),
        Target("rss2email/watcher CPU warm", shown["rss2email/watcher CPU warm"], ">= 2"),
        Target("match cost 1000/10 entities", shown["match cost 1000/10 entities"], "<= 3"),
        *(
            Target(name, value, issue_14_goal(name))
            for name, value in {**median_ratios(results), **startup_ratios(results)}.items()
        ),
        Target(
            "normalise + match + store per item (ms)",
            shown["normalise + match + store per item (ms)"],
            "<= 0.1",
        ),
        Target("watcher cold peak RSS (MB)", watcher_cold.get("peak_rss_mb"), "< 250"),
        Target(f"slowest query on {store.get('items', 0):,} items (CPU ms)", slowest, "< 200"),
    ]


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def versions() -> dict[str, str]:
    found = {}
    for package in ("watcher", "feedparser", "fastfeedparser", "rss2email", "sqlalchemy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "absent"
    found["sqlite"] = sqlite3.sqlite_version
    found["commit"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCH
    ).stdout.strip()
    return found


def table(results: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    """The markdown table: ratios and targets (beside the ``previous`` run's, when given), then
    every process, then the other figures."""
    before = {t["name"]: t["value"] for t in (previous or {}).get("targets", [])}
    params = results["parameters"]
    lines = [
        f"Feeds: {params['feeds']:,} × {params['entries']} entries, {params['workers']} workers; "
        f"{results['machine']['cpu']}, {results['machine']['cores']} cores; "
        f"farm ceiling {fmt(results['farm'].get('requests_per_s'), 0)} requests/s; "
        f"the whole run took {results.get('elapsed_s', 0) / 60:.1f} minutes.",
        "",
        f"| ratio or figure | value | previous run ({(previous or {}).get('started', '–')}) "
        "| target | met |",
        "|---|---:|---:|---|---|",
    ]
    for target in targets(results):
        if target.goal is None:
            met = ""
        else:
            met = {True: "yes", False: "**no**", None: "not measured"}[target.met]
        lines.append(
            f"| {target.name} | {fmt(target.value)} | {fmt(before.get(target.name))} "
            f"| {target.goal or ''} | {met} |"
        )
    lines += [
        "",
        "| process | CPU s | user | sys | wall s | peak RSS MB | responses | summary |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, run in results["passes"].items():
        responses = " ".join(f"{k}:{v}" for k, v in sorted(run.get("farm", {}).items()))
        lines.append(
            f"| {name} | {fmt(run['cpu'])} | {fmt(run['user'])} | {fmt(run['system'])} "
            f"| {fmt(run['wall'])} | {fmt(run['peak_rss_mb'], 0)} | {responses} "
            f"| {run['output'][:90]} |"
        )
    lines += _stage_lines(results.get("stages", {}))
    lines += issue_14_lines(results)
    lines += _match_lines(results.get("match", {}))
    lines += _other_lines(results)
    return "\n".join(lines) + "\n"


def _stage_lines(stages: dict[str, Any]) -> list[str]:
    """Where watcher's CPU went, cold and warm, by stage (``stages.py``)."""
    lines = []
    for phase, profile in stages.items():
        if not isinstance(profile, dict) or not profile.get("stages"):
            continue
        total = profile["process_cpu"]
        shown = {k: v for k, v in profile["stages"].items() if k != "store and match"}
        rest = total - sum(shown.values())
        cells = [
            f"{name} {seconds:.2f} s ({seconds / total:.0%})" for name, seconds in shown.items()
        ]
        lines += [
            "",
            f"Watcher {phase}, {profile['feeds']} feeds, CPU by stage ({total:.2f} s in all): "
            + ", ".join(cells)
            + f", the rest {rest:.2f} s ({rest / total:.0%}).",
        ]
    return lines


def _match_lines(match: dict[str, Any]) -> list[str]:
    if not match.get("rows"):
        return []
    lines = [
        "",
        "| matching | entities | aliases | language | items/s |",
        "|---|---:|---:|---|---:|",
    ]
    for row in match["rows"]:
        lines.append(
            f"| {row.get('label', '')} | {row['entities']:,} | {row['aliases']:,} "
            f"| {row['language']} | {fmt(row['items_per_s'], 0)} |"
        )
    return lines


def _other_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    for key in ("stages", "match", "digest", "store"):
        if "error" in results.get(key, {}):
            lines += ["", f"{key}: not measured: {results[key]['error']}"]
    digest = results.get("digest", {})
    if "timings" in digest:
        lines += [
            "",
            f"Digest of {digest['items']:,} items ({digest['entries']} entries, "
            f"{digest['links']} more as links, {digest['html_kb']} KB of HTML): "
            + _timings(digest["timings"])
            + ".",
        ]
    store = results.get("store", {})
    if "queries" in store:
        cli = store["cli"]
        lines += [
            "",
            f"SQLite with {store['items']:,} items ({store['db_mb']:,.0f} MB, filled in "
            f"{store['fill_s']:.0f} s); `watcher items --since` as a command: "
            f"{cli['wall']:.2f} s wall, {cli['cpu']:.2f} CPU-s (startup included).",
            "",
            "| query | CPU ms | wall ms | rows | SQLite plan, per statement |",
            "|---|---:|---:|---:|---|",
        ]
        for query in store["queries"]:
            plan = "; ".join(query["plan"]).replace("|", "/")
            lines.append(
                f"| {query['name']} | {query['ms']:.1f} | {query['wall_ms']:.1f} "
                f"| {query['rows']} | {plan} |"
            )
    return lines


def _timings(timings: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds * 1000:,.0f} ms" for name, seconds in timings.items())


def write(results: dict[str, Any], path: Path, readmes: list[Path]) -> str:
    """Write the JSON (with ratios and targets added) and the READMEs' table; return the table,
    whose figures stand beside those of the run ``path`` held before."""
    previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    results["ratios"] = ratios(results)
    results["targets"] = [t.as_dict() for t in targets(results)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = table(results, previous)
    for readme in readmes:
        _update_readme(readme, text, results)
    return text


def _update_readme(readme: Path, text: str, results: dict[str, Any]) -> None:
    """Replace the table between the markers, leaving the rest of the README as written."""
    if not readme.exists():
        return
    current = readme.read_text(encoding="utf-8")
    if README_START not in current or README_END not in current:
        return
    head, _, rest = current.partition(README_START)
    _, _, tail = rest.partition(README_END)
    stamp = f"Run {results['started']} with `{results['command']}`.\n\n"
    readme.write_text(f"{head}{README_START}\n{stamp}{text}{README_END}{tail}", encoding="utf-8")
