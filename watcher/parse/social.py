"""Social RSS: give Bluesky, Mastodon and Nitter posts their identity and their author.

These feeds are ordinary RSS, but their entries are posts, not articles:

- **Bluesky** profile feeds (``bsky.app/profile/HANDLE/rss``): no ``<title>``, dates like
  ``05 Aug 2025 01:40 +0000``, ``at://`` GUIDs. The post's identity is its ``at://`` URI.
- **Mastodon** account feeds (``https://HOST/@USER.rss``): no title, an HTML description. The
  identity is the status URL; the author is ``@USER@HOST``.
- **Nitter**-style feeds of X accounts (nitter.net, xcancel.com, any mirror): ``dc:creator``
  ``@user`` and links/GUIDs on the mirror's host. Every mirror's copy of a post becomes the one
  x.com post (``x:<status id>``, ``https://x.com/USER/status/ID``), the same item an archived
  capture gives; ``R to @x:`` and ``RT by @x:`` titles mark replies and reposts.

A feed is recognised from its URL, else from its entries. The author is mapped to the person
or organisation whose ``accounts`` lists it (``x``, ``bluesky``, ``mastodon``), which sets the
item's ``by``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Literal
from urllib.parse import urlsplit

from watcher.config import Entity
from watcher.model import Entry, ParsedFeed
from watcher.parse.archive import snowflake_time, status_ref

Network = Literal["x", "bluesky", "mastodon"]
NETWORKS: tuple[Network, ...] = ("x", "bluesky", "mastodon")
Kind = Literal["bluesky", "mastodon", "nitter"]
KINDS: tuple[Kind, ...] = ("bluesky", "mastodon", "nitter")
Accounts = dict[Network, dict[str, str]]  # network → normalised account → entity id

_BLUESKY_POST = re.compile(r"^https?://bsky\.app/profile/(?P<actor>[^/]+)/post/(?P<rkey>[^/?#]+)")
_BLUESKY_PROFILE = re.compile(r"^https?://bsky\.app/profile/([^/?#]+)")
_MASTODON_HOME = re.compile(r"^https?://(?P<host>[^/]+)/@(?P<user>[A-Za-z0-9_.-]+)/?$")
_MASTODON_FEED = re.compile(r"^https?://(?P<host>[^/]+)/@(?P<user>[A-Za-z0-9_.-]+)\.rss$")
_MASTODON_STATUS = re.compile(r"^https?://(?P<host>[^/]+)/@(?P<user>[A-Za-z0-9_.-]+)/(?P<id>\d+)")
_NITTER_FEED = re.compile(r"^/(?P<user>[A-Za-z0-9_]{1,30})(?:/(?:with_replies|media|search))?/rss$")
_NITTER_PREFIX = re.compile(r"^(?P<kind>R to|RT by) @(?P<user>[A-Za-z0-9_]{1,30}): ")
_X_HOSTS = ("x.com", "twitter.com")


def adapt_social(parsed: ParsedFeed, url: str, entities: Iterable[Entity] = ()) -> ParsedFeed:
    """Set identity, canonical link and author on a social feed's entries, in place.

    With ``entities`` the author is also mapped to ``by``; without (the parse stage knows no
    config), the matcher finds the author from the same ``accounts``.
    """
    kind = social_kind(url, parsed.entries)
    if kind is None:
        return parsed
    accounts = {network: account_index(entities, network) for network in NETWORKS}
    adapt = ADAPTERS[kind]
    home = parsed.link or url
    for entry in parsed.entries:
        adapt(entry, accounts, home)
    return parsed


def social_kind(url: str, entries: list[Entry]) -> Kind | None:
    """Which social network a feed comes from: by its URL, else by what most entries look like."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "bsky.app" or host.endswith(".bsky.app"):
        return "bluesky"
    if _MASTODON_FEED.match(url):
        return "mastodon"
    if _NITTER_FEED.match(parts.path) and not host.endswith(_X_HOSTS):
        return "nitter"
    votes = [_entry_kind(entry) for entry in entries]
    for kind in KINDS:
        if votes and votes.count(kind) * 2 > len(votes):
            return kind
    return None


def _entry_kind(entry: Entry) -> Kind | None:
    link, guid = entry.link or "", entry.guid or ""
    if guid.startswith("at://") or _BLUESKY_POST.match(link):
        return "bluesky"
    if _MASTODON_STATUS.match(link) and not entry.title:
        return "mastodon"
    if status_ref(link) or status_ref(_on_x(link)):
        return "nitter"
    return None


# --- one adapter per network ---------------------------------------------------------------------


def _adapt_bluesky(entry: Entry, accounts: Accounts, home: str) -> None:
    """``home`` (the profile page) names the handle when a post link gives only the DID."""
    match = _BLUESKY_POST.match(entry.link or "")
    did = None
    if entry.guid and entry.guid.startswith("at://"):
        entry.extra["key"] = entry.guid
        did = entry.guid.removeprefix("at://").split("/", 1)[0]
    profile = _BLUESKY_PROFILE.match(home)
    actor = match["actor"] if match else did
    if actor and actor.startswith("did:") and profile:
        actor = profile[1]
    if actor and not actor.startswith("did:"):
        entry.author = entry.author or f"@{actor}"
    for account in (actor, did):  # accounts.bluesky may give the handle or the DID
        if account and "by" not in entry.extra:
            _set_by(entry, accounts, "bluesky", account)


def _adapt_mastodon(entry: Entry, accounts: Accounts, home: str) -> None:
    match = _MASTODON_STATUS.match(entry.link or "") or _MASTODON_HOME.match(home)
    if entry.link:
        entry.extra["key"] = entry.link.split("#", 1)[0]
    if match:
        account = f"{match['user']}@{match['host']}"
        entry.author = f"@{account}"
        _set_by(entry, accounts, "mastodon", account)


def _adapt_nitter(entry: Entry, accounts: Accounts, _home: str) -> None:
    """Any mirror's copy → the x.com post; ``RT by @x:`` says who reposted it, not who wrote it."""
    ref = status_ref(_on_x(entry.link or "")) or status_ref(_on_x(entry.guid or ""))
    if ref is None:
        return
    handle = (entry.author or "").strip().lstrip("@") or ref.handle
    entry.extra["key"] = ref.key
    entry.extra["status_id"] = ref.status_id
    entry.extra["truncated"] = False
    entry.link = ref.url
    entry.author = f"@{handle}"
    entry.published = snowflake_time(ref.status_id) or entry.published
    prefix = _NITTER_PREFIX.match(entry.title or "")
    if prefix and prefix["kind"] == "R to":
        entry.extra["reply"] = True
    elif prefix:
        entry.extra["reposted_by"] = f"@{prefix['user']}"
    entry.title = None  # Nitter repeats the text as a title; an X post has none
    _set_by(entry, accounts, "x", handle)


ADAPTERS: dict[Kind, Callable[[Entry, Accounts, str], None]] = {
    "bluesky": _adapt_bluesky,
    "mastodon": _adapt_mastodon,
    "nitter": _adapt_nitter,
}


def _on_x(link: str) -> str:
    """A mirror's status link (``https://nitter.net/sama/status/1#m``) on x.com."""
    try:
        parts = urlsplit(link)
    except ValueError:  # a GUID like "http://[x" is no link at all
        return ""
    if not parts.scheme or not re.match(r"^/[A-Za-z0-9_]{1,30}/status/\d+", parts.path):
        return ""
    return f"https://x.com{parts.path}"


# --- accounts → entities -------------------------------------------------------------------


def account_index(entities: Iterable[Entity], network: Network) -> dict[str, str]:
    """Normalised account (``sama``, ``sama.bsky.social``, ``user@host``) → entity id."""
    index: dict[str, str] = {}
    names = ("x", "twitter") if network == "x" else (network,)
    for entity in entities:
        for name in names:
            if value := entity.accounts.get(name):
                index.setdefault(normalise_account(network, value), entity.id)
    return index


def normalise_account(network: Network, value: str) -> str:
    """``https://x.com/Sama`` → ``sama``; ``@jan@mastodon.social`` → ``jan@mastodon.social``;
    ``https://bsky.app/profile/Jan.bsky.social`` → ``jan.bsky.social``."""
    value = value.strip().lower()
    if network == "mastodon":
        match = re.match(r"^https?://([^/]+)/@([^/?#]+)", value)
        return f"{match[2]}@{match[1]}" if match else value.lstrip("@")
    value = re.sub(r"^https?://", "", value)
    value = re.sub(r"^(?:www\.|mobile\.)?(?:x\.com|twitter\.com|bsky\.app/profile)/", "", value)
    return value.strip("/").lstrip("@")


def _set_by(entry: Entry, accounts: Accounts, network: Network, account: str) -> None:
    entity_id = accounts[network].get(normalise_account(network, account))
    if entity_id is not None:
        entry.extra["by"] = entity_id
