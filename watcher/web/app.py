"""The web view as a WSGI application: its routes, and the rules every answer follows.

Every request, in order: only GET and HEAD (405 otherwise, before anything else is read);
a bounded query string (414); the token when the config asks for one (401); the route (404);
the page function, with a read-only database session. Every response carries a strict
Content-Security-Policy (no script at all, styles only from /static/web.css, no framing),
``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (item links never tell
the outlet where the reader came from, nor leak a ``?token=``), ``X-Frame-Options: DENY`` and
``Cache-Control: no-store``. A page's own failure is logged (path only: never the query string,
which may hold the token) and answered with a plain 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestURITooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from watcher.clock import Clock, utcnow
from watcher.config import Config
from watcher.match import Matcher
from watcher.store import Store
from watcher.web import feeds, pages
from watcher.web.auth import access
from watcher.web.page import LANGUAGES, Page, link
from watcher.web.render import environment

log = logging.getLogger(__name__)

MAX_QUERY_STRING = 2048
TEXT = "text/plain; charset=utf-8"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

ROUTES = Map(
    [
        Rule("/", endpoint=pages.home),
        Rule("/stories/<story_id>", endpoint=pages.story),
        Rule("/stories/<story_id>.atom", endpoint=feeds.story_feed),
        Rule("/followups.atom", endpoint=feeds.followups_feed),
        Rule("/items", endpoint=pages.items),
        Rule("/items/<int:item_id>", endpoint=pages.item),
        Rule("/api/items", endpoint=pages.api_items),
        Rule("/sources", endpoint=pages.sources),
        Rule("/deliveries", endpoint=pages.deliveries),
        Rule("/digests", endpoint=pages.digests),
        Rule("/digests/<int:run_id>", endpoint=pages.digest),
        Rule("/digests/<int:run_id>.txt", endpoint=pages.digest_text),
        Rule("/static/web.css", endpoint=pages.stylesheet),
    ],
    strict_slashes=False,
)


class WebApp:
    """The WSGI callable. ``config`` is asked anew for every request (the daemon's reloads
    show at once); ``token`` None means no token is needed."""

    def __init__(
        self,
        store: Store,
        config: Callable[[], Config],
        *,
        token: str | None,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.config = config
        self.token = token
        self.clock = clock
        self._matcher: tuple[Config, Matcher] | None = None

    def matcher(self, config: Config) -> Matcher:
        """The config's matcher, compiled once per config (a reload makes a new one)."""
        cached = self._matcher
        if cached is None or cached[0] is not config:
            cached = self._matcher = (config, Matcher(config))
        return cached[1]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        started = time.monotonic()
        response = self.respond(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        log.debug(
            "%s %s %d",
            request.method,
            request.path,
            response.status_code,
            extra={"event": "web.request", "duration": round(time.monotonic() - started, 3)},
        )
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        keep: dict[str, str] = {}
        try:
            if request.method not in ("GET", "HEAD"):
                raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
            if len(request.query_string) > MAX_QUERY_STRING:
                raise RequestURITooLarge(f"the query string is over {MAX_QUERY_STRING} bytes")
            allowed = access(
                self.token, request.headers.get("Authorization"), request.args.get("token")
            )
            if not allowed.allowed:
                return _unauthorised()
            keep = _kept(request, allowed.by_query)
            endpoint, values = ROUTES.bind_to_environ(request.environ).match()
            return self._page(request, keep, endpoint, values)
        except HTTPException as error:
            return self._error(request, keep, error.code or 500, error.description or "")
        except (OperationalError, InterfaceError) as error:
            log.warning("web: the database is unavailable: %s", str(error.orig or error)[:200])
            return self._error(request, keep, 503, "The database is unavailable; try again.")
        except Exception:
            log.exception("web: %s %s failed", request.method, request.path)
            return self._error(request, keep, 500, "Something went wrong; it is in the log.")

    def _page(
        self,
        request: Request,
        keep: dict[str, str],
        endpoint: Callable[..., Response],
        values: Mapping[str, Any],
    ) -> Response:
        config = self.config()
        page = Page(
            request,
            config=config,
            store=self.store,
            matcher=lambda: self.matcher(config),
            now=self.clock(),
            keep=keep,
        )
        try:
            return endpoint(page, **values)
        finally:
            page.close()

    def _error(self, request: Request, keep: dict[str, str], status: int, message: str) -> Response:
        """JSON under /api/, plain text for feeds and files, else a small page."""
        response = self._error_body(request, keep, status, message)
        if status == 405:
            response.headers["Allow"] = "GET, HEAD"
        return response

    def _error_body(
        self, request: Request, keep: dict[str, str], status: int, message: str
    ) -> Response:
        if request.path.startswith("/api/"):
            return Page.json({"error": message, "status": status}, status)
        if request.path.endswith((".atom", ".txt", ".css")):
            return Response(f"{status}: {message}\n", status, content_type=TEXT)
        config = self.config()
        language = keep.get("lang") or request.accept_languages.best_match(LANGUAGES) or "en"
        env = environment(language, config.timezone, config.resolved_templates_dir)
        html = env.get_template("web/error.html.j2").render(
            status=status,
            message=message,
            language=language,
            direction="rtl" if language == "ar" else "ltr",
            home=link("/", keep),
            stylesheet=link("/static/web.css", keep),
        )
        return Response(html, status, content_type="text/html; charset=utf-8")


def _kept(request: Request, token_by_query: bool) -> dict[str, str]:
    """What links keep: the token when it came by query, the language when one was asked."""
    keep = {}
    if token_by_query:
        keep["token"] = request.args["token"]
    if request.args.get("lang") in LANGUAGES:
        keep["lang"] = request.args["lang"]
    return keep


def _unauthorised() -> Response:
    body = (
        "401: this watcher needs its token: send 'Authorization: Bearer TOKEN', "
        "or add ?token=TOKEN to the address\n"
    )
    challenge = {"WWW-Authenticate": 'Bearer realm="watcher"'}
    return Response(body, 401, challenge, content_type=TEXT)
