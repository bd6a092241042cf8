"""Sources from the command line: add a feed found from an address, import an OPML list.

``watcher sources add`` and ``watcher sources import`` each call one function here, which
reads top to bottom: what is configured already → find or read the feeds → insert the new ones
into the config file (``watcher.config.edit``, every existing line kept). A feed counts as
configured when its canonical URL (``watcher.normalise.canonical_url``: scheme and host case,
default port, tracking parameters, query order) is a configured feed's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from watcher.config import Config
from watcher.config.edit import NewSource, add_sources_to_file, source_id, source_name
from watcher.errors import WatcherError
from watcher.fetch.clients import Clients
from watcher.normalise import canonical_url
from watcher.parse.discover import discover_feed
from watcher.parse.opml import OPML_MAX, OpmlError, parse_opml


@dataclass(frozen=True, slots=True)
class Added:
    """What ``add_source`` did: ``source`` added, or the id of the one that has the feed."""

    url: str
    source: NewSource | None = None
    existing: str | None = None

    def line(self) -> str:
        if self.source is None:
            return f"{self.url} is already configured as source {self.existing}; nothing changed"
        named = f' ("{self.source.name}")' if self.source.name else ""
        return f"added source {self.source.id}: {self.source.feed}{named}"


@dataclass(slots=True)
class Imported:
    added: list[NewSource] = field(default_factory=list)
    skipped: int = 0
    invalid: int = 0

    def line(self) -> str:
        feeds = "feed" if len(self.added) == 1 else "feeds"
        text = f"imported {len(self.added)} {feeds}, skipped {self.skipped} already configured"
        if self.invalid:
            text += f"; {self.invalid} outlines without an http(s) feed address ignored"
        return text


def add_source(config: Config, url: str, *, new_id: str | None = None) -> Added:
    """Find the feed at or from ``url``, check it parses, and add it to the config file."""
    url = url.strip()
    configured = _configured(config)
    if existing := configured.get(canonical_url(url) or url):
        return Added(url, existing=existing)
    taken = {source.id for source in config.sources}
    if new_id is not None and new_id in taken:
        raise WatcherError(f"there is already a source {new_id}; choose another --id")
    with Clients.open(config) as clients:
        found = discover_feed(url, clients.http)
    if existing := configured.get(canonical_url(found.url) or found.url):
        return Added(found.url, existing=existing)
    source = NewSource(
        new_id or source_id(found.title, found.url, taken), found.url, source_name(found.title)
    )
    add_sources_to_file(_path(config), [source])
    return Added(found.url, source=source)


def import_opml(config: Config, opml: Path) -> Imported:
    """Add every feed of an OPML file that is not configured yet, ids from their titles."""
    try:
        with opml.open("rb") as file:
            data = file.read(OPML_MAX + 1)
        feeds = parse_opml(data)
    except OSError as error:
        raise OpmlError(f"{opml}: cannot read it: {error.strerror or error}") from None
    except OpmlError as error:
        raise OpmlError(f"{opml}: {error}") from None
    configured = set(_configured(config))
    taken = {source.id for source in config.sources}
    outcome = Imported()
    for feed in feeds:
        canonical = canonical_url(feed.xml_url)
        if canonical is None:
            outcome.invalid += 1
        elif canonical in configured:
            outcome.skipped += 1
        else:
            configured.add(canonical)
            new_id = source_id(feed.title, feed.xml_url, taken)
            outcome.added.append(NewSource(new_id, feed.xml_url, source_name(feed.title)))
    add_sources_to_file(_path(config), outcome.added)
    return outcome


def _configured(config: Config) -> dict[str, str]:
    """Canonical feed URL → the id of the source that has it."""
    return {canonical_url(s.feed) or s.feed: s.id for s in reversed(config.sources) if s.feed}


def _path(config: Config) -> Path:
    if config.path is None:
        raise WatcherError("this config was not read from a file, so there is none to edit")
    return config.path
