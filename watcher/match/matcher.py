"""The matching stage: one item in, its entities, author, stories and follow-ups out.

``Matcher(config)`` compiles everything once (automaton, handles, queries); ``match(item)``
then reads top to bottom: tokenise each field once → one automaton pass and one handle pass per
field → who wrote it → which hits count → which stories and follow-ups it serves. Follow-ups
anchored on a promise (``after:``) also need the stored promises (``promise_keys`` says which
items those are): the jobs load them from the store and pass them to ``match``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property

from watcher.clock import as_utc
from watcher.config import Config, archive_handle
from watcher.match.anchors import NO_PROMISES, Promises
from watcher.match.entities import Automaton, Hit, entity_targets, phrase_target
from watcher.match.followups import CompiledFollowup, compile_stories, story_partners
from watcher.match.handles import HandleIndex
from watcher.match.query import Evidence, QuerySet
from watcher.match.resolve import Found, FoundKind, Resolution, screen, weigh
from watcher.match.variants import variant_targets
from watcher.model import Field, Item, ItemMatches, Mention
from watcher.text import Tokens, as_plain_text


@dataclass(slots=True)
class Analysis:
    """Everything ``match`` worked out about one item; ``explain`` shows it."""

    item: Item
    fields: dict[Field, Tokens]
    authors: dict[str, Found]  # entity id → the evidence it authored the item, in order
    resolution: Resolution
    evidence: Evidence

    @property
    def mentions(self) -> list[Mention]:
        authored = [hit.mention() for hit in self.authors.values()]
        kept = [hit.mention() for hit in self.resolution.kept if hit.kind != "author"]
        return authored + kept


class Matcher:
    def __init__(self, config: Config) -> None:
        self.stories = compile_stories(config)
        self.partners = story_partners(self.stories)
        # Keyed by position: story i, follow-up j of story i.
        self.story_queries = QuerySet({i: s.query for i, s in enumerate(self.stories)})
        self.followup_queries = QuerySet(
            {
                (i, j): f.query
                for i, s in enumerate(self.stories)
                for j, f in enumerate(s.followups)
                if f.query is not None
            }
        )
        # Follow-ups anchored on a promise (``after:``), and the keys it may be stored under.
        self.anchored: list[CompiledFollowup] = [
            f for s in self.stories for f in s.followups if f.anchor is not None
        ]
        self.promise_keys = frozenset(
            key for f in self.anchored if f.anchor is not None for key in f.anchor.keys
        )
        self.entity_ids = {e.id for e in config.entities}
        self.can_author = {e.id for e in config.entities if e.kind != "topic"}
        self._config = config
        self.handles = HandleIndex({e.id: e.accounts for e in config.entities})
        self.feed_owners = {s.id: s.owner for s in config.sources if s.owner and s.feed}
        self.archive_owners = {
            s.id: (f"@{archive_handle(s.archive or '')}".casefold(), s.owner)
            for s in config.sources
            if s.owner and s.archive
        }

    @cached_property
    def automaton(self) -> Automaton:
        """Built at the first item matched: a poll where every feed answered 304 matches none,
        and the variant spellings' word lists cost a fifth of such a poll's CPU."""
        config = self._config
        phrases = {p.text: p for s in self.stories for q in s.queries() for p in q.phrases()}
        return Automaton(
            [
                *(target for entity in config.entities for target in entity_targets(entity)),
                *variant_targets(config.entities),
                *(phrase_target(p.words, p.text, p.prefix) for p in phrases.values()),
            ]
        )

    def _declared(self, item: Item) -> str | None:
        """The author the source vouches for: ``item.by`` as the pipeline set it, else (for a
        stored item being rematched) the feed's owner, or the archived account's owner for a
        post by that account (its author field is the account's ``@handle``)."""
        if item.by is not None:
            return item.by
        if item.source_id in self.feed_owners:
            return self.feed_owners[item.source_id]
        handle, owner = self.archive_owners.get(item.source_id, ("", None))
        return owner if (item.author or "").casefold() == handle else None

    def match(self, item: Item, promises: Promises = NO_PROMISES) -> ItemMatches:
        """What ``item`` matches; ``promises`` are the stored items among ``promise_keys``."""
        analysis = self.analyse(item)
        published = as_utc(item.published)
        satisfied = self.story_queries.satisfied(analysis.evidence)
        stories = [
            s.id for i, s in enumerate(self.stories) if published >= s.since and i in satisfied
        ]
        followups = self._followups(analysis, published, promises)
        by = next(iter(analysis.authors), None)
        return ItemMatches(analysis.mentions, by, stories, followups)

    def _followups(
        self, analysis: Analysis, published: datetime, promises: Promises
    ) -> list[tuple[str, str]]:
        """The follow-ups the item is a candidate for: none when nobody tracked wrote it."""
        if not analysis.authors:
            return []
        satisfied = self.followup_queries.satisfied(analysis.evidence)
        return [
            (s.id, f.id)
            for i, s in enumerate(self.stories)
            for j, f in enumerate(s.followups)
            if f.candidate(
                analysis.authors,
                published,
                f.query is None or (i, j) in satisfied,
                analysis.item,
                promises,
            )
        ]

    def analyse(self, item: Item) -> Analysis:
        fields = _fields(item)
        found: list[Found] = []
        excludes: list[Found] = []
        evidence = Evidence()
        for name, tokens in fields.items():
            for hit in self.automaton.scan(name, tokens):
                kind = hit.target.kind
                if kind == "phrase":
                    if name != "author":
                        evidence.phrases[hit.target.alias].append((name, hit.first, hit.last + 1))
                else:
                    (excludes if kind == "exclude" else found).append(_found(hit, name, tokens))
            found.extend(self._handles(name, tokens))
        resolution = Resolution()
        candidates = screen(found, excludes, resolution)
        authors = self._authors(item, candidates)
        strong = {hit.entity_id for hit in candidates if hit.kind != "weak"} | set(authors)
        weigh(
            (h for h in candidates if not (h.field == "author" and h.entity_id in authors)),
            strong,
            self.partners,
            resolution,
        )
        for kept in resolution.kept:
            if kept.field != "author":
                evidence.entities[kept.entity_id].append((kept.field, kept.first, kept.last + 1))
        evidence.present = {kept.entity_id for kept in resolution.kept} | set(authors)
        return Analysis(item, fields, authors, resolution, evidence)

    def _handles(self, name: Field, tokens: Tokens) -> list[Found]:
        text = tokens.text
        if not self.handles or not ("@" in text or "/" in text or ".bsky.social" in text):
            return []
        hits = []
        for hit in self.handles.find(text):
            first, last = tokens.covering(hit.start, hit.end)
            hits.append(
                Found(hit.entity_id, hit.handle, name, first, last, hit.start, hit.end, "handle")
            )
        return hits

    def _authors(self, item: Item, candidates: list[Found]) -> dict[str, Found]:
        """Who wrote the item: declared (source owner, archived account), then the author
        field's strong aliases (as configured: not variant spellings) and handles, then a link
        to their own post as the item's URL. Only people and organisations are found this way;
        a source may declare any entity."""
        authors: dict[str, Found] = {}
        declared = self._declared(item)
        if declared in self.entity_ids:
            authors[declared] = Found(
                declared, f"source {item.source_id}", "author", 0, 0, 0, 0, "author"
            )
        for hit in candidates:
            strong = hit.kind != "weak" and not hit.variant  # a name as the author spells it
            if hit.field == "author" and strong and hit.entity_id in self.can_author:
                authors.setdefault(hit.entity_id, hit)
        for link in self.handles.find(item.url or "", links_only=True):
            if link.entity_id in self.can_author:
                authors.setdefault(
                    link.entity_id,
                    Found(link.entity_id, link.handle, "url", 0, 0, link.start, link.end, "author"),
                )
        return {entity_id: replace(hit, kind="author") for entity_id, hit in authors.items()}


def _found(hit: Hit, name: Field, tokens: Tokens) -> Found:
    """A hit as evidence: a variant spelling its guard applies to counts as a weak alias."""
    target = hit.target
    guard = target.guard
    doubt = guard.reason if guard and guard.applies(tokens.text[hit.start : hit.end]) else ""
    kind: FoundKind = "weak" if target.kind == "weak" or doubt else "alias"
    return Found(
        target.entity_id,
        target.alias,
        name,
        hit.first,
        hit.last,
        hit.start,
        hit.end,
        kind,
        target.variant,
        doubt,
    )


def _fields(item: Item) -> dict[Field, Tokens]:
    """The fields to search, as plain text; a summary that only repeats the start of the
    text, or a title made from it, is skipped (its hits are the text's)."""
    summary = item.summary or as_plain_text(item.summary_html or "")
    if summary and item.text.startswith(summary.rstrip(".… ")):
        summary = ""
    texts: dict[Field, str] = {
        "title": "" if item.extra.get("title_from_text") else item.title,
        "summary": summary,
        "content": item.text,
        "author": item.author or "",
    }
    return {name: Tokens(as_plain_text(text)) for name, text in texts.items() if text}
