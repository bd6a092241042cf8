"""The FETCH stage for news-search sources: which requests a source sends, and sending them
politely.

A source names an engine and either a story (its query is translated by
``watcher.fetch.search_query``) or the engine's own ``query`` (sent as written):

- GDELT DOC 2.0: ``{base}/api/v2/doc/doc?query=Q&mode=artlist&format=json&maxrecords=250
  &sort=datedesc[&startdatetime=YYYYMMDDHHMMSS]``; a source's ``language`` adds
  ``sourcelang:NAME`` to a translated query;
- Google News: ``{base}/rss/search?q=Q&hl=LANG&gl=REGION&ceid=REGION:LANG`` (``en``/``US`` when
  the source gives neither);
- Bing News: ``{base}/news/search?q=Q&format=rss[&setlang=LANG][&cc=REGION]``.

Only GDELT can be asked for what is newer than a time; the others are filtered by the dates
in their answers (``watcher.jobs.search``).

Politeness: every request to an engine takes a token from that engine's bucket
(``search.ENGINE.rate`` requests a second, shared by all its sources polled through one
``Clients``). A 429 or a 5xx is retried twice within ``MAX_WAIT``, honouring Retry-After.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit

from watcher.config import Config, SearchEngineSettings, SearchSettings, Source, SourceSearch
from watcher.config.models import SEARCH_ENGINES
from watcher.config.query import parse_query
from watcher.errors import FetchError
from watcher.fetch.archive import RateLimiter, is_transient
from watcher.fetch.http import Fetcher
from watcher.fetch.search_query import TranslationError, translate
from watcher.model import FetchResult

GDELT_MAX_RECORDS = 250
GDELT_TIME = "%Y%m%d%H%M%S"
GDELT_WINDOW = timedelta(days=89)  # GDELT DOC searches a rolling window of three months
RETRIES = 2
MAX_WAIT = 60.0  # seconds a worker may sleep for one engine's wish; longer fails the source


@dataclass(frozen=True, slots=True)
class SearchRequest:
    engine: str
    query: str
    url: str


@dataclass(slots=True)
class SearchPlan:
    """The requests for one poll of a source, and what translating its story gave up."""

    requests: list[SearchRequest]
    notes: list[str] = field(default_factory=list)


def plan(
    source: Source, config: Config, *, since: datetime | None = None, now: datetime | None = None
) -> SearchPlan:
    """The requests for ``source``; ``since`` (GDELT only) asks for what is newer.

    GDELT searches the last three months only: an older ``since`` is brought within them.

    Raises ``FetchError`` when a story cannot be asked of the engine (its reason says why).
    """
    search = _search_of(source)
    base = config.search.engine(search.engine).base_url.rstrip("/")
    try:
        queries, notes = _queries(search, config)
    except TranslationError as error:
        raise FetchError(source.id, source.url, str(error)) from None
    if since is not None and now is not None:
        since = max(since, now - GDELT_WINDOW)
    build = _BUILDERS[search.engine]
    return SearchPlan(
        [SearchRequest(search.engine, q, build(base, q, search, since)) for q in queries], notes
    )


def _search_of(source: Source) -> SourceSearch:
    if source.search is None:
        raise ValueError(f"source {source.id} is not a news search")
    return source.search


def _queries(search: SourceSearch, config: Config) -> tuple[list[str], list[str]]:
    if search.query is not None:
        return [search.query], []
    entities = {entity.id: entity for entity in config.entities}
    story = config.story(search.story or "")
    query = parse_query(story.match, set(entities))
    suffix = ""
    if search.engine == "gdelt" and search.language:
        suffix = f"sourcelang:{name}" if (name := language_name(search.language)) else ""
    translation = translate(query, entities, search.engine, language=search.language, suffix=suffix)
    return translation.queries, translation.notes


def language_name(code: str) -> str | None:
    """``ar`` → ``arabic``: how GDELT names a language (lingua knows 75 of them)."""
    from lingua import IsoCode639_1, Language  # only for a search, not for every poll

    iso = getattr(IsoCode639_1, code.upper(), None)
    return Language.from_iso_code_639_1(iso).name.lower() if iso is not None else None


def _gdelt(base: str, query: str, search: SourceSearch, since: datetime | None) -> str:
    params = {
        "query": query,
        "mode": "artlist",
        "format": "json",
        "maxrecords": str(GDELT_MAX_RECORDS),
        "sort": "datedesc",
    }
    if since is not None:
        params["startdatetime"] = since.strftime(GDELT_TIME)
    return f"{base}/api/v2/doc/doc?{urlencode(params, safe=':', quote_via=quote)}"


def _google_news(base: str, query: str, search: SourceSearch, since: datetime | None) -> str:
    language, region = search.language or "en", search.region or "US"
    params = {"q": query, "hl": language, "gl": region, "ceid": f"{region}:{language}"}
    return f"{base}/rss/search?{urlencode(params, safe=':', quote_via=quote)}"


def _bing_news(base: str, query: str, search: SourceSearch, since: datetime | None) -> str:
    params = {"q": query, "format": "rss"}
    if search.language:
        params["setlang"] = search.language
    if search.region:
        params["cc"] = search.region
    return f"{base}/news/search?{urlencode(params, safe=':', quote_via=quote)}"


_BUILDERS: dict[str, Callable[[str, str, SourceSearch, datetime | None], str]] = {
    "gdelt": _gdelt,
    "google_news": _google_news,
    "bing_news": _bing_news,
}


# --- sending ----------------------------------------------------------------------------------


class EngineClient:
    """GETs to one engine over the shared ``Fetcher``: rate-limited, retried when it asks."""

    def __init__(
        self,
        settings: SearchEngineSettings,
        fetcher: Fetcher,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = settings.base_url.rstrip("/")
        self._fetcher = fetcher
        self._limiter = RateLimiter(settings.rate, clock=clock, sleep=sleep)
        self._sleep = sleep

    def get(self, url: str, *, source_id: str) -> FetchResult:
        for attempt in range(RETRIES + 1):
            self._limiter.acquire()
            try:
                return self._fetcher.get(url, source_id=source_id)
            except FetchError as error:
                wait = error.retry_after if error.retry_after is not None else 5.0 * 2**attempt
                if attempt == RETRIES or not is_transient(error) or wait > MAX_WAIT:
                    raise
                self._sleep(wait)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def follow(self, link: str, *, source_id: str) -> str | None:
        """Where a link on this engine's own host leads (Google News article links redirect
        to the publisher), or None. A link elsewhere is never fetched: results are untrusted.
        """
        if _origin(link) != _origin(self.base_url):
            return None
        self._limiter.acquire()
        try:
            # The link came in an answer: untrusted, though on the engine's configured host.
            fetched = self._fetcher.get(
                link, source_id=source_id, untrusted=True, configured=self.base_url
            )
            final = fetched.final_url
        except FetchError:
            return None
        return final if _origin(final) != _origin(self.base_url) else None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


@dataclass(slots=True)
class EngineClients:
    """One client (one rate limit) per engine."""

    clients: dict[str, EngineClient]

    @classmethod
    def build(
        cls,
        settings: SearchSettings,
        fetcher: Fetcher,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> EngineClients:
        return cls(
            {
                name: EngineClient(settings.engine(name), fetcher, clock=clock, sleep=sleep)
                for name in SEARCH_ENGINES
            }
        )

    def __getitem__(self, engine: str) -> EngineClient:
        return self.clients[engine]
