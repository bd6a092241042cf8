"""Date reading: exactness on the table of real-world dates, and the cost per date.

    .venv/bin/python bench/dates.py [--repeat 200] [--json]

The table is tests/data/arabic_dates.tsv (text, zone, the UTC instant; "-" for no date). Each
text goes through what the parse stage does (feedparser's ``_parse_date``, then ``feed_date``)
and the zone normalise applies. Reported:

- exactness: texts read to their exact instant (and no-dates left unread), out of the table;
- ``parse_date``: µs per date over the whole table (the fallback, for what feedparser leaves);
- the common path: µs per standard RFC 822 / ISO 8601 date (with and without a zone) for
  ``feed_date`` on feedparser's reading, beside the conversion it replaced (struct_time →
  datetime) and feedparser's own cost for the same texts;
- the same on every date field of the shared real-world corpus, when it is there
  (``$WATCHER_SHARED_DIR``, else ``../shared``);
- dateparser, when it is importable (watcher does not use it; trafilatura's htmldate installs
  it), on the same table with the zone, Arabic and English.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import os
import sys
import timeit
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedparser.datetimes import _parse_date  # noqa: E402

from watcher.parse.dates import feed_date, parse_date  # noqa: E402

TABLE = ROOT / "tests" / "data" / "arabic_dates.tsv"
CORPUS = Path(os.environ.get("WATCHER_SHARED_DIR", ROOT.parent / "shared")) / "corpus" / "realworld"
STANDARD = [
    "Wed, 15 May 2024 02:30:00 GMT",
    "Wed, 15 May 2024 02:30:00 +0300",
    "2024-05-15T02:30:00Z",
    "2024-05-15T02:30:00+03:00",
    "2024-05-15T02:30:00",
    "15 May 2024 02:30:00",
]


def rows() -> list[tuple[str, str, str]]:
    found = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, zone, expected = line.split("\t")
            found.append((text, zone, expected))
    return found


def shown(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def per_date(action: Any, texts: list[Any], repeat: int) -> float:
    """µs per text: the best of five runs of ``repeat`` passes over ``texts``."""
    runs = timeit.repeat(lambda: [action(text) for text in texts], number=repeat, repeat=5)
    return min(runs) / repeat / len(texts) * 1e6


def watcher_figures(table: list[tuple[str, str, str]], repeat: int) -> dict[str, Any]:
    exact = sum(shown(feed_date(t, _parse_date(t)), z) == e for t, z, e in table)
    texts = [text for text, _, _ in table]
    parsed = [(text, _parse_date(text)) for text in STANDARD]
    return {
        "table": len(table),
        "exact": exact,
        "parse_date_us": round(per_date(parse_date, texts, repeat), 2),
        "feed_date_standard_us": round(per_date(lambda pair: feed_date(*pair), parsed, repeat), 2),
        "replaced_standard_us": round(per_date(lambda pair: _before(pair[1]), parsed, repeat), 2),
        "feedparser_standard_us": round(per_date(_parse_date, STANDARD, repeat), 2),
    }


def _before(parsed: Any) -> datetime:
    """What the parse stage did with feedparser's reading before ``feed_date``."""
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def corpus_figures(repeat: int) -> dict[str, Any] | None:
    """feed_date against the conversion it replaced, on every date field of the corpus."""
    if not (CORPUS / "manifest.tsv").is_file():
        return None
    import feedparser

    from watcher.parse.feed import prepare_xml

    pairs = []
    with (CORPUS / "manifest.tsv").open(encoding="utf-8") as manifest:
        for row in csv.DictReader(manifest, delimiter="\t"):
            result = feedparser.parse(prepare_xml((CORPUS / row["path"]).read_bytes()).data)
            for entry in result.get("entries", []):
                pairs += [
                    (entry.get(key), entry.get(f"{key}_parsed")) for key in ("published", "updated")
                ]
    passes = max(1, repeat // 20)
    return {
        "fields": len(pairs),
        "feed_date_us": round(per_date(lambda pair: feed_date(*pair), pairs, passes), 2),
        "replaced_us": round(per_date(lambda pair: pair[1] and _before(pair[1]), pairs, passes), 2),
    }


def dateparser_figures(table: list[tuple[str, str, str]], repeat: int) -> dict[str, Any] | None:
    try:
        import dateparser
    except ImportError:
        return None
    warnings.simplefilter("ignore")

    def read(text: str, zone: str) -> datetime | None:
        settings = {"TIMEZONE": zone, "TO_TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": True}
        return dateparser.parse(text, languages=["ar", "en"], settings=settings)

    exact = sum(shown(read(t, z), z) == e for t, z, e in table)
    texts = [text for text, _, _ in table]
    cost = per_date(lambda text: read(text, "Africa/Cairo"), texts, max(1, repeat // 50))
    return {"table": len(table), "exact": exact, "parse_us": round(cost, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    table = rows()
    figures = {"watcher": watcher_figures(table, args.repeat)}
    if (corpus := corpus_figures(args.repeat)) is not None:
        figures["corpus"] = corpus
    if (other := dateparser_figures(table, args.repeat)) is not None:
        figures["dateparser"] = other
    if args.json:
        print(json.dumps(figures))
        return
    mine = figures["watcher"]
    print(f"table: {mine['table']} texts; watcher exact: {mine['exact']}")
    print(f"parse_date (the fallback): {mine['parse_date_us']} µs per date")
    print(
        f"standard dates: feedparser {mine['feedparser_standard_us']} µs, then feed_date "
        f"{mine['feed_date_standard_us']} µs (the conversion it replaced: "
        f"{mine['replaced_standard_us']} µs)"
    )
    if corpus is not None:
        print(
            f"corpus: {corpus['fields']} date fields, feed_date {corpus['feed_date_us']} µs each "
            f"(the conversion it replaced: {corpus['replaced_us']} µs)"
        )
    if other is not None:
        print(f"dateparser exact: {other['exact']}; {other['parse_us']} µs per date")


if __name__ == "__main__":
    main()
