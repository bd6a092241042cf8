"""`watcher followups`, `watcher explain` and `watcher rematch` from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.match.conftest import CONFIG, make_item, store_item
from watcher.cli import cli
from watcher.config import load_config
from watcher.match import Matcher
from watcher.store import open_store

QUOTE = "https://news.example/quote"
POST = "https://x.com/sama/status/1791"


def run(config: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["-c", str(config), *args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def config_file(write_config: Callable[[str], Path]) -> Iterator[Path]:
    """A config and its database holding a journalist's article and Altman's own post."""
    path = write_config(CONFIG)
    config = load_config(path)
    matcher = Matcher(config)
    store = open_store(config.database_url)
    items = [
        make_item(
            "OpenAI board: Altman speaks",
            "Jack Altman was there. Sam said the board erred, reported by Jane Doe. Mira agreed.",
            author="Jane Doe",
            url=QUOTE,
            published=datetime(2024, 5, 21, tzinfo=UTC),
        ),
        make_item(
            "", "The board and I talked.", url=POST, published=datetime(2024, 5, 22, tzinfo=UTC)
        ),
    ]
    with store.session() as session:
        for item in items:
            store_item(session, config, item, matcher)
    store.close()
    yield path


def test_followups_json(config_file: Path) -> None:
    lines = run(config_file, "followups", "--json").stdout.splitlines()
    statuses = {row["id"]: row for row in map(json.loads, lines)}
    assert statuses["altman-answers"] == {
        "story": "board",
        "id": "altman-answers",
        "title": "Altman answers about the board",
        "status": "fulfilled",
        "item_url": POST,
        "fulfilled_at": "2024-05-22T00:00:00Z",
        "due": "2024-06-30",
        "promise_url": None,
    }
    assert statuses["leike-explains"]["status"] == "awaiting"


def test_followups_text(config_file: Path) -> None:
    output = run(config_file, "followups").stdout
    assert "board/altman-answers  FULFILLED" in output
    assert POST in output
    assert "board/leike-explains  AWAITING" in output


def test_explain_shows_hits_dropped_hits_and_verdicts(config_file: Path) -> None:
    output = run(config_file, "explain", QUOTE).stdout
    assert "by: doe (author field names them ('Jane Doe'))" in output
    assert "✓ openai" in output and "«OpenAI» board: Altman speaks" in output
    assert "excluded: inside exclude phrase 'Jack Altman'" in output
    assert "«Sam» said the board" in output  # backed by "Altman" in the title
    assert "discarded: weak alias" in output and "«Mira» agreed" in output
    assert "✓ board (The OpenAI board)" in output
    assert "query: openai✓ AND (board✓" in output
    assert "✗ not by altman (authored by: doe)" in output
    assert f"fulfilled by item 2 (2024-05-22 00:00 UTC): {POST}" in output


def test_explain_finds_an_item_by_its_url_with_tracking_parameters(config_file: Path) -> None:
    output = run(config_file, "explain", f"{QUOTE}?utm_source=feed#top").stdout
    assert output.startswith("item 1: OpenAI board: Altman speaks")


def test_explain_by_id_as_json(config_file: Path) -> None:
    (line,) = run(config_file, "explain", "2", "--json").stdout.splitlines()
    data = json.loads(line)
    how = "the item's URL is their own post (https://x.com/sama)"
    assert data["authors"] == [{"entity": "altman", "how": how}]
    (answer,) = [f for f in data["followups"] if f["followup_id"] == "altman-answers"]
    assert answer["matched"] is True
    assert answer["status"]["status"] == "fulfilled" and answer["status"]["item_id"] == 2


def test_explain_an_unknown_item(config_file: Path) -> None:
    assert (
        "no stored item" in run(config_file, "explain", "https://nowhere.example/", code=1).output
    )


def test_rematch(config_file: Path) -> None:
    assert run(config_file, "rematch").stdout == "rematched 2 items (all stories)\n"
    assert (
        "rematched 2 items (story board)" in run(config_file, "rematch", "--story", "board").stdout
    )
    result = run(config_file, "rematch", "--story", "nope", code=2)
    assert "no story 'nope'" in result.output


def test_check_reports_a_bad_query_with_its_column(write_config: Callable[[str], Path]) -> None:
    path = write_config(CONFIG.replace("match: board OR مجلس", "match: board OR"))
    result = run(path, "check", code=1)  # main() turns the ConfigError into exit code 2
    message = str(result.exception)
    assert ":43: stories[0].followups[0].match: the query ends after 'OR'" in message
    assert message.endswith("(column 9)")
