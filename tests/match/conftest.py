"""A config with the people, organisations and stories the matching tests share, and items."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from watcher.config import Config
from watcher.jobs.poll import ingest
from watcher.match import Matcher
from watcher.model import Item
from watcher.store.items import existing_items
from watcher.store.sources import sync_sources
from watcher.store.tables import ItemRow

CONFIG = """
people:
  - id: altman
    name: Sam Altman
    aliases: [Sam Altman, Altman, سام ألتمان, ألتمان, التمان]
    weak_aliases: [Sam, سام]
    exclude: [Jack Altman, جاك ألتمان]
    accounts: {x: sama, bluesky: sama.bsky.social}
  - id: leike
    name: Jan Leike
    aliases: [Jan Leike, Leike, يان لايكه, لايكه]
    accounts: {x: janleike, bluesky: janleike.bsky.social, mastodon: "@janleike@mastodon.social"}
  - id: sutskever
    name: Ilya Sutskever
    aliases: [Ilya Sutskever, Sutskever, إيليا سوتسكيفر, سوتسكيفر]
    weak_aliases: [Ilya, إيليا]
  - id: murati
    name: Mira Murati
    aliases: [Mira Murati, Murati, ميرا موراتي, موراتي]
    weak_aliases: [Mira, ميرا]
  - id: doe
    name: Jane Doe
organizations:
  - id: openai
    name: OpenAI
    aliases: [OpenAI, Open AI, أوبن إيه آي, أوبن أي آي]
  - id: jazeera
    name: Al Jazeera
    aliases: [Al Jazeera, الجزيرة]
    exclude: [شبه الجزيرة]
topics:
  - id: superalignment
    name: super-alignment
stories:
  - id: board
    title: The OpenAI board
    since: 2024-05-01
    match: 'openai AND (board OR "stepped down" OR مجلس)'
    followups:
      - id: altman-answers
        title: Altman answers about the board
        by: [altman]
        match: board OR مجلس
        due: 2024-06-30
      - id: leike-explains
        title: Leike explains
        by: [leike]
        since: 2024-05-15
  - id: safety
    title: Safety team
    since: 2024-05-01
    match: '(leike OR sutskever) AND (superalignment OR safety OR resign*)'
sources:
  - id: wire
    feed: https://wire.example/feed.xml
  - id: openai-blog
    feed: https://openai.example/blog.xml
    owner: openai
  - id: leike-x
    archive: x.com/janleike
    owner: leike
"""


@pytest.fixture
def config(make_config: Callable[[str], Config]) -> Config:
    return make_config(CONFIG)


@pytest.fixture
def matcher(config: Config) -> Matcher:
    return Matcher(config)


def make_item(
    title: str = "",
    text: str = "",
    *,
    author: str | None = None,
    source: str = "wire",
    by: str | None = None,
    url: str | None = "https://news.example/a",
    published: datetime = datetime(2024, 5, 20, 12, tzinfo=UTC),
    **extra: Any,
) -> Item:
    return Item(
        key=url or title,
        url=url,
        title=title,
        text=text,
        source_id=source,
        published=published,
        author=author,
        by=by,
        **extra,
    )


def altman_post(
    status: str | int, text: str, published: datetime, *, summary_html: str = "", **extra: Any
) -> Item:
    """A post of Altman's archived account ``sama-x`` (the archive declares him its author),
    keyed as archives key posts (``x:<status id>``); ``extra`` goes to ``Item.extra``."""
    item = make_item(
        "",
        text,
        source="sama-x",
        by="altman",
        author="@sama",
        url=f"https://x.com/sama/status/{status}",
        published=published,
        summary_html=summary_html,
    )
    item.extra.update({"status_id": str(status), **extra})
    return dataclasses.replace(item, key=f"x:{status}")


def store_item(session: Session, config: Config, item: Item, matcher: Matcher) -> ItemRow:
    """Store ``item`` as a poll does (``watcher.jobs.poll.ingest``), its source synced first."""
    sync_sources(session, config, item.published)
    ingest(session, matcher, [item], now=item.published)
    return existing_items(session, [item.key])[item.key]
