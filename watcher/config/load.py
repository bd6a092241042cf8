"""Read the YAML with line numbers, validate it, and describe each problem as FILE:LINE: message."""

from __future__ import annotations

import difflib
import os
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ValidationError,
)

from watcher.config.models import DEFAULT_CONFIG, Config, Environment, Loc, dotted
from watcher.config.references import config_warnings, cross_check
from watcher.errors import ConfigError

_SECRET_KEYS = {"password": "password_env", "secret": "secret_env", "token": "secret_env"}
MAX_CONFIG_BYTES = 5_000_000
MAX_VALUES = 1_000_000  # keys and values, every YAML alias expanded where it is used


def config_path(given: str | Path | None) -> Path:
    """The config to read: the option, else $WATCHER_CONFIG, else ./config/watch.yaml, else the
    bundled one (so an installed watcher runs from any directory)."""
    if given or os.environ.get("WATCHER_CONFIG"):
        return Path(given or os.environ["WATCHER_CONFIG"])
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG
    return bundled_config()


def bundled_config() -> Path:
    """The example config that ships with watcher (the last fallback of ``config_path``)."""
    from watcher.resources import bundled

    return bundled(str(DEFAULT_CONFIG))


def load_config(path: str | Path | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """Read, validate and cross-check a config file; raise ``ConfigError`` listing every problem.

    The environment is read here, once: the config never looks at it again.
    """
    path = config_path(path)
    return parse_config(_read(path), path, Environment.read(environ))


def check_config(
    path: str | Path | None = None, environ: Mapping[str, str] = os.environ
) -> tuple[Config, list[str]]:
    """``load_config``, and the warnings: what is valid but most likely not what was meant
    (``FILE:LINE: warning: message``; see ``references.config_warnings``)."""
    path = config_path(path)
    config, data, lines = _parse(_read(path), path, Environment.read(environ))
    warnings = [
        f"{path}:{_line(lines, loc)}: warning: {message}"
        for loc, message in config_warnings(config, empty=not data)
    ]
    return config, sorted(warnings, key=lambda warning: _line_number(warning)[0])


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError([f"{path}: cannot read the config: {error.strerror or error}"]) from None
    if len(raw) > MAX_CONFIG_BYTES:
        megabytes = MAX_CONFIG_BYTES // 1_000_000
        raise ConfigError(
            [f"{path}:1: the config is larger than {megabytes} MB; is it the right file?"]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - raw.rfind(b"\n", 0, error.start)
        raise ConfigError(
            [
                f"{path}:{line}: not UTF-8 (byte 0x{raw[error.start]:02x} in column {column}): "
                "save the file as UTF-8"
            ]
        ) from None


def parse_config(text: str, path: Path, environment: Environment | None = None) -> Config:
    return _parse(text, path, environment)[0]


def _parse(
    text: str, path: Path, environment: Environment | None
) -> tuple[Config, dict[str, Any], dict[Loc, int]]:
    """The config, the raw data and the line of every key path."""
    data, lines = _load_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: the config must be a mapping of keys (timezone, people, …)"])
    problems = [f"{path}:{_line(lines, loc)}: {msg}" for loc, msg in cross_check(data)]
    try:
        config = Config.model_validate(
            {**data, "path": path, "environment": environment or Environment.read()}
        )
    except ValidationError as error:
        problems += _describe_validation_errors(error, lines, path)
    if problems:
        raise ConfigError(sorted(set(problems), key=_line_number))
    return config, data, lines


# libyaml when PyYAML was built with it: a config of thousands of sources loads 10x faster.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_Loader):
    """A date or moment YAML recognises but that cannot be (``2024-13-01``, ``T25:00``) is a
    problem at its line, like any other, not a crash."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> object:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a real date or time ({error})", node.start_mark
            ) from None


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _SafeLoader.construct_yaml_timestamp)


def _load_yaml(text: str, path: Path) -> tuple[Any, dict[Loc, int]]:
    """The data, and the line of every key path: one parse, the nodes kept for their marks."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and "*" in text:  # only an alias (``*name``) can expand
            _check_expansion(node, path)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError([f"{path}:{line}: invalid YAML: {error.problem or error}"]) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"{path}:1: invalid YAML: {error}"]) from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {(): 1}
    duplicates: list[str] = []
    if node is not None:
        _record_lines(node, lines, duplicates, path)
    if duplicates:
        raise ConfigError(duplicates)
    return data, lines


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_expansion(root: yaml.Node, path: Path) -> None:
    """Refuse a document that YAML aliases expand past ``MAX_VALUES`` keys and values (300
    bytes of nested aliases stand for 10⁹ strings, which every later step would walk), or
    that contains itself. One pass over the distinct nodes, without recursion (libyaml
    allows nesting deeper than Python's stack)."""
    sizes: dict[int, int] = {}  # id(node) → keys and values under it, aliases expanded
    walking: set[int] = set()  # the nodes whose children are being sized
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, sized_children = stack.pop()
        line = node.start_mark.line + 1
        if sized_children:
            walking.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[id(node)] > MAX_VALUES:
                raise ConfigError(
                    [
                        f"{path}:{line}: YAML aliases expand this to more than {MAX_VALUES:,} "
                        "values; write the values out, or use fewer aliases"
                    ]
                )
        elif id(node) in walking:
            raise ConfigError([f"{path}:{line}: a YAML alias here refers to its own anchor"])
        elif id(node) not in sizes:
            walking.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


def _record_lines(
    root: yaml.Node, lines: dict[Loc, int], duplicates: list[str], path: Path
) -> None:
    """Map every key path (``('people', 0, 'aliases')``) to the line it starts on (a key's
    line for a mapping entry). Each node is visited once: under an alias, the lines of the
    anchor's own paths stand for its contents (``_line`` falls back to the alias's path)."""
    visited: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        lines.setdefault(loc, node.start_mark.line + 1)
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in reversed(node.value):
                key = str(key_node.value)
                lines[(*loc, key)] = key_node.start_mark.line + 1
                stack.append((value_node, (*loc, key)))
            for key_node, _ in node.value:
                key = str(key_node.value)
                if key in seen:
                    line = key_node.start_mark.line + 1
                    duplicates.append(f"{path}:{line}: '{key}' is given twice; keep one")
                seen.add(key)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(
                (item, (*loc, index)) for index, item in reversed(list(enumerate(node.value)))
            )


def line_of(path: Path | None, loc: Loc) -> int:
    """The line of ``loc`` (like ``("channels", 1, "secret_env")``) in the config file at
    ``path``, for problems found after loading (in the environment, in an optional extra)."""
    if path is None:
        return 1
    try:
        _, lines = _load_yaml(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError, ConfigError):
        return 1
    return _line(lines, loc)


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
        loc = tuple(part for part in detail["loc"] if part not in {"path", "environment"})
        problems.append(f"{path}:{_line(lines, loc)}: {_describe(detail, loc)}")
    return problems


def _line_number(problem: str) -> tuple[int, str]:
    match = re.search(r":(\d+): ", problem)
    return (int(match[1]) if match else 0, problem)


def _describe(detail: Any, loc: Loc) -> str:
    where = dotted(loc)
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
        return f"unknown key '{key}' in {dotted(loc[:-1]) or 'the config'}{suggestion}"
    if kind == "missing":
        return f"{where} is required"
    message = str(detail["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _known_keys(loc: Loc) -> list[str]:
    """The keys allowed at ``loc``, found by walking the models' annotations."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if _is_model(model) else None
        model = model_in(field.annotation) if field else None
    if not _is_model(model):
        return []
    return sorted(
        name for name, field in model.model_fields.items() if not field.exclude and name != "kind"
    )


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def model_in(annotation: Any) -> Any:
    """``list[Entity] | None`` → ``Entity``."""
    if _is_model(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        if found := model_in(arg):
            return found
    return None
