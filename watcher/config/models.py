"""The config's schema: frozen pydantic models, one per section, and their small value types.

Every key a user can write is declared here; ``watcher.config.load`` reads the YAML and
``watcher.config.references`` checks what refers to what.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

DEFAULT_CONFIG = Path("config/watch.yaml")
Loc = tuple[str | int, ...]


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- small value types ------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: object) -> timedelta:
    """``30m``, ``2h``, ``1d``, ``1w``, ``45s`` → timedelta (a timedelta passes as it is).

    A bare number is refused: ``every: 30`` could mean seconds or minutes.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f"{value} has no unit: write {value}m for minutes or {value}s for seconds "
            "(units: s, m, h, d, w)"
        )
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration: write it like 30m, 2h, 1d or 1w")
    return timedelta(**{_UNITS[match[2]]: float(match[1])})


def _check_id(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
        raise ValueError(
            f"{value!r} is not a valid id: use letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    return value


def _check_env_name(value: str) -> str:
    """The value is never quoted back: when it is not a name, it is most likely the secret."""
    if value.startswith("whsec_") or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(
            "this is not an environment variable name: give the name of the variable that "
            "holds the secret (like WATCHER_SMTP_PASSWORD), never the secret itself"
        )
    return value


def _check_time_of_day(value: str) -> str:
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", str(value)):
        raise ValueError(f"{value!r} is not a time of day: write it as HH:MM, like 07:00")
    return str(value)


def _check_cron(value: str) -> str:
    from cronsim import CronSim, CronSimError

    try:
        CronSim(value, datetime(2000, 1, 1))
    except CronSimError as error:
        raise ValueError(f"{value!r} is not a cron expression: {error}") from None
    return value


def _check_http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _check_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    address = re.sub(r"^.*<([^>]*)>\s*$", r"\1", value.strip())
    try:
        validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise ValueError(f"{value!r} is not a valid email address: {error}") from None
    if any(ch in value for ch in "\r\n"):
        raise ValueError(f"{value!r} contains a line break")
    return value


def _parse_moment(value: object) -> object:
    """A day (``2024-05-17``) or a moment (``2024-05-17T19:00:00Z``, ``…+03:00``, or without an
    offset: then in the config's ``timezone``). YAML gives dates and most moments already
    parsed; a string is read as ISO 8601."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is neither a date nor a moment: write a day like 2024-05-17, or a moment "
            "like 2024-05-17T19:00:00Z or 2024-05-17T22:00:00+03:00 (without an offset, it is "
            "in the config's timezone)"
        ) from None


Id = Annotated[str, AfterValidator(_check_id)]
EnvName = Annotated[str, AfterValidator(_check_env_name)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
TimeOfDay = Annotated[str, BeforeValidator(str), AfterValidator(_check_time_of_day)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
CronExpression = Annotated[str, AfterValidator(_check_cron)]
Email = Annotated[str, AfterValidator(_check_email)]
Moment = Annotated[date | datetime, BeforeValidator(_parse_moment)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- what to watch ----------------------------------------------------------------------------


class Entity(Model):
    """A person, organisation or topic; all three share one id space (queries name them)."""

    id: Id
    name: str
    aliases: list[str] = []
    weak_aliases: list[str] = []
    exclude: list[str] = []
    accounts: dict[str, str] = {}
    variants: bool = True  # also match unlisted spellings of the aliases (watcher.match.variants)
    kind: Literal["person", "organization", "topic"] = "person"

    @model_validator(mode="after")
    def _aliases_default_to_name(self) -> Entity:
        if not self.aliases:
            object.__setattr__(self, "aliases", [self.name])
        return self


class Followup(Model):
    """Something ``by`` is expected to say; ``after`` is the URL of the item that promised it
    (the answer comes after it, and is never the promise itself: ``watcher.match.anchors``)."""

    id: Id
    title: str
    by: list[Id] = Field(min_length=1)
    match: str | None = None
    since: Moment | None = None
    after: HttpUrl | None = None
    due: date | None = None


class Story(Model):
    id: Id
    title: str
    since: date
    match: str
    followups: list[Followup] = []


# --- where to look ----------------------------------------------------------------------------


SEARCH_ENGINES = ("gdelt", "google_news", "bing_news")


def _check_engine(value: str) -> str:
    if value not in SEARCH_ENGINES:
        hint = difflib.get_close_matches(value, SEARCH_ENGINES, n=1)
        known = f"did you mean '{hint[0]}'?" if hint else f"known: {', '.join(SEARCH_ENGINES)}"
        raise ValueError(f"unknown search engine {value!r}; {known}")
    return value


def _check_language(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}", value):
        raise ValueError(f"{value!r} is not a language code: write two letters, like en or ar")
    return value


def _check_region(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError(
            f"{value!r} is not a region: write a two-letter country code in capitals, like SA"
        )
    return value


class SourceSearch(Model):
    """A news-search source: a ``story`` whose query watcher translates, or the engine's own
    ``query``; ``language`` picks the aliases (by script) and the edition, ``region`` the
    country edition."""

    engine: Annotated[str, AfterValidator(_check_engine)]
    story: Id | None = None
    query: str | None = None
    language: Annotated[str, AfterValidator(_check_language)] | None = None
    region: Annotated[str, AfterValidator(_check_region)] | None = None

    @model_validator(mode="after")
    def _story_or_query(self) -> SourceSearch:
        if (self.story is None) == (self.query is None):
            raise ValueError(
                "give exactly one of 'story' (a story id, whose query is translated) or "
                "'query' (written in the engine's own syntax)"
            )
        if self.query is not None and not self.query.strip():
            raise ValueError("'query' is empty")
        if self.engine == "google_news" and self.language not in (None, "en") and not self.region:
            raise ValueError(
                f"Google News has editions per country: give a 'region' for language "
                f"{self.language!r} (like SA or EG for ar)"
            )
        return self

    def describe(self) -> str:
        """What identifies this search in ``watcher sources`` (and resets its cursor when it
        changes): ``search:gdelt?story=openai-safety-exits&language=en``."""
        asked = {"story": self.story, "query": self.query}
        asked |= {"language": self.language, "region": self.region}
        return f"search:{self.engine}?" + "&".join(f"{k}={v}" for k, v in asked.items() if v)


class Source(Model):
    """A feed URL (RSS, Atom, JSON Feed, social RSS), an archived account (``x.com/HANDLE``) or
    a news search (``search``)."""

    id: Id
    feed: HttpUrl | None = None
    archive: str | None = None
    search: SourceSearch | None = None
    owner: Id | None = None
    name: str | None = None
    every: Duration | None = None
    enabled: bool = True
    full_text: bool = False  # fetch each new item's page and match on its main text
    timezone: str | None = None  # where its dates written without a zone are read

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Source:
        if [self.feed, self.archive, self.search].count(None) != 2:
            raise ValueError(
                "give exactly one of 'feed' (a URL), 'archive' (like x.com/HANDLE) or "
                "'search' (a news search)"
            )
        if self.archive is not None and not archive_handle(self.archive):
            raise ValueError(
                f"archive {self.archive!r} is not an X account: write it as x.com/HANDLE"
            )
        if self.search is not None and self.owner is not None:
            raise ValueError(
                "a news search finds many outlets' articles: 'owner' cannot apply to it"
            )
        return self

    @property
    def kind(self) -> Literal["feed", "archive", "search"]:
        if self.search is not None:
            return "search"
        return "feed" if self.feed is not None else "archive"

    @property
    def url(self) -> str:
        if self.search is not None:
            return self.search.describe()
        return self.feed or f"https://x.com/{archive_handle(self.archive or '')}"


def archive_handle(target: str) -> str | None:
    """``x.com/sama``, ``https://twitter.com/@sama/`` → ``sama``; None when it is not an account."""
    match = re.fullmatch(
        r"(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/@?([A-Za-z0-9_]{1,30})/?",
        target.strip(),
    )
    return match[1] if match else None


class FetchSettings(Model):
    timeout: Duration = timedelta(seconds=30)
    connect_timeout: Duration = timedelta(seconds=10)
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    workers: int = Field(8, ge=1, le=256)
    per_host: int = Field(2, ge=1, le=64)
    user_agent: str | None = None
    every: Duration = timedelta(hours=1)
    max_backoff: Duration = timedelta(hours=24)


class ArchiveSettings(Model):
    base_url: HttpUrl = "https://web.archive.org"
    every: Duration = timedelta(hours=6)
    rate: float = Field(0.25, gt=0, description="requests per second to the archive (it throttles)")


class SearchEngineSettings(Model):
    """Where one news-search engine answers, and how many requests a second it is sent."""

    base_url: HttpUrl
    rate: float = Field(1.0, gt=0, description="requests per second to this engine")


class GdeltSettings(SearchEngineSettings):
    base_url: HttpUrl = "https://api.gdeltproject.org"
    rate: float = Field(0.2, gt=0, description="GDELT asks for one request every 5 s")


class GoogleNewsSettings(SearchEngineSettings):
    base_url: HttpUrl = "https://news.google.com"


class BingNewsSettings(SearchEngineSettings):
    base_url: HttpUrl = "https://www.bing.com"


class SearchSettings(Model):
    gdelt: GdeltSettings = GdeltSettings()
    google_news: GoogleNewsSettings = GoogleNewsSettings()
    bing_news: BingNewsSettings = BingNewsSettings()

    def engine(self, name: str) -> SearchEngineSettings:
        settings: SearchEngineSettings = getattr(self, name)
        return settings


# --- what to send, and where ------------------------------------------------------------------


class Channel(Model):
    """Where digests and alerts go: email addresses, a webhook, or any Apprise URL (given in
    ``apprise``, or in the environment variable ``url_env`` names: such URLs hold tokens)."""

    id: Id
    email: list[Email] | None = None
    webhook: HttpUrl | None = None
    apprise: str | None = None
    url_env: EnvName | None = None
    secret_env: EnvName | None = None
    format: Literal["standard", "slack", "discord"] = "standard"
    give_up_after: Duration = timedelta(hours=48)

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Channel:
        given = [self.email, self.webhook, self.apprise or self.url_env]
        if given.count(None) != 2:
            raise ValueError(
                "give exactly one of 'email' (a list of addresses), 'webhook' (a URL) or "
                "'apprise' (an Apprise URL, or 'url_env': the variable that holds it)"
            )
        if self.apprise and self.url_env:
            raise ValueError("give the Apprise URL in 'apprise' or in 'url_env', not both")
        if self.email is not None and not self.email:
            raise ValueError("'email' needs at least one address")
        if self.secret_env and self.kind != "webhook":
            raise ValueError("'secret_env' signs webhooks; this channel is not one")
        return self

    @property
    def kind(self) -> Literal["email", "webhook", "apprise"]:
        if self.email is not None:
            return "email"
        return "webhook" if self.webhook is not None else "apprise"


class Smtp(Model):
    host: str
    port: int = 587
    starttls: bool = True
    tls: bool = False
    username: str | None = None
    password_env: EnvName | None = None
    sender: Email
    timeout: Duration = timedelta(seconds=30)
    allow_plaintext_auth: bool = False

    @property
    def password_in_clear(self) -> bool:
        """Whether logging in would send the password unencrypted over a network: no TLS of
        either kind, to a host other than this machine, and not allowed by the user."""
        logs_in = bool(self.username or self.password_env)
        if not logs_in or self.starttls or self.tls or self.allow_plaintext_auth:
            return False
        return not is_loopback(self.host.strip("[]"))

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> Smtp:
        if self.password_in_clear:
            raise ValueError(
                f"logging in to {self.host} without TLS would send the password in clear: set "
                "starttls: true (or tls: true), or allow_plaintext_auth: true to accept that"
            )
        return self


class Digest(Model):
    id: Id
    at: TimeOfDay | None = None
    cron: CronExpression | None = None
    stories: list[Id] | None = None
    send_to: list[Id] = Field(min_length=1)
    language: Literal["en", "ar"] = "en"
    title: str | None = None
    skip_empty: bool = False
    grace: Duration = timedelta(hours=6)
    max_items: int = Field(60, ge=1)
    list_id: str | None = None
    unsubscribe: str | None = None

    @model_validator(mode="after")
    def _one_trigger(self) -> Digest:
        if self.at is not None and self.cron is not None:
            raise ValueError("give 'at' (HH:MM) or 'cron', not both")
        if self.at is None and self.cron is None:
            object.__setattr__(self, "at", "07:00")
        return self


def _check_quiet_hours(value: str) -> str:
    match = re.fullmatch(
        r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*", value
    )
    if not match or match.group(1, 2) == match.group(3, 4):
        raise ValueError(f'{value!r} is not a span of hours: write it like "23:00-07:00"')
    return value


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


AlertReason = Literal["followup", "story", "author"]


class Alert(Model):
    """Sent the moment a poll stores what it is about: a follow-up fulfilled (``followup``), a
    new item of its stories (``story``), a new item authored by an entity its stories watch
    (``author``). The key is ``when``: YAML 1.1 reads ``on`` as true."""

    id: Id
    when: Annotated[list[AlertReason], BeforeValidator(_as_list), Field(min_length=1)]
    stories: list[Id] | None = None
    send_to: list[Id] = Field(min_length=1)
    max_per_hour: int | None = Field(None, ge=1)
    quiet_hours: Annotated[str, AfterValidator(_check_quiet_hours)] | None = None
    max_age: Duration = timedelta(days=7)

    @model_validator(mode="before")
    @classmethod
    def _on_is_not_when(cls, data: Any) -> Any:
        if isinstance(data, dict) and True in data:  # ``on:`` as YAML 1.1 reads it
            raise ValueError("the key is 'when', not 'on' (YAML reads 'on' as true)")
        return data

    def quiet_span(self) -> tuple[time, time] | None:
        """``quiet_hours`` as (start, end) times of day, in the config's zone."""
        if self.quiet_hours is None:
            return None
        start, end = (part.strip() for part in self.quiet_hours.split("-"))
        return time.fromisoformat(start.zfill(5)), time.fromisoformat(end.zfill(5))


class Metrics(Model):
    listen: str = "127.0.0.1:9464"


def parse_listen(listen: str) -> tuple[str, int]:
    """``127.0.0.1:8080``, ``[::1]:8080``, ``:8080`` (every interface) → (host, port); port 0
    picks a free one."""
    host, sep, port = listen.strip().rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{listen!r} is not HOST:PORT; write it like 127.0.0.1:8080")
    return host.strip("[]") or "0.0.0.0", int(port)


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (a name other than localhost may not be)."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_open_listen(listen: str, token_env: str | None) -> None:
    """Raise ValueError when ``listen`` reaches beyond this machine and no token guards it."""
    host, _ = parse_listen(listen)
    if token_env is None and not is_loopback(host):
        raise ValueError(
            f"listening on {listen!r} without 'token_env' would show what you follow to anyone "
            "who can reach that address: add token_env: NAME (an environment variable holding "
            "a long random token), or listen on 127.0.0.1"
        )


class Web(Model):
    """The read-only web view: where it listens, and the variable holding its access token."""

    listen: str = "127.0.0.1:8080"
    token_env: EnvName | None = None

    @model_validator(mode="after")
    def _safe_binding(self) -> Web:
        refuse_open_listen(self.listen, self.token_env)
        return self


# --- the whole file ---------------------------------------------------------------------------


def default_data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the default SQLite database lives: $WATCHER_DATA_DIR, else the XDG data dir."""
    if env := environ.get("WATCHER_DATA_DIR"):
        return Path(env).expanduser()
    xdg = environ.get("XDG_DATA_HOME") or str(Path("~/.local/share").expanduser())
    return Path(xdg) / "watcher"


class Environment(Model):
    """What the config takes from the environment, read once when it loads (never after)."""

    database_url: str | None = None  # $WATCHER_DATABASE_URL
    data_dir: Path = Field(default_factory=default_data_dir)

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> Environment:
        return cls(
            database_url=environ.get("WATCHER_DATABASE_URL") or None,
            data_dir=default_data_dir(environ),
        )


class Config(Model):
    timezone: str = "UTC"
    database: str | None = None
    data_dir: str | None = None
    languages: list[str] = ["en", "ar"]
    allow_private_networks: bool = False
    retention: Duration | None = None
    templates_dir: str | None = None
    fetch: FetchSettings = FetchSettings()
    archive: ArchiveSettings = ArchiveSettings()
    search: SearchSettings = SearchSettings()
    metrics: Metrics | None = None
    web: Web | None = None
    people: list[Entity] = []
    organizations: list[Entity] = []
    topics: list[Entity] = []
    stories: list[Story] = []
    sources: list[Source] = []
    channels: list[Channel] = []
    smtp: Smtp | None = None
    digests: list[Digest] = []
    alerts: list[Alert] = []

    # Not from the file: where it was read from (relative paths resolve against it), and what
    # the environment said when it was read.
    path: Path | None = Field(None, exclude=True)
    environment: Environment = Field(default_factory=Environment.read, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _tag_entity_kinds(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for section, kind in ENTITY_SECTIONS.items():
                if isinstance(data.get(section), list):
                    data[section] = [
                        {**e, "kind": kind} if isinstance(e, dict) else e for e in data[section]
                    ]
        return data

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def entities(self) -> list[Entity]:
        return [*self.people, *self.organizations, *self.topics]

    def entity(self, entity_id: str) -> Entity:
        return next(e for e in self.entities if e.id == entity_id)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def story(self, story_id: str) -> Story:
        return next(s for s in self.stories if s.id == story_id)

    def channel(self, channel_id: str) -> Channel:
        return next(c for c in self.channels if c.id == channel_id)

    def digest(self, digest_id: str) -> Digest:
        return next(d for d in self.digests if d.id == digest_id)

    def alert(self, alert_id: str) -> Alert:
        return next(a for a in self.alerts if a.id == alert_id)

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL: $WATCHER_DATABASE_URL, else ``database``, else SQLite in data_dir."""
        url = self.environment.database_url or self.database
        if not url:
            return f"sqlite:///{self.resolved_data_dir / 'watcher.db'}"
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            path = os.path.expandvars(url.removeprefix("sqlite:///"))
            return f"sqlite:///{self._resolve(Path(path).expanduser())}"
        return url

    @property
    def resolved_data_dir(self) -> Path:
        if self.data_dir:
            return self._resolve(Path(os.path.expandvars(self.data_dir)).expanduser())
        return self.environment.data_dir

    @property
    def resolved_templates_dir(self) -> Path | None:
        return self._resolve(Path(self.templates_dir).expanduser()) if self.templates_dir else None

    def source_zone(self, source: Source) -> ZoneInfo:
        """Where a source's dates written without a zone are read: its own, else the config's."""
        return ZoneInfo(source.timezone or self.timezone)

    def source_interval(self, source: Source) -> timedelta:
        if source.every is not None:
            return source.every
        return self.archive.every if source.kind == "archive" else self.fetch.every

    def _resolve(self, path: Path) -> Path:
        if path.is_absolute() or self.path is None:
            return path
        return (self.path.parent / path).resolve()


ENTITY_SECTIONS = {"people": "person", "organizations": "organization", "topics": "topic"}
