"""Load and validate the YAML config: the single source of settings.

Every problem is reported as ``FILE:LINE: what is wrong``, all at once, so a user fixes a
config in one pass. Secrets never appear in the file: only the *names* of environment
variables that hold them (``password_env``, ``secret_env``).
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from watcher.errors import ConfigError

DEFAULT_CONFIG = Path("config/watch.yaml")
Loc = tuple[str | int, ...]

# --- small value types ------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: object) -> timedelta:
    """``30m``, ``2h``, ``1d``, ``1w``, ``45s`` (or a bare number of seconds) → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
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
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(
            f"{value!r} is not an environment variable name (give the variable's name, "
            "not the secret itself)"
        )
    return value


def _check_time_of_day(value: str) -> str:
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", str(value)):
        raise ValueError(f"{value!r} is not a time of day: write it as HH:MM, like 07:00")
    return str(value)


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


Id = Annotated[str, AfterValidator(_check_id)]
EnvName = Annotated[str, AfterValidator(_check_env_name)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
TimeOfDay = Annotated[str, BeforeValidator(str), AfterValidator(_check_time_of_day)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
Email = Annotated[str, AfterValidator(_check_email)]


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
    kind: Literal["person", "organization", "topic"] = "person"

    @model_validator(mode="after")
    def _aliases_default_to_name(self) -> Entity:
        if not self.aliases:
            object.__setattr__(self, "aliases", [self.name])
        return self


class Followup(Model):
    id: Id
    title: str
    by: list[Id] = Field(min_length=1)
    match: str | None = None
    since: date | None = None
    due: date | None = None


class Story(Model):
    id: Id
    title: str
    since: date
    match: str
    followups: list[Followup] = []


# --- where to look ----------------------------------------------------------------------------


class Source(Model):
    """A feed URL (RSS, Atom, JSON Feed, social RSS) or an archived account (``x.com/HANDLE``)."""

    id: Id
    feed: HttpUrl | None = None
    archive: str | None = None
    owner: Id | None = None
    name: str | None = None
    every: Duration | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Source:
        if (self.feed is None) == (self.archive is None):
            raise ValueError("give exactly one of 'feed' (a URL) or 'archive' (like x.com/HANDLE)")
        if self.archive is not None and not archive_handle(self.archive):
            raise ValueError(
                f"archive {self.archive!r} is not an X account: write it as x.com/HANDLE"
            )
        return self

    @property
    def kind(self) -> Literal["feed", "archive"]:
        return "feed" if self.feed is not None else "archive"

    @property
    def url(self) -> str:
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
    rate: float = Field(1.0, gt=0, description="requests per second to the archive")


# --- what to send, and where ------------------------------------------------------------------


class Channel(Model):
    id: Id
    email: list[Email] | None = None
    webhook: HttpUrl | None = None
    secret_env: EnvName | None = None
    format: Literal["standard", "slack", "discord"] = "standard"
    give_up_after: Duration = timedelta(hours=48)

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Channel:
        if (self.email is None) == (self.webhook is None):
            raise ValueError("give exactly one of 'email' (a list of addresses) or 'webhook'")
        if self.email is not None and not self.email:
            raise ValueError("'email' needs at least one address")
        return self

    @property
    def kind(self) -> Literal["email", "webhook"]:
        return "email" if self.email is not None else "webhook"


class Smtp(Model):
    host: str
    port: int = 587
    starttls: bool = True
    tls: bool = False
    username: str | None = None
    password_env: EnvName | None = None
    sender: Email
    timeout: Duration = timedelta(seconds=30)


class Digest(Model):
    id: Id
    at: TimeOfDay | None = None
    cron: str | None = None
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


class Metrics(Model):
    listen: str = "127.0.0.1:9464"


# --- the whole file ---------------------------------------------------------------------------


def default_data_dir() -> Path:
    """Where the default SQLite database lives: $WATCHER_DATA_DIR, else the XDG data dir."""
    if env := os.environ.get("WATCHER_DATA_DIR"):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path("~/.local/share").expanduser())
    return Path(xdg) / "watcher"


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
    metrics: Metrics | None = None
    people: list[Entity] = []
    organizations: list[Entity] = []
    topics: list[Entity] = []
    stories: list[Story] = []
    sources: list[Source] = []
    channels: list[Channel] = []
    smtp: Smtp | None = None
    digests: list[Digest] = []

    # Not from the file: where it was read from (relative paths resolve against it).
    path: Path | None = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _tag_entity_kinds(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for section, kind in _ENTITY_SECTIONS.items():
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

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL: $WATCHER_DATABASE_URL, else ``database``, else SQLite in data_dir."""
        url = os.environ.get("WATCHER_DATABASE_URL") or self.database
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
        return default_data_dir()

    @property
    def resolved_templates_dir(self) -> Path | None:
        return self._resolve(Path(self.templates_dir).expanduser()) if self.templates_dir else None

    def source_interval(self, source: Source) -> timedelta:
        if source.every is not None:
            return source.every
        return self.fetch.every if source.kind == "feed" else self.archive.every

    def _resolve(self, path: Path) -> Path:
        if path.is_absolute() or self.path is None:
            return path
        return (self.path.parent / path).resolve()


_ENTITY_SECTIONS = {"people": "person", "organizations": "organization", "topics": "topic"}
_SECRET_KEYS = {"password": "password_env", "secret": "secret_env", "token": "secret_env"}


# --- loading with line numbers ----------------------------------------------------------------


def config_path(given: str | Path | None) -> Path:
    """The config to read: the option, else $WATCHER_CONFIG, else ./config/watch.yaml, else the
    bundled one (so an installed watcher runs from any directory)."""
    if given or os.environ.get("WATCHER_CONFIG"):
        return Path(given or os.environ["WATCHER_CONFIG"])
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG
    from watcher.resources import bundled

    return bundled(str(DEFAULT_CONFIG))


def load_config(path: str | Path | None = None) -> Config:
    """Read, validate and cross-check a config file; raise ``ConfigError`` listing every problem."""
    path = config_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([f"{path}: cannot read the config: {error.strerror or error}"]) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    data, lines = _load_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: the config must be a mapping of keys (timezone, people, …)"])
    problems = [f"{path}:{_line(lines, loc)}: {msg}" for loc, msg in _cross_check(data)]
    try:
        config = Config.model_validate({**data, "path": path})
    except ValidationError as error:
        problems += _describe_validation_errors(error, lines, path)
    if problems:
        raise ConfigError(sorted(set(problems), key=_line_number))
    return config


def _load_yaml(text: str, path: Path) -> tuple[Any, dict[Loc, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError([f"{path}:{line}: invalid YAML: {error.problem or error}"]) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"{path}:1: invalid YAML: {error}"]) from None
    lines: dict[Loc, int] = {(): 1}
    duplicates: list[str] = []
    if node is not None:
        _record_lines(node, (), lines, duplicates, path)
    if duplicates:
        raise ConfigError(duplicates)
    return data, lines


def _record_lines(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], duplicates: list[str], path: Path
) -> None:
    """Map every key path (``('people', 0, 'aliases')``) to the line it starts on."""
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                duplicates.append(
                    f"{path}:{key_node.start_mark.line + 1}: '{key}' is given twice; keep one"
                )
            seen.add(key)
            _record_lines(value_node, (*loc, key), lines, duplicates, path)
            lines[(*loc, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*loc, index), lines, duplicates, path)


def _line(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of ``loc``, or of its nearest ancestor present in the file."""
    while loc not in lines:
        loc = loc[:-1]
    return lines[loc]


def _describe_validation_errors(
    error: ValidationError, lines: dict[Loc, int], path: Path
) -> list[str]:
    problems = []
    for detail in error.errors():
        loc = tuple(part for part in detail["loc"] if part != "path")
        problems.append(f"{path}:{_line(lines, loc)}: {_describe(detail, loc)}")
    return problems


def _line_number(problem: str) -> tuple[int, str]:
    match = re.search(r":(\d+): ", problem)
    return (int(match[1]) if match else 0, problem)


def _describe(detail: Any, loc: Loc) -> str:
    where = _dotted(loc)
    kind = detail["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        if key in _SECRET_KEYS:
            return (
                f"'{key}' is not allowed: secrets never go in the config. Put it in an "
                f"environment variable and give its name with '{_SECRET_KEYS[key]}'"
            )
        known = _known_keys(loc[:-1])
        hint = difflib.get_close_matches(key, known, n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; known keys: {', '.join(known)}"
        return f"unknown key '{key}' in {_dotted(loc[:-1]) or 'the config'}{suggestion}"
    if kind == "missing":
        return f"{where} is required"
    message = str(detail["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _known_keys(loc: Loc) -> list[str]:
    """The keys allowed at ``loc``, found by walking the models' annotations."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if _is_model(model) else None
        model = _model_in(field.annotation) if field else None
    if not _is_model(model):
        return []
    return sorted(name for name in model.model_fields if name not in {"path", "kind"})


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _model_in(annotation: Any) -> Any:
    """``list[Entity] | None`` → ``Entity``."""
    if _is_model(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        if found := _model_in(arg):
            return found
    return None


# --- cross references -------------------------------------------------------------------------


def _cross_check(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    """Checks across sections, on the raw data so they run even when the schema has problems.

    Entries of the wrong shape are skipped here: the schema check reports them.
    """
    yield from _check_timezone(data)
    for section in ("stories", "sources", "channels", "digests"):
        yield from _duplicate_ids(
            ((section, i, "id"), r.get("id")) for i, r in _records(data, section)
        )
    yield from _duplicate_ids(
        ((section, i, "id"), r.get("id"))
        for section in _ENTITY_SECTIONS
        for i, r in _records(data, section)
    )
    entity_ids = {
        str(r.get("id")) for section in _ENTITY_SECTIONS for _, r in _records(data, section)
    }
    yield from _check_stories(data, entity_ids)
    yield from _check_sources(data, entity_ids)
    yield from _check_digests(data)


def _records(data: Any, *path: str | int) -> Iterator[tuple[int, dict[str, Any]]]:
    """The mappings in the list at ``path`` with their indexes, skipping anything malformed."""
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    for index, record in enumerate(data if isinstance(data, list) else []):
        if isinstance(record, dict):
            yield index, record


def _strings(value: Any) -> list[tuple[int, str]]:
    return (
        [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
        if isinstance(value, list)
        else []
    )


def _check_timezone(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    timezone = data.get("timezone")
    if not isinstance(timezone, str):
        return
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        yield ("timezone",), f"unknown time zone {timezone!r}: use an IANA name like Asia/Riyadh"


def _duplicate_ids(entries: Iterable[tuple[Loc, Any]]) -> Iterator[tuple[Loc, str]]:
    """People, organisations and topics share one id space; other sections have their own."""
    seen: set[str] = set()
    for loc, item_id in entries:
        if not isinstance(item_id, str):
            continue
        if item_id in seen:
            yield loc, f"id '{item_id}' is used twice in {loc[0]}; ids must be unique"
        seen.add(item_id)


def _unknown(kind: str, value: str, known: Iterable[str]) -> str:
    known = sorted(known)
    hint = difflib.get_close_matches(value, known, n=1)
    return f"unknown {kind} '{value}'" + (
        f"; did you mean '{hint[0]}'?" if hint else f" (known: {', '.join(known) or 'none'})"
    )


def _check_stories(data: dict[str, Any], entity_ids: set[str]) -> Iterator[tuple[Loc, str]]:
    from watcher.match.query import QuerySyntaxError, parse_query

    for s, story in _records(data, "stories"):
        queries: list[tuple[Loc, Any]] = [(("stories", s, "match"), story.get("match"))]
        for f, followup in _records(story, "followups"):
            for b, author in _strings(followup.get("by")):
                if author not in entity_ids:
                    loc = ("stories", s, "followups", f, "by", b)
                    yield loc, _unknown("person or organisation", author, entity_ids)
            queries.append((("stories", s, "followups", f, "match"), followup.get("match")))
        for loc, text in queries:
            if not isinstance(text, str):
                continue
            try:
                parse_query(text, entity_ids)
            except QuerySyntaxError as error:
                yield loc, f"{_dotted(loc)}: {error} (column {error.column})"


def _check_sources(data: dict[str, Any], entity_ids: set[str]) -> Iterator[tuple[Loc, str]]:
    for index, source in _records(data, "sources"):
        owner = source.get("owner")
        if isinstance(owner, str) and owner not in entity_ids:
            yield ("sources", index, "owner"), _unknown("person or organisation", owner, entity_ids)


def _check_digests(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    channels = {str(c.get("id")): c for _, c in _records(data, "channels")}
    story_ids = {str(s.get("id")) for _, s in _records(data, "stories")}
    for index, digest in _records(data, "digests"):
        for s, story_id in _strings(digest.get("stories")):
            if story_id not in story_ids:
                yield ("digests", index, "stories", s), _unknown("story", story_id, story_ids)
        for c, channel_id in _strings(digest.get("send_to")):
            if channel_id not in channels:
                yield ("digests", index, "send_to", c), _unknown("channel", channel_id, channels)
            elif "email" in channels[channel_id] and not data.get("smtp"):
                yield (
                    ("digests", index, "send_to", c),
                    (f"channel '{channel_id}' sends email but there is no 'smtp' section; add one"),
                )
