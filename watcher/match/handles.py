"""Account handles and profile links: "@janleike", "x.com/janleike", "jan.bsky.social"...

An entity's ``accounts`` (``{x: handle, bluesky: handle, mastodon: "@user@host", ...}``) become
lookup keys; a few literal-anchored regexes find every handle-shaped string in a text and a dict
lookup says whose it is, so the cost does not grow with the number of accounts. Those regexes
only run on a text that holds one of the accounts' names: one Aho-Corasick pass over the
casefolded text says so, and most texts (and most item URLs) hold none. A bare "@name"
counts for the platforms whose handles are written that way (X, Threads, Instagram, Bluesky); a
profile link counts for its own platform only. In an item's URL, only a profile or post link
counts: it says whose post the item is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import ahocorasick

# Link forms: the site's host (and path prefix) → the platform key used in ``accounts``.
_SITES = {
    "x.com": "x",
    "twitter.com": "x",
    "bsky.app/profile": "bluesky",
    "threads.net": "threads",
    "instagram.com": "instagram",
    "github.com": "github",
    "linkedin.com/in": "linkedin",
    "youtube.com": "youtube",
}
_AT_PLATFORMS = {"x", "twitter", "threads", "instagram", "bluesky"}
_NAME = r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?"
_HOST = r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_NOT_BEFORE = re.compile(r"[\w@./]")

# Each pattern starts with a literal ("@", "/", ".bsky.social") so a scan is a fast literal
# search; what comes before the literal is then checked by looking back a little.
_AT = re.compile(rf"@({_NAME})(?:@({_HOST}))?")
_SLASH = re.compile(rf"/(@?)({_NAME})")
_BSKY = re.compile(r"\.bsky\.social\b")
_HOST_BEFORE = re.compile(rf"(?:https?://)?(?:www\.|mobile\.)?({_HOST}(?:/profile|/in)?)\Z")
_NAME_BEFORE = re.compile(rf"{_NAME}\Z")
_LOOK_BACK = 80


@dataclass(frozen=True, slots=True)
class HandleHit:
    entity_id: str
    handle: str  # as written in the text
    start: int
    end: int


def account_keys(platform: str, handle: str) -> Iterator[str]:
    """The lookup keys one ``accounts`` entry answers to."""
    platform = platform.casefold()
    handle = handle.strip().casefold()
    if platform == "mastodon" or handle.count("@") == 2:
        user, _, host = handle.lstrip("@").partition("@")
        yield f"mastodon:{user}@{host}"
        return
    handle = handle.lstrip("@")
    platform = "x" if platform == "twitter" else platform
    yield f"{platform}:{handle}"
    if platform in _AT_PLATFORMS:
        yield f"@{handle}"
    if handle.endswith(".bsky.social"):
        yield f"bsky:{handle}"


def _at_handles(text: str) -> Iterator[tuple[str, int, int]]:
    """(key, start, end) for "@name" and "@user@host" not inside an address."""
    for found in _AT.finditer(text):
        if found.start() and _NOT_BEFORE.match(text, found.start() - 1):
            continue
        name, host = found[1], found[2]
        key = f"mastodon:{name}@{host}" if host else f"@{name}"
        yield key.casefold(), found.start(), found.end()


def _link_handles(text: str) -> Iterator[tuple[str, int, int]]:
    """Profile links: "x.com/name", "bsky.app/profile/name", "host/@user" (Mastodon)."""
    for found in _SLASH.finditer(text):
        host = _HOST_BEFORE.search(text, max(0, found.start() - _LOOK_BACK), found.start())
        if host is None:
            continue
        site = host[1].casefold().removeprefix("www.").removeprefix("mobile.")
        if site in _SITES:
            yield f"{_SITES[site]}:{found[2]}".casefold(), host.start(), found.end()
        elif found[1]:
            yield f"mastodon:{found[2]}@{site}".casefold(), host.start(), found.end()


def _bare_bluesky(text: str) -> Iterator[tuple[str, int, int]]:
    """A Bluesky handle written alone: "janleike.bsky.social"."""
    for found in _BSKY.finditer(text):
        name = _NAME_BEFORE.search(text, max(0, found.start() - _LOOK_BACK), found.start())
        if name is None or (name.start() and _NOT_BEFORE.match(text, name.start() - 1)):
            continue
        yield f"bsky:{name.group()}{found.group()}".casefold(), name.start(), found.end()


def _name(key: str) -> str:
    """What a text holds, casefolded, wherever a finder yields ``key``: the name ("@name",
    "x.com/name", "name.bsky.social"); for Mastodon the user, as "host/@user" has no
    "user@host"."""
    rest = key[1:] if key.startswith("@") else key.partition(":")[2]
    return rest.partition("@")[0]


class _Names:
    """Whether a text may hold a handle: one of the names, found in its casefolded form.

    Casefolding maps each character alone, so a name in the text (the finders' names are
    ASCII) is in the casefolded text too: a text this turns away has no handle to find. A name
    left empty ("@") is skipped: every finder needs at least a character of name.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for name in set(names) - {""}:
            self._automaton.add_word(name, name)
        self._any = len(self._automaton) > 0
        if self._any:
            self._automaton.make_automaton()

    def in_(self, text: str) -> bool:
        return self._any and next(self._automaton.iter(text.casefold()), None) is not None


class HandleIndex:
    """Every configured account, looked up by key."""

    def __init__(self, accounts: Mapping[str, Mapping[str, str]]) -> None:
        self.owners: dict[str, str] = {}
        for entity_id, entity_accounts in accounts.items():
            for platform, handle in entity_accounts.items():
                for key in account_keys(platform, handle):
                    self.owners.setdefault(key, entity_id)
        self._names = _Names(map(_name, self.owners))

    def __bool__(self) -> bool:
        return bool(self.owners)

    def find(self, text: str, *, links_only: bool = False) -> list[HandleHit]:
        """Handles of tracked accounts in ``text`` (``links_only``: profile/post links only)."""
        return self._scan(text, links_only) if self._names.in_(text) else []

    def _scan(self, text: str, links_only: bool) -> list[HandleHit]:
        """``find`` without asking ``_names`` first: every finder runs."""
        finders = (_link_handles,) if links_only else (_at_handles, _link_handles, _bare_bluesky)
        hits = []
        for finder in finders:
            for key, start, end in finder(text):
                if (owner := self.owners.get(key)) is not None:
                    hits.append(HandleHit(owner, text[start:end], start, end))
        return sorted(hits, key=lambda hit: hit.start)
