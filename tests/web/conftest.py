"""A watcher database filled by the real poll pipeline from feeds on 127.0.0.1, a digest sent to
a failing webhook, and the web view serving it on 127.0.0.1.

The feeds carry English and Arabic items over several days of May 2024, a post by Altman that
fulfils a follow-up, and one hostile item whose title tries every trick a page can fall for.
The view's clock is fixed at ``NOW`` so waiting days and overdue states do not drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Response

from watcher.cli import cli
from watcher.config import Config, load_config
from watcher.store import Store, open_store
from watcher.web.server import WebView, open_web

NOW = datetime(2024, 5, 29, 9, 0, tzinfo=UTC)
XSS_TITLE = (
    'Leike <script>alert("pwned")</script> "><img src=x onerror=alert(2)> '
    "\u202egpj.exe\u202c safety"
)
XSS_LINK = "javascript:alert(3)"
TOKEN = "correct-horse-battery-staple-42"


def _rss(title: str, items: list[tuple[str, str, str, str]]) -> str:
    """RSS 2.0 from (title, link, description, RFC 822 date) tuples; the title is raw XML."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{d}</description><pubDate>{when}</pubDate></item>"
        for t, link, d, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link>{entries}</channel></rss>"
    )


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


WIRE = _rss(
    "Wire",
    [
        (
            "Jan Leike resigns from OpenAI, citing safety culture",
            "https://news.example.org/2024/05/17/leike-resigns",
            "Leike said safety culture had taken a backseat to shiny products at OpenAI.",
            "Fri, 17 May 2024 15:00:00 GMT",
        ),
        (
            "Ilya Sutskever leaves OpenAI after a decade",
            "https://news.example.org/2024/05/15/sutskever-leaves",
            "Sutskever announced he is leaving OpenAI to work on a personally meaningful project.",
            "Wed, 15 May 2024 08:00:00 GMT",
        ),
        (
            "OpenAI dissolves its superalignment team",
            "https://news.example.org/2024/05/18/superalignment",
            "The superalignment team led by Sutskever and Leike has been folded into research.",
            "Sat, 18 May 2024 10:30:00 GMT",
        ),
        (
            _escaped(_escaped(XSS_TITLE)),  # escaped twice: stored as text, tags and all
            XSS_LINK,
            _escaped('<a href="javascript:alert(4)">click</a> Leike on safety'),
            "Tue, 28 May 2024 12:00:00 GMT",
        ),
        (
            "Markets close higher",
            "https://news.example.org/2024/05/20/markets",
            "Nothing about AI here.",
            "Mon, 20 May 2024 16:00:00 GMT",
        ),
    ],
)
ARABIC = _rss(
    "عربي",
    [
        (
            "يان لايكه يستقيل من أوبن إيه آي بسبب ثقافة السلامة",
            "https://arabic.example.org/2024/05/17/leike",
            "أعلن يان لايكه استقالته من أوبن إيه آي وقال إن ثقافة السلامة تراجعت.",
            "Fri, 17 May 2024 18:00:00 GMT",
        ),
        (
            "وألتمان يرد على استقالة لايكه",
            "https://arabic.example.org/2024/05/18/altman",
            "قال سام ألتمان إنه سيكتب منشورًا أطول عن السلامة خلال أيام.",
            "Sat, 18 May 2024 09:00:00 GMT",
        ),
        (
            "يان لايكه ينضم إلى أنثروبيك",
            "https://arabic.example.org/2024/05/28/anthropic",
            "انضم يان لايكه إلى شركة أنثروبيك لمواصلة أبحاث التوافق الفائق.",
            "Tue, 28 May 2024 10:00:00 GMT",
        ),
    ],
)
ALTMAN_BLOG = _rss(
    "Sam Altman",
    [
        (
            "A longer post about safety and the superalignment team",
            "https://blog.example.org/longer-post",
            "As promised, more about safety, Jan Leike and what comes next.",
            "Sat, 18 May 2024 20:00:00 GMT",
        )
    ],
)

CONFIG = """\
timezone: Asia/Riyadh
database: "sqlite:///{database}"
people:
  - {{id: leike, name: Jan Leike, aliases: ["Jan Leike", "Leike", "يان لايكه", "لايكه"]}}
  - {{id: altman, name: Sam Altman, aliases: ["Sam Altman", "Altman", "سام ألتمان", "ألتمان"]}}
  - {{id: sutskever, name: Ilya Sutskever, aliases: ["Ilya Sutskever", "Sutskever"]}}
organizations:
  - {{id: openai, name: OpenAI, aliases: ["OpenAI", "أوبن إيه آي"]}}
  - {{id: anthropic, name: Anthropic, aliases: ["Anthropic", "أنثروبيك"]}}
topics:
  - {{id: superalignment, name: Superalignment, aliases: ["superalignment", "التوافق الفائق"]}}
stories:
  - id: exits
    title: Sutskever and Leike leave OpenAI
    since: 2024-05-14
    match: 'leike OR sutskever OR superalignment'
    followups:
      - {{id: altman-longer-post, title: "Altman's promised longer post", by: [altman], match: safety, since: 2024-05-17, due: 2024-05-21}}
      - {{id: sutskever-next, title: What Sutskever does next, by: [sutskever], since: 2024-05-15}}
      - {{id: openai-response, title: OpenAI's formal response on safety, by: [openai], match: safety, since: 2024-05-17, due: 2024-05-24}}
  - id: arabic-coverage
    title: استقالات أوبن إيه آي في الصحافة العربية
    since: 2024-05-14
    match: 'ألتمان OR لايكه OR "ثقافة السلامة"'
    followups:
      - {{id: leike-next, title: أين يذهب لايكه بعد ذلك, by: [leike], since: 2024-05-18}}
sources:
  - {{id: wire, feed: "{wire}"}}
  - {{id: arabic-news, feed: "{arabic}", name: أخبار عربية}}
  - {{id: altman-blog, feed: "{blog}", owner: altman}}
  - {{id: broken, feed: "{broken}"}}
channels:
  - {{id: team-hook, webhook: "{hook}"}}
digests:
  - {{id: daily, at: "07:00", send_to: [team-hook]}}
{web}
"""


@dataclass
class Site:
    """The web view of a filled database: its base URL and a GET helper."""

    url: str
    config: Config
    store: Store
    token: str | None = None

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kwargs)  # type: ignore[arg-type]

    def item_id(self, title_start: str) -> int:
        api = self.get("/api/items", params={"limit": 200}, headers=self.auth()).json()
        return next(i["id"] for i in api["items"] if i["title"].startswith(title_start))

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def _feeds(server: HTTPServer) -> dict[str, str]:
    for path, body in (("/wire.xml", WIRE), ("/arabic.xml", ARABIC), ("/blog.xml", ALTMAN_BLOG)):
        server.expect_request(path).respond_with_data(body, content_type="application/rss+xml")
    server.expect_request("/broken.xml").respond_with_data("down for maintenance", status=503)
    server.expect_request("/hook").respond_with_response(Response("no", status=500))
    return {
        name: server.url_for(path)
        for name, path in (
            ("wire", "/wire.xml"),
            ("arabic", "/arabic.xml"),
            ("blog", "/blog.xml"),
            ("broken", "/broken.xml"),
            ("hook", "/hook"),
        )
    }


def write_config(directory: Path, urls: dict[str, str], web: str = "", name: str = "") -> Path:
    """The config (``web`` is its web section, if any) over the one database of ``directory``."""
    path = directory / f"watch{name}.yaml"
    text = CONFIG.format(**urls, database=directory / "watcher.db", web=web)
    path.write_text(text, encoding="utf-8")
    return path


def _fill(path: Path) -> None:
    runner = CliRunner()
    for command in (["poll", "--once"], ["digest", "send", "--digest", "daily"]):
        result = runner.invoke(cli, ["-c", str(path), *command], catch_exceptions=False)
        assert result.exit_code in (0, 1), result.output  # a failing source exits 1


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A config whose database the pipeline filled (once per module); its feed URLs."""
    directory = tmp_path_factory.mktemp("web")
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        urls = _feeds(server)
        path = write_config(directory, urls)
        _fill(path)
        yield path, urls
    finally:
        server.stop()


def serve(config: Config, **options: object) -> tuple[WebView, Store]:
    store = open_store(config.database_url)
    view = open_web(store, lambda: config, clock=lambda: NOW, **options)  # type: ignore[arg-type]
    return view.start(), store


@pytest.fixture(scope="module")
def site(filled: tuple[Path, dict[str, str]]) -> Iterator[Site]:
    """The web view of the filled database, without a token, on a free port of 127.0.0.1."""
    path, _ = filled
    config = load_config(path)
    view, store = serve(config, listen="127.0.0.1:0")
    view.indexer.index()
    try:
        yield Site(view.url, config, store)
    finally:
        view.stop()
        store.close()


@pytest.fixture
def guarded_site(
    filled: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Site]]:
    """The same database behind a token (``web.token_env``), listening where asked."""
    started: list[tuple[WebView, Store]] = []
    monkeypatch.setenv("WATCHER_WEB_TOKEN", TOKEN)

    def make(listen: str = "127.0.0.1:0") -> Site:
        path, urls = filled
        web = f'web: {{listen: "{listen}", token_env: WATCHER_WEB_TOKEN}}'
        config = load_config(write_config(path.parent, urls, web, name="-guarded"))
        view, store = serve(config)
        started.append((view, store))
        return Site(view.url, config, store, TOKEN)

    yield make
    for view, store in started:
        view.stop()
        store.close()
