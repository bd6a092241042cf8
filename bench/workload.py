"""The workload every contender sees: a running farm, and a watcher config pointing at it.

``FarmProcess`` starts ``farm.py serve`` as its own process and drives it over HTTP (manifest,
churn, response counts). ``write_watcher_config`` turns the bundled config's people,
organisations, topics and stories plus the farm's feeds into the config watcher polls with.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
ENTITY_SECTIONS = ("people", "organizations", "topics")


class FarmProcess:
    """The farm, started in the background; use as a context manager so it always stops."""

    def __init__(
        self, feeds: int, entries: int, names: Path, log: Path, mention_share: float = 0.25
    ) -> None:
        self.argv = [
            sys.executable,
            str(BENCH / "farm.py"),
            "serve",
            f"--feeds={feeds}",
            f"--entries={entries}",
            f"--names={names}",
            f"--mention-share={mention_share}",
        ]
        self.log = log
        self.url = ""
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FarmProcess:
        self.process = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("READY "):
            self.__exit__()
            raise RuntimeError(f"the farm did not start; see {self.log}")
        self.url = line.split()[1]
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=120) as response:
            return json.load(response)

    def manifest(self) -> list[dict[str, str]]:
        return self._get("/_control/manifest")

    def urls(self) -> list[str]:
        return [self.url + feed["path"] for feed in self.manifest()]

    def churn(self, share: float, seed: int = 1) -> int:
        return len(self._get(f"/_control/churn?share={share}&seed={seed}")["changed"])

    def take_stats(self) -> dict[str, int]:
        """Responses by kind (200, 304, 500, slow, timeout) since the last call."""
        return self._get("/_control/stats?reset=1")


def load_entities(path: Path) -> dict[str, Any]:
    """People, organisations, topics and stories of a watcher config (the bundled one)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    keep = (*ENTITY_SECTIONS, "stories", "timezone", "languages")
    return {key: data[key] for key in keep if key in data}


def watched_names(entities: dict[str, Any]) -> list[str]:
    """Every strong alias (or name), for the farm to mention in its entries."""
    names: list[str] = []
    for section in ENTITY_SECTIONS:
        for entity in entities.get(section, []):
            names.extend(entity.get("aliases") or [entity["name"]])
    return names


def write_watcher_config(
    path: Path,
    entities: dict[str, Any],
    urls: list[str],
    workers: int,
    timeout: float,
    digest: bool = False,
) -> None:
    """A config polling ``urls`` with ``workers`` threads, all allowed on the one farm host.

    With ``digest``, a digest of every matched item (no story filter) to a webhook channel.
    """
    config: dict[str, Any] = {
        **entities,
        "fetch": {
            "workers": workers,
            "per_host": min(workers, 64),
            "timeout": f"{timeout:g}s",
            "connect_timeout": f"{timeout:g}s",
        },
        "sources": [{"id": f"farm-{i:05d}", "feed": url} for i, url in enumerate(urls)],
    }
    if digest:
        config["channels"] = [{"id": "bench", "webhook": "https://hooks.example.invalid/bench"}]
        config["digests"] = [{"id": "bench", "at": "07:00", "send_to": ["bench"]}]
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
