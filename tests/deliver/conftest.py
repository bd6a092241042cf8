"""A small config and store for delivery tests, a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watcher.config import Config, load_config
from watcher.store import Store, open_store
from watcher.store.tables import ItemRow, ItemSourceRow, MentionRow, SourceRow, StoryMatchRow

PERIOD_END = datetime(2024, 5, 29, 4, 0, tzinfo=UTC)  # 07:00 Asia/Riyadh
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SMTP_PASSWORD = "s3cret-smtp-Passw0rd"

CONFIG = """\
timezone: Asia/Riyadh
database: sqlite:///{db}
people:
  - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike", "يان لايكه"]}}
stories:
  - {{id: exits, title: Leaving OpenAI, since: 2024-05-14, match: leike}}
sources:
  - {{id: verge, feed: "https://www.theverge.com/rss/index.xml"}}
  - {{id: bbc-arabic, feed: "https://feeds.bbci.co.uk/arabic/rss.xml"}}
channels:
  - {{id: inbox, email: ["Reader <reader@example.com>", "second@example.org"]}}
  - {{id: hook, webhook: "{hook}", secret_env: WATCHER_TEST_WEBHOOK_SECRET}}
smtp:
  host: 127.0.0.1
  port: {smtp_port}
  starttls: false
  username: watcher
  password_env: WATCHER_TEST_SMTP_PASSWORD
  sender: "Watcher <watcher@example.net>"
  timeout: 2s
digests:
  - id: daily
    at: "07:00"
    send_to: [inbox, hook]
    language: {language}
    title: Morning digest
    list_id: daily.watcher.example.net
    unsubscribe: https://example.net/unsubscribe?d=daily
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Sink:
    """Collects what the SMTP server received; ``auth`` records the logins it accepted."""

    messages: list[Any] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Sink, int]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    sink = Sink()

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        login, password = data.login.decode(), data.password.decode()
        sink.logins.append((login, password))
        return AuthResult(success=(login, password) == ("watcher", SMTP_PASSWORD))

    port = free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False
    )
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_TEST_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("WATCHER_TEST_SMTP_PASSWORD", SMTP_PASSWORD)


@pytest.fixture
def make_setup(tmp_path: Path) -> Callable[..., tuple[Config, Store]]:
    """A config pointing at the test servers and a store holding one period of items."""
    opened: list[Store] = []

    def make(*, smtp_port: int, hook: str, language: str = "en") -> tuple[Config, Store]:
        path = tmp_path / "watch.yaml"
        db = tmp_path / "watcher.db"
        text = CONFIG.format(db=db, smtp_port=smtp_port, hook=hook, language=language)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        config = load_config(path)
        store = open_store(config.database_url)
        opened.append(store)
        seed(store, config)
        return config, store

    yield make  # type: ignore[misc]
    for store in opened:
        store.close()


HOSTILE = (
    '<p onclick="steal()" style="position:fixed">Leike <script>alert(1)</script>'
    '<a href="javascript:alert(2)">x</a><iframe src="https://evil.example/"></iframe></p>'
)


def seed(store: Store, config: Config) -> None:
    """Two items in the period ending PERIOD_END: one English with hostile HTML, one Arabic."""
    with store.session() as session:
        if session.get(SourceRow, "verge") is not None:
            return
        for source in config.sources:
            session.add(SourceRow(id=source.id, kind=source.kind, url=source.url))
        session.flush()
        rows = [
            ("https://www.theverge.com/leike?utm_source=rss", "verge",
             'Jan Leike joins Anthropic <img src=x onerror="alert(3)">', HOSTILE, "en"),
            ("https://www.bbc.com/arabic/leike", "bbc-arabic",
             "يان لايكه ينضم إلى أنثروبيك", "<p>أعلن يان لايكه انضمامه إلى أنثروبيك.</p>", "ar"),
        ]  # fmt: skip
        for hours, (url, source_id, title, html, language) in enumerate(rows, start=2):
            seen = PERIOD_END - timedelta(hours=hours)
            item = ItemRow(
                key=url, url=url, title=title, summary="", summary_html=html, text="",
                language=language, source_id=source_id, published_at=seen, first_seen_at=seen,
                updated_at=seen,
            )  # fmt: skip
            session.add(item)
            session.flush()
            session.add(ItemSourceRow(item_id=item.id, source_id=source_id, first_seen_at=seen))
            session.add(StoryMatchRow(story_id="exits", item_id=item.id, matched_at=seen))
            alias = "Leike" if language == "en" else "يان لايكه"
            session.add(
                MentionRow(item_id=item.id, entity_id="leike", alias=alias, field="title",
                           start=0, end=len(alias))
            )  # fmt: skip


@dataclass
class World:
    """Everything a delivery test needs: config and store, the SMTP sink, the webhook server."""

    config: Config
    store: Store
    sink: Sink
    httpserver: Any
    period_end: datetime = PERIOD_END
    secret: str = SECRET
    smtp_password: str = SMTP_PASSWORD

    @property
    def now(self) -> datetime:
        return self.period_end + timedelta(minutes=1)


@pytest.fixture
def make_world(
    smtp_server: tuple[Sink, int],
    httpserver: Any,
    env: None,
    make_setup: Callable[..., tuple[Config, Store]],
) -> Callable[..., World]:
    def make(language: str = "en") -> World:
        sink, port = smtp_server
        config, store = make_setup(
            smtp_port=port, hook=httpserver.url_for("/hook/T0123/secret-token"), language=language
        )
        return World(config, store, sink, httpserver)

    return make


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    return make_world()


@pytest.fixture
def seed_store() -> Callable[[Store, Config], None]:
    """Seed another store (PostgreSQL) with the same period."""
    return seed
