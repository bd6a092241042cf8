"""Follow-ups anchored to their promise (``after: URL``): what may answer a promise.

A follow-up with ``after`` names the item that made the promise ("i'll have a longer post in
the next couple of days"). The answer is something its author says *later*, so an item is no
candidate for the follow-up when it:

- is the promise itself: its key, URL or X status id is the promise's (any form of the URL:
  ``twitter.com/…``, ``mobile.twitter.com/…?s=20``, a Nitter mirror's ``RT by`` copy);
- quotes it: its title, text or links carry the promise's URL (host and path, when the path is
  more than ``/``) or its X status id (a quote post, "more on this: https://x.com/…/status/…");
- repeats it, once the promise is stored: its text is the promise's word for word, or it is a
  repost ("RT @sama: …", an archived retweet) whose words, cut short or not, are the promise's;
- was published before the promise, or at the same moment, once the promise is stored.

Until the promise is stored its publication time and text are unknown, and only ``since`` (with
the first two rules) applies; when it arrives, the jobs re-evaluate the follow-up's candidates
(``watcher.jobs.poll.ingest``), so an answer published before the promise is dropped then.
Everything here is pure: the jobs hand the stored promises in (``Promises``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from watcher.clock import as_utc
from watcher.model import Item, PromiseItem, status_ref
from watcher.normalise import canonical_url
from watcher.text import normalise_words

Promises = Mapping[str, PromiseItem]  # stored promises by item key
NO_PROMISES: Promises = {}
MIN_COPY_WORDS = 5  # a shorter promise is not recognised by its words alone


@dataclass(frozen=True, slots=True)
class AnchorVerdict:
    """Whether an item may answer an anchored follow-up, and why (``explain`` shows it)."""

    ok: bool
    reason: str


UNANCHORED = AnchorVerdict(True, "")


@dataclass(frozen=True, slots=True)
class Anchor:
    """A follow-up's promise as configured: its URL, canonical form and X status id."""

    url: str
    canonical: str
    status_id: str | None

    @classmethod
    def parse(cls, url: str) -> Anchor:
        ref = status_ref(url)
        return cls(url, canonical_url(url) or url, ref.status_id if ref else None)

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys a stored copy of the promise may have: ``x:<status id>`` for an X post
        (archives and mirrors key posts so), its canonical URL, and the URL as written (for a
        feed that keys by its link)."""
        status = (f"x:{self.status_id}",) if self.status_id is not None else ()
        return tuple(dict.fromkeys((*status, self.canonical, self.url)))

    def verdict(self, item: Item, promises: Promises) -> AnchorVerdict:
        """Whether ``item`` may answer the promise, by the rules in the module docstring."""
        if self.is_promise(item):
            return AnchorVerdict(False, "the promise itself")
        promise = next((promises[key] for key in self.keys if key in promises), None)
        if promise is not None and repeats(item, promise):
            return AnchorVerdict(False, "a repost of the promise")
        quoted = self.quoted_by(item)
        if quoted:
            return AnchorVerdict(False, f"quotes the promise ({quoted})")
        if promise is None:
            return AnchorVerdict(True, f"the promise ({self.url}) is not stored yet: only since")
        published, promised = as_utc(item.published), as_utc(promise.published)
        when = _moment(promised)
        if published < promised:
            return AnchorVerdict(False, f"published before the promise ({when})")
        if published == promised:
            return AnchorVerdict(False, f"published at the same moment as the promise ({when})")
        return AnchorVerdict(True, f"after the promise of {when}")

    def is_promise(self, item: Item) -> bool:
        if item.key in self.keys:
            return True
        if self.status_id is not None:
            ref = status_ref(item.url or "")
            ids = {item.extra.get("status_id"), ref.status_id if ref else None}
            return self.status_id in ids
        return canonical_url(item.url) == self.canonical

    def quoted_by(self, item: Item) -> str:
        """How ``item`` carries the promise (``its URL``, ``its status id``), or ""."""
        haystack = "\n".join((item.title, item.text, item.summary, item.summary_html))
        if self.status_id is not None:
            if re.search(rf"/status(?:es)?/{self.status_id}(?!\d)", haystack):
                return "its URL"
            if re.search(rf"(?<!\d){self.status_id}(?!\d)", haystack):
                return f"its status id {self.status_id}"
            return ""
        needle = _bare(self.canonical)
        if "/" in needle.rstrip("/") and needle.rstrip("/") in haystack.casefold():
            return "its URL"
        return ""


def repeats(item: Item, promise: PromiseItem) -> bool:
    """Whether ``item`` says the promise over again: the same words, or a repost's (``RT
    @sama: …``, or flagged as a repost by its archive or mirror) whose words begin the
    promise's, the last one perhaps cut short."""
    reposted = bool(item.extra.get("repost") or item.extra.get("reposted_by"))
    reposted = reposted or item.text.lstrip()[:3].casefold() == "rt "  # "RT @handle: …"
    if not reposted and not len(promise.text) / 2 <= len(item.text) <= 2 * len(promise.text):
        return False  # not the same words (the common case: spared normalising the text)
    promised = _promise_words(promise.text)
    words = normalise_words(item.text)
    if len(promised) < MIN_COPY_WORDS or not words:
        return False
    if words[0] == "rt" and item.text.lstrip()[:3].casefold() == "rt ":
        words = words[2:]
    if words == promised:
        return True
    if not reposted or len(words) < MIN_COPY_WORDS or len(words) > len(promised):
        return False
    *whole, last = words
    return promised[: len(whole)] == tuple(whole) and promised[len(whole)].startswith(last)


@lru_cache(maxsize=64)
def _promise_words(text: str) -> tuple[str, ...]:
    return normalise_words(text)


def _bare(url: str) -> str:
    """``https://www.Blog.example/post/`` → ``blog.example/post/``: how a text carries a URL."""
    return re.sub(r"^[a-z][a-z0-9+.-]*://(?:www\.)?", "", url.casefold())


def _moment(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"
