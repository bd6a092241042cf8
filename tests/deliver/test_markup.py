"""Hostile titles and URLs stay inside their link in Slack and Discord messages.

Before issue 12 a URL containing ``)`` closed a Discord masked link early (``[t](https://a/x)
[click](https://evil)``), and ``|`` or ``>`` in a URL did the same to Slack's ``<url|text>``:
a feed chose the link a reader clicked. Each message is posted to a real local server and read
back from what it received.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from dataclasses import replace
from typing import Any

import pytest

from tests.deliver.test_webhook import PAYLOAD, backend, outgoing
from watcher.deliver.backend import Outgoing

EVIL = "https://evil.example/phish"
HOSTILE = [
    ("Leike ) leaves", f"https://news.example/a)[click]({EVIL}"),
    ("Leike | <b>", f"https://news.example/b|<{EVIL}|click>"),
    ("Leike > quits", f"https://news.example/c>{EVIL}"),
    ("Leike\n• fake line <https://evil.example/x|x>", "https://news.example/d"),
    ("Leike [x](https://evil.example/y)", "javascript:alert(document.cookie)"),
    ("Leike tab", "https://news.example/e f\tg\n<h>"),
]


def _hostile_outgoing() -> Outgoing:
    payload: dict[str, Any] = deepcopy(PAYLOAD)
    entry = payload["sections"][0]["entries"][0]
    payload["sections"][0]["entries"] = [
        {**entry, "item_id": n, "title_html": title, "url": url}
        for n, (title, url) in enumerate(HOSTILE)
    ]
    return replace(outgoing(), payload=payload)


def _posted(httpserver: Any, fmt: str) -> dict[str, Any]:
    httpserver.expect_request(f"/{fmt}").respond_with_data("", status=204)
    result = backend(httpserver.url_for(f"/{fmt}"), [], fmt=fmt).send(_hostile_outgoing())
    assert result.ok, result.error
    return dict(json.loads(httpserver.log[-1][0].get_data()))


def test_discord_links_keep_hostile_urls_and_titles_inside(httpserver: Any) -> None:
    description = _posted(httpserver, "discord")["embeds"][0]["description"]
    lines = [line for line in description.splitlines() if line.startswith("•")]
    assert len(lines) == len(HOSTILE), description
    for line in lines:
        # a masked link is [text](target); every bracket in the text is escaped, and the
        # target has no ( ) [ ] < > or whitespace: so each line holds at most one link
        links = re.findall(r"(?<!\\)\[(?:\\.|[^\]\\])*\]\(([^()\s]*)\)", line)
        assert len(links) <= 1, line
        assert all(target.startswith("https://news.example/") for target in links), line
    assert "javascript:" not in description.replace("\\", "")
    assert "news.example/a%29%5Bclick%5D%28https://evil.example/phish" in description


def test_slack_links_keep_hostile_urls_and_titles_inside(httpserver: Any) -> None:
    blocks = _posted(httpserver, "slack")["blocks"]
    text = "".join(block["text"]["text"] for block in blocks[1:])
    lines = [line for line in text.splitlines() if line.startswith("•")]
    assert len(lines) == len(HOSTILE), text
    for line in lines:
        tokens = re.findall(r"<([^<>]*)>", line)
        assert len(tokens) <= 1, line  # one <url|title> per line, nothing else in brackets
        for token in tokens:
            target, _, title = token.partition("|")
            assert target.startswith("https://news.example/"), line
            assert "|" not in target and "<" not in title
    assert "javascript:" not in text
    assert "<https://news.example/b%7C%3Chttps://evil.example/phish%7Cclick%3E|" in text


@pytest.mark.parametrize("fmt", ["slack", "discord"])
def test_a_non_web_link_is_shown_as_plain_text(httpserver: Any, fmt: str) -> None:
    body = json.dumps(_posted(httpserver, fmt))
    assert "javascript" not in body
    assert "Leike" in body
