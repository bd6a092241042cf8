"""bench/web_search.py still runs end to end (a few hundred items, no timing judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "web_search.py"


@pytest.mark.slow
def test_the_search_bench_runs_and_reports_every_query(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--items", "300", "--db", str(tmp_path / "bench.db")],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    report = json.loads(result.stdout)

    assert report["items"] == 300 and report["index_items"] == 300
    queries = {query["name"]: query for query in report["queries"]}
    assert len(queries) == 10
    assert queries["a word no item has"]["matches"] == 0
    assert queries["a word no item has"]["candidates_read"] == 0
    assert queries["an entity"]["matches"] > 0
    assert all(query["candidates_read"] <= 2000 for query in queries.values())
