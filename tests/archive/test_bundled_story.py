"""The bundled config's story, end to end: its archived X accounts polled from the fake Wayback
Machine, then ``watcher followups``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import yaml
from click.testing import CliRunner

from tests.archive.conftest import FakeWayback
from watcher.cli import cli
from watcher.config import Config

REPO = Path(__file__).resolve().parents[2]
PROMISE_URL = "https://x.com/sama/status/1791543264090472660"
JOINT_POST = "https://x.com/gdb/status/1791869138132218351"
ARCHIVES = ("sama-on-x", "janleike-on-x", "ilyasut-on-x", "gdb-on-x")


def bundled_story(
    make_config: Callable[[str], Config], wayback: FakeWayback, *, edit: str = ""
) -> Config:
    """The bundled config, its archive pointed at ``wayback`` (``edit``: a line to drop)."""
    text = (REPO / "config" / "watch.yaml").read_text(encoding="utf-8")
    archive = "archive: {base_url: https://web.archive.org}"
    assert archive in text and (not edit or edit in text)
    text = text.replace(
        archive,
        f'archive: {{base_url: "{wayback.base_url}", rate: 1000}}\nallow_private_networks: true',
    )
    return make_config(text.replace(edit, "") if edit else text)


def run(config: Config, *args: str) -> str:
    result = CliRunner().invoke(cli, ["-c", str(config.path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def poll_archives(config: Config) -> None:
    sources = [option for source in ARCHIVES for option in ("--source", source)]
    assert " 0 failed" in run(config, "poll", "--once", *sources)


def followups(config: Config) -> dict[str, dict[str, object]]:
    rows = map(json.loads, run(config, "followups", "--json").splitlines())
    return {row["id"]: row for row in rows}


def test_altmans_longer_post_is_fulfilled_by_the_later_post_not_by_the_promise(
    make_config: Callable[[str], Config], story_wayback: FakeWayback
) -> None:
    config = bundled_story(make_config, story_wayback)
    poll_archives(config)
    longer = followups(config)["altman-longer-post"]
    assert longer == {
        "story": "openai-safety-exits",
        "id": "altman-longer-post",
        "title": "Altman's promised longer post",
        "status": "fulfilled",
        "item_url": JOINT_POST,  # Brockman and Altman's post of 18 May
        "fulfilled_at": "2024-05-18T16:31:08.506000Z",  # from its status id
        "due": "2024-05-21",
        "promise_url": PROMISE_URL,
    }
    explained = run(config, "explain", PROMISE_URL)
    assert "✗ the promise itself" in explained


def test_without_after_the_promise_fulfils_itself(
    make_config: Callable[[str], Config], story_wayback: FakeWayback
) -> None:
    """What the bundled config did before ``after``: the reason it exists."""
    config = bundled_story(make_config, story_wayback, edit=f'        after: "{PROMISE_URL}"\n')
    poll_archives(config)
    longer = followups(config)["altman-longer-post"]
    assert (longer["item_url"], longer["promise_url"]) == (PROMISE_URL, None)


def test_followups_suggest_proposes_altmans_longer_post_after_his_tweet(
    make_config: Callable[[str], Config], story_wayback: FakeWayback
) -> None:
    """The bundled story as it stood before its follow-up was written: the promise is found
    in Altman's tweet and proposed as a follow-up anchored after it."""
    config = bundled_story(make_config, story_wayback, edit=f'        after: "{PROMISE_URL}"\n')
    poll_archives(config)
    output = run(config, "followups", "suggest")
    print(output)
    proposed = yaml.safe_load(output)["openai-safety-exits"]
    assert proposed == [
        {
            "id": "altman-2024-05-17",
            "title": "Sam Altman: i'll have a longer post in the next couple of days.",
            "by": ["altman"],
            "after": PROMISE_URL,
            "due": date(2024, 5, 20),
        }
    ]
    assert (
        "# promise of 2024-05-17 18:56 UTC: \"i'll have a longer post in the next couple of "
        'days." (horizon: "in the next couple of days")'
    ) in output


def test_followups_suggest_skips_a_promise_already_anchored(
    make_config: Callable[[str], Config], story_wayback: FakeWayback
) -> None:
    config = bundled_story(make_config, story_wayback)
    poll_archives(config)
    output = run(config, "followups", "suggest")
    print(output)
    assert PROMISE_URL not in output
