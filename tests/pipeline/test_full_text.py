"""`full_text: true` end to end: `watcher poll --once` reads new items' pages from 127.0.0.1.

The feed is title-only (headlines, no descriptions), as many news feeds are; the watched names
are only in the pages' bodies.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from tests.pipeline.conftest import CONFIG, Farm
from watcher.cli import cli
from watcher.config import load_config
from watcher.store import open_store
from watcher.store.tables import ItemRow

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
DIGESTS = """\
smtp: {host: localhost, sender: "watcher@example.com"}
channels: [{id: me, email: ["me@example.com"]}]
digests: [{id: daily, at: "07:00", send_to: [me]}]
"""


def _run(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["-c", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _title_only_rss(*items: tuple[str, ...]) -> str:
    """RSS of (title, link) items, or (title, link, teaser)."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        + "".join(f"<description>{teaser}</description>" for teaser in teasers)
        + f"<pubDate>Sat, 18 May 2024 0{i}:00:00 GMT</pubDate></item>"
        for i, (title, link, *teasers) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://example.org/</link>{entries}</channel></rss>"
    )


def _page(server: HTTPServer, path: str, fixture: str) -> str:
    body = (PAGES / f"{fixture}.html").read_bytes()
    server.expect_request(path).respond_with_data(body, content_type="text/html; charset=utf-8")
    return server.url_for(path)


def _config(tmp_path: Path, sources: str) -> Path:
    path = tmp_path / "watch.yaml"
    path.write_text(CONFIG.format(sources=sources) + DIGESTS, encoding="utf-8")
    return path


def _stored(config: Path) -> dict[str, ItemRow]:
    store = open_store(load_config(config).database_url)
    try:
        with store.session() as session:
            return {row.url: row for row in session.scalars(select(ItemRow))}
    finally:
        store.close()


def _items(config: Path) -> dict[str, dict[str, object]]:
    lines = _run(config, "items", "--json").stdout.splitlines()
    return {str(item["url"]): item for item in map(json.loads, lines)}


def test_a_title_only_item_is_matched_through_its_pages_full_text(
    farm: Farm, tmp_path: Path
) -> None:
    server = farm.server
    exits = _page(server, "/2024/05/lab-exits", "en-wire")
    arabic = _page(server, "/ar/2024/05/altman-reply", "ar-nahar")
    feed = farm.serve(
        "/wire.xml",
        _title_only_rss(
            ("Two exits in a week leave an AI lab's long-term bet in doubt", exits),
            ("رد على الانتقادات: أمامنا الكثير من العمل", arabic),
        ),
    )
    config = _config(tmp_path, f'  - {{id: wire, feed: "{feed}", full_text: true}}')

    summary = _run(config, "poll", "--once").stdout.strip().splitlines()[-1]
    assert summary.startswith("polled 1 source: 0 unchanged, 0 failed; items: 2 new")

    items = _items(config)
    assert items[exits]["stories"] == ["exits"]
    assert "leike" in items[exits]["entities"]  # type: ignore[operator]
    assert items[arabic]["stories"] == ["exits"]
    assert items[arabic]["language"] == "ar"
    stored = _stored(config)
    assert stored[exits].extra["full_text"] == "ok"
    assert "Jan Leike, followed within hours" in stored[exits].text
    assert "Hedgehog_42" not in stored[exits].text  # a reader's comment is not the article


def test_without_full_text_the_same_item_matches_nothing_and_no_page_is_fetched(
    farm: Farm, tmp_path: Path
) -> None:
    server = farm.server
    exits = _page(server, "/2024/05/lab-exits", "en-wire")
    feed = farm.serve(
        "/wire.xml",
        _title_only_rss(("Two exits in a week leave an AI lab's long-term bet in doubt", exits)),
    )
    config = _config(tmp_path, f'  - {{id: wire, feed: "{feed}"}}')

    _run(config, "poll", "--once")

    assert _items(config)[exits]["stories"] == []
    assert [entry for entry, _ in server.log if entry.path.startswith("/2024/")] == []


def test_failing_pages_leave_their_items_as_the_feed_gave_them(farm: Farm, tmp_path: Path) -> None:
    server = farm.server
    port = server.port
    gone = server.url_for("/gone")
    server.expect_request("/gone").respond_with_data("no such page", status=404)
    moved = server.url_for("/moved")
    loopback = f"http://127.0.0.1:{port}/2024/05/lab-exits"
    server.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": loopback}
    )
    _page(server, "/2024/05/lab-exits", "en-wire")
    feed = farm.serve(
        "/wire.xml",
        _title_only_rss(
            ("Jan Leike page gone", gone),
            ("Jan Leike page moved", moved),
            ("Jan Leike page elsewhere", loopback),
        ),
    )
    config = _config(tmp_path, f'  - {{id: wire, feed: "{feed}", full_text: true}}')

    summary = _run(config, "poll", "--once").stdout.strip().splitlines()[-1]
    assert summary.startswith("polled 1 source: 0 unchanged, 0 failed; items: 3 new")

    stored = _stored(config)
    assert stored[gone].extra["full_text"] == "failed: HTTP 404 Not Found"
    for refused in (stored[moved], stored[loopback]):
        assert refused.extra["full_text"].startswith("failed: refused")
        assert "private address 127.0.0.1" in refused.extra["full_text"]
    for row in stored.values():
        assert row.text == ""  # as the feed gave it: a headline and nothing else
    assert {item["stories"][0] for item in _items(config).values()} == {"exits"}  # type: ignore[index]


def test_pages_are_read_once_and_the_digest_quotes_the_full_text(
    farm: Farm, tmp_path: Path
) -> None:
    server = farm.server
    exits = _page(server, "/2024/05/lab-exits", "en-wire")
    teaser = "The team was meant to solve the hardest problem in the field within four years."
    headline = ("Two exits in a week leave an AI lab's long-term bet in doubt", exits, teaser)
    feed = farm.serve("/wire.xml", _title_only_rss(headline))
    config = _config(tmp_path, f'  - {{id: wire, feed: "{feed}", full_text: true}}')
    _run(config, "poll", "--once")

    blog = _page(server, "/2024/05/governance", "en-blog")
    farm.bodies["/wire.xml"] = _title_only_rss(headline, ("On lab governance", blog)).encode()
    second = _run(config, "poll", "--once").stdout.strip().splitlines()[-1]
    assert second.startswith("polled 1 source: 0 unchanged, 0 failed; items: 1 new")
    fetched = [entry.path for entry, _ in server.log if entry.path.startswith("/2024/")]
    assert sorted(fetched) == ["/2024/05/governance", "/2024/05/lab-exits"]

    out = tmp_path / "preview"
    _run(config, "digest", "preview", "--out", str(out), "--since", "7d")
    digest = (out / "digest.txt").read_text(encoding="utf-8")
    assert "Jan Leike, followed within hours" in digest  # the page's words, not the teaser
    assert teaser not in digest
