"""Add sources to a config file without touching a byte of what is already there.

The new entries are *inserted as text* where the ``sources`` list ends, so every existing
line (comments, quoting, indentation, flow or block style, blank lines) stays exactly as it
was: a YAML round-trip (ruamel.yaml) re-emits the whole file and moves comments, spacing and
line breaks around. Where to insert comes from PyYAML's node positions:

- a block list (``- {id: …}`` or ``- id: …``): a line after the last entry's last content,
  at the same indentation and in the same style (flow or block mapping);
- a flow list (``sources: [ … ]``): ``, {id: …}`` after its last entry (on a line of its own
  when the entries are one a line, the last old one gaining its comma), or inside ``[]``;
- ``sources:`` with no value (an explicit ``~`` is removed), or no ``sources`` key at all: a
  block list under it (the key is added at the end of the file), indented like the file's
  other lists.

The edited text is validated as a whole config before the file is replaced (atomically, same
permissions); an edit that would not load is refused and the file left alone.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from watcher.config.load import parse_config
from watcher.errors import ConfigError
from watcher.resources import bundled

ID_MAX = 40
NAME_MAX = 100
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_BLANK_OR_COMMENT = re.compile(r"\s*(?:#.*)?")
_NULL = "tag:yaml.org,2002:null"
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class NewSource:
    """A feed source to add: ``{id: …, feed: "…", name: "…"}``."""

    id: str
    feed: str
    name: str | None = None


def add_sources_to_file(path: Path, sources: Sequence[NewSource]) -> None:
    """Insert ``sources`` into the config at ``path``; raise ``ConfigError`` when the result
    would not load (the file is then left as it was)."""
    if not sources:
        return
    target = path.resolve()  # a symlinked config: edit what it points at, keep the link
    if target == bundled("config/watch.yaml").resolve():
        raise ConfigError(
            [
                f"{path}: this is the bundled config, which is not edited; write your own "
                "with `watcher init DIR` and pass it with -c DIR/watch.yaml"
            ]
        )
    original = target.read_text(encoding="utf-8")
    edited = add_sources(original, sources)
    parse_config(edited, path)  # raises ConfigError, FILE:LINE: message, before anything is written
    _replace(target, edited)


def add_sources(text: str, sources: Sequence[NewSource]) -> str:
    """``text`` with ``sources`` appended to its ``sources`` list; nothing else changes."""
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise ConfigError([f"the config is not valid YAML: {error}"]) from None
    if isinstance(root, yaml.ScalarNode) and root.tag == _NULL:
        root = None  # "---" or comments only
    if root is not None and not (isinstance(root, yaml.MappingNode) and not root.flow_style):
        raise ConfigError(["the config must be a mapping of keys, one a line"])
    dash = _list_indent(root)
    value = _value_of(root, "sources")
    if value is None:  # no key: a block list at the end of the file
        lines = ["sources:", *_block_items(sources, dash, dash + 2, flow=True)]
        return _insert_lines(text, len(text), lines, newline)
    if isinstance(value, yaml.ScalarNode) and value.tag == _NULL:  # "sources:" or "sources: ~"
        start = value.start_mark.index
        if value.end_mark.index > start:  # an explicit "~" or "null" gives way to the list
            start = len(text[:start].rstrip(" "))
            text = text[:start] + text[value.end_mark.index :]
        at = _line_end(text, start)
        return _insert_lines(text, at, _block_items(sources, dash, dash + 2, flow=True), newline)
    if isinstance(value, yaml.SequenceNode) and value.flow_style:
        return _extend_flow(text, value, sources, newline)
    if isinstance(value, yaml.SequenceNode):
        return _extend_block(text, value, sources, newline)
    raise ConfigError(["'sources' is not a list: it must be a list of sources"])


def _value_of(root: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    return next((v for k, v in root.value if k.value == key), None)


def _list_indent(root: yaml.Node | None) -> int:
    """How far the file indents a top-level block list's dashes (``people:\\n  - …`` → 2)."""
    if isinstance(root, yaml.MappingNode):
        for _, value in root.value:
            if isinstance(value, yaml.SequenceNode) and not value.flow_style:
                return value.start_mark.column
    return 2


def _extend_block(
    text: str, sequence: yaml.SequenceNode, sources: Sequence[NewSource], newline: str
) -> str:
    last = sequence.value[-1]
    end = _content_end(last)
    at = end.index if end.column == 0 and end.index > 0 else _line_end(text, end.index)
    dash = _dash_column(text, last, sequence)
    flow = not isinstance(last, yaml.MappingNode) or bool(last.flow_style)
    keys = last.start_mark.column if isinstance(last, yaml.MappingNode) else dash + 2
    return _insert_lines(text, at, _block_items(sources, dash, keys, flow=flow), newline)


def _extend_flow(
    text: str, sequence: yaml.SequenceNode, sources: Sequence[NewSource], newline: str
) -> str:
    items = [_flow_mapping(source) for source in sources]
    if not sequence.value:
        close = text.rindex("]", sequence.start_mark.index, sequence.end_mark.index)
        return text[:close] + ", ".join(items) + text[close:]
    last = sequence.value[-1]
    at = _content_end(last).index
    line_end = text.find("\n", at)
    line_end = len(text) if line_end < 0 else line_end
    rest = text[at:line_end]
    if last.start_mark.line != sequence.start_mark.line and _BLANK_OR_COMMENT.fullmatch(rest):
        # One entry a line: the last one gets its comma, each new one a line of its own.
        carriage = "\r" if rest.endswith("\r") else ""
        indent = newline + " " * last.start_mark.column
        added = indent + ("," + indent).join(items)
        return text[:at] + "," + rest.removesuffix("\r") + added + carriage + text[line_end:]
    return text[:at] + "".join(", " + item for item in items) + text[at:]


def _content_end(node: yaml.Node) -> yaml.Mark:
    """Where a node's last character is: a block collection's own end mark lies past the
    comments and blank lines that follow it, so look at its last leaf instead."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return max((_content_end(part) for pair in node.value for part in pair), key=_index)
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return max((_content_end(item) for item in node.value), key=_index)
    return node.end_mark


def _index(mark: yaml.Mark) -> int:
    return mark.index


def _dash_column(text: str, item: yaml.Node, sequence: yaml.SequenceNode) -> int:
    """The column of the ``-`` before ``item`` on its line, else the list's own column."""
    start = item.start_mark.index
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    stripped = before.rstrip()
    if stripped.endswith("-") and not stripped[:-1].strip(" -"):
        return len(stripped) - 1
    return sequence.start_mark.column


def _line_end(text: str, index: int) -> int:
    """The index just past the line break ending the line that holds ``index``."""
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _insert_lines(text: str, at: int, lines: list[str], newline: str) -> str:
    prefix = newline if at == len(text) and text and not text.endswith("\n") else ""
    return text[:at] + prefix + "".join(line + newline for line in lines) + text[at:]


def _block_items(sources: Iterable[NewSource], dash: int, keys: int, *, flow: bool) -> list[str]:
    lines: list[str] = []
    for source in sources:
        if flow:
            lines.append(" " * dash + "- " + _flow_mapping(source))
            continue
        pairs = _pairs(source)
        first_key, first_value = pairs[0]
        lines.append(
            " " * dash + "-" + " " * max(1, keys - dash - 1) + f"{first_key}: {first_value}"
        )
        lines += [" " * keys + f"{key}: {value}" for key, value in pairs[1:]]
    return lines


def _flow_mapping(source: NewSource) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in _pairs(source)) + "}"


def _pairs(source: NewSource) -> list[tuple[str, str]]:
    pairs = [("id", yaml_scalar(source.id)), ("feed", yaml_quoted(source.feed))]
    if source.name:
        pairs.append(("name", yaml_quoted(source.name)))
    return pairs


def yaml_scalar(value: str) -> str:
    """Plain when YAML reads it back as the same string (``wired-ai``), else double-quoted
    (``"123"``, ``"true"``, ``"null"`` would not be strings)."""
    if _PLAIN.fullmatch(value) and yaml.safe_load(value) == value:
        return value
    return yaml_quoted(value)


def yaml_quoted(value: str) -> str:
    """A double-quoted YAML scalar: JSON's escapes are YAML's, and only printable characters
    are kept (YAML refuses some control characters even escaped in the stream)."""
    return json.dumps("".join(ch for ch in value if ch.isprintable()), ensure_ascii=False)


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and move it over ``path``."""
    temporary = path.with_name(f".{path.name}.watcher-edit")
    temporary.write_text(text, encoding="utf-8", newline="")
    temporary.chmod(path.stat().st_mode & 0o7777)
    temporary.replace(path)


# --- ids ---------------------------------------------------------------------------------------


def source_id(title: str | None, url: str, taken: set[str]) -> str:
    """An ASCII slug from the feed's title (``"WIRED – AI"`` → ``wired-ai``), else from its host
    (``www.bbc.co.uk`` → ``bbc-co-uk``), made unique among ``taken`` (``-2``, ``-3`` …)."""
    return unique_id(_slug(title or "") or _slug(_host(url)) or "feed", taken)


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, else ``base-2``, ``base-3`` …: the first not in ``taken`` (then added to it),
    cut to stay within ``ID_MAX`` characters."""
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base[: ID_MAX - len(str(number)) - 1]}-{number}"
    taken.add(candidate)
    return candidate


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_JUNK.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > ID_MAX:
        slug = slug[:ID_MAX].rsplit("-", 1)[0] if "-" in slug[:ID_MAX] else slug[:ID_MAX]
    return slug


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def source_name(title: str | None) -> str | None:
    """A feed's title as a source's ``name``: one line, at most ``NAME_MAX`` characters."""
    name = " ".join((title or "").split())
    return (name[: NAME_MAX - 1] + "…" if len(name) > NAME_MAX else name) or None
