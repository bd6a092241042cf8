"""What a page function gets: the request's parameters (checked and bounded), the config, a
read-only database session, links that keep the token and language, and rendering.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Request, Response

from watcher.config import Config
from watcher.match import Matcher
from watcher.store import Store
from watcher.store.views import reading
from watcher.web.render import environment

LANGUAGES = ("en", "ar")
MAX_PARAMETER = 200  # characters of any one parameter but the search query
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


class Page:
    """One request being answered. ``session`` is opened on first use and closed by the app."""

    def __init__(
        self,
        request: Request,
        *,
        config: Config,
        store: Store,
        matcher: Callable[[], Matcher],
        now: datetime,
        keep: dict[str, str],
    ) -> None:
        self.request = request
        self.config = config
        self.now = now
        self.keep = keep
        self.language = keep.get("lang") or _preferred_language(request)
        self._store = store
        self._matcher = matcher
        self._session: Session | None = None
        self._closing = contextlib.ExitStack()

    @property
    def tz(self) -> ZoneInfo:
        return self.config.tz

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._closing.enter_context(reading(self._store))
        return self._session

    @property
    def matcher(self) -> Matcher:
        return self._matcher()

    def close(self) -> None:
        self._closing.close()

    # --- links -------------------------------------------------------------------------------

    def url(self, path: str, **params: object) -> str:
        """A link to ``path`` with ``params``, keeping the token and language."""
        return link(path, self.keep, **params)

    def switch_language(self, language: str) -> str:
        """This page in ``language``."""
        params = {k: v for k, v in self.request.args.items() if k not in ("token", "lang")}
        return link(self.request.path, {**self.keep, "lang": language}, **params)

    def absolute(self, path: str, **params: object) -> str:
        return self.request.host_url.rstrip("/") + self.url(path, **params)

    # --- parameters --------------------------------------------------------------------------

    def text(self, name: str, limit: int = MAX_PARAMETER) -> str | None:
        value = (self.request.args.get(name) or "").strip()
        if len(value) > limit:
            raise BadRequest(f"'{name}' is too long ({len(value)} characters; at most {limit})")
        return value or None

    def choice(self, name: str, allowed: Collection[str], what: str) -> str | None:
        value = self.text(name)
        if value is not None and value not in allowed:
            raise BadRequest(f"unknown {what} '{value}'")
        return value

    def language_tag(self, name: str) -> str | None:
        value = self.text(name, limit=20)
        if value is not None and not _LANGUAGE_TAG.fullmatch(value):
            raise BadRequest(f"'{name}' is not a language code like en or ar")
        return value

    def number(self, name: str, *, default: int | None, low: int, high: int) -> int | None:
        value = self.text(name, limit=12)
        if value is None:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise BadRequest(f"'{name}' must be a whole number from {low} to {high}")
        return int(value)

    # --- answers -----------------------------------------------------------------------------

    def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        env = environment(self.language, self.config.timezone, self.config.resolved_templates_dir)
        html = env.get_template(f"web/{template}").render(
            page=self,
            language=self.language,
            direction="rtl" if self.language == "ar" else "ltr",
            **context,
        )
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    def feed(self, template: str, **context: Any) -> Response:
        env = environment("en", self.config.timezone, self.config.resolved_templates_dir)
        body = env.get_template(f"web/{template}").render(page=self, **context)
        return Response(body, content_type="application/atom+xml; charset=utf-8")

    @staticmethod
    def json(data: object, status: int = 200) -> Response:
        body = json.dumps(data, ensure_ascii=False, default=str)
        return Response(body, status=status, content_type="application/json")


def link(path: str, keep: dict[str, str], **params: object) -> str:
    """``path`` with ``params`` (None and "" left out) and what ``keep`` holds: the token and
    the language, when they came in the query string."""
    pairs = [(k, str(v)) for k, v in params.items() if v is not None and v != ""]
    pairs += [(k, v) for k, v in keep.items() if k not in params]
    return quote(path) + (f"?{urlencode(pairs)}" if pairs else "")


def _preferred_language(request: Request) -> str:
    return request.accept_languages.best_match(LANGUAGES) or "en"
