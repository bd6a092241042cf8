"""Why an item matched what it matched: every hit, the ones dropped, and each story's verdict.

Built from the matcher's ``Analysis`` of the item, so it always tells the truth about the
current config. A query is shown with each word, phrase and entity marked ✓ (found) or ✗.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from watcher.clock import DateFrom, as_utc, date_from, iso_utc
from watcher.config.query import And, EntityRef, Near, Node, Not, Or, Phrase
from watcher.match.anchors import NO_PROMISES, Promises
from watcher.match.followups import CompiledFollowup, CompiledStory
from watcher.match.matcher import Analysis, Matcher
from watcher.match.query import Evidence, evaluate, satisfies
from watcher.match.resolve import Found
from watcher.model import Item
from watcher.normalise import date_problem

HitStatus = Literal["kept", "excluded", "discarded"]
SNIPPET_CONTEXT = 40


@dataclass(frozen=True, slots=True)
class HitView:
    entity_id: str
    alias: str
    field: str
    kind: str
    start: int
    end: int
    snippet: str
    status: HitStatus
    note: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """A story's or a follow-up's decision about the item, with the reasons for it."""

    story_id: str
    title: str
    matched: bool
    reasons: list[str]
    followup_id: str | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    key: str
    url: str | None
    title: str
    published: datetime
    authors: list[tuple[str, str]]  # (entity id, how we know)
    hits: list[HitView] = field(default_factory=list)
    stories: list[Verdict] = field(default_factory=list)
    followups: list[Verdict] = field(default_factory=list)
    date_from: DateFrom = "feed"  # as in `watcher items --json`
    date_note: str | None = None  # why the time first seen stands in for the feed's date

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = iso_utc(self.published)
        data["authors"] = [{"entity": e, "how": how} for e, how in self.authors]
        return data


def explain(matcher: Matcher, item: Item, promises: Promises = NO_PROMISES) -> Explanation:
    """Why ``item`` matches what it matches under ``matcher``'s config (``promises``: the
    stored promises anchored follow-ups need, as for ``Matcher.match``)."""
    analysis = matcher.analyse(item)
    published = as_utc(item.published)
    evidence = analysis.evidence
    return Explanation(
        key=item.key,
        url=item.url,
        title=item.title,
        published=item.published,
        authors=[(entity_id, _how(hit)) for entity_id, hit in analysis.authors.items()],
        hits=_hits(analysis),
        stories=[_story(story, published, evidence) for story in matcher.stories],
        followups=[
            _followup(followup, analysis, published, promises)
            for story in matcher.stories
            for followup in story.followups
        ],
        date_from=date_from(item.published_estimated),
        date_note=_date_note(item) if item.published_estimated else None,
    )


def _date_note(item: Item) -> str:
    return date_problem(item.extra) or "the feed gave no date"


def _how(hit: Found) -> str:
    if hit.field == "url":
        return f"the item's URL is their own post ({hit.alias})"
    if hit.start == hit.end:
        return f"declared by {hit.alias} (its owner or archived account)"
    return f"author field names them ({hit.alias!r})"


def _hits(analysis: Analysis) -> list[HitView]:
    resolution = analysis.resolution
    views = [_view(analysis, hit, "kept", _variant_note(hit)) for hit in resolution.kept]
    views += [
        _view(analysis, hit, "excluded", f"inside exclude phrase {blocker.alias!r}")
        for hit, blocker in resolution.excluded
    ]
    views += [
        _view(
            analysis,
            hit,
            "discarded",
            f"{_variant_note(hit) or 'weak alias'}, and no strong alias of {hit.entity_id} or of "
            "an entity sharing a story with it",
        )
        for hit in resolution.discarded
    ]
    return views


def _variant_note(hit: Found) -> str:
    """``variant of 'ألتمان'``, and why it needed a second clue when it did."""
    if not hit.variant:
        return ""
    return f"variant of {hit.alias!r}" + (f" ({hit.doubt})" if hit.doubt else "")


def _view(analysis: Analysis, hit: Found, status: HitStatus, note: str = "") -> HitView:
    tokens = analysis.fields.get(hit.field)
    text = tokens.text if tokens is not None else ""
    return HitView(
        hit.entity_id,
        hit.alias,
        hit.field,
        hit.kind,
        hit.start,
        hit.end,
        snippet(text, hit.start, hit.end),
        status,
        note,
    )


def snippet(text: str, start: int, end: int, context: int = SNIPPET_CONTEXT) -> str:
    """``…words before «the hit» words after…`` on one line."""
    before = text[max(0, start - context) : start]
    after = text[end : end + context]
    line = f"{'…' if start > context else ''}{before}«{text[start:end]}»{after}"
    line += "…" if end + context < len(text) else ""
    return " ".join(line.split())


def _story(story: CompiledStory, published: datetime, evidence: Evidence) -> Verdict:
    matched = evaluate(story.query.root, evidence)
    reasons = [f"query: {annotate(story.query.root, evidence)}"]
    if published < story.since:
        starts = _day(story.since)
        reasons.insert(0, f"published {published:%Y-%m-%d}, before the story starts ({starts})")
        matched = False
    return Verdict(story.id, story.story.title, matched, reasons)


def _followup(
    followup: CompiledFollowup, analysis: Analysis, published: datetime, promises: Promises
) -> Verdict:
    authors = set(analysis.authors)
    by = [entity_id for entity_id in followup.by if entity_id in authors]
    reasons = []
    if by:
        how = "; ".join(f"{entity_id}: {_how(analysis.authors[entity_id])}" for entity_id in by)
        reasons.append(f"✓ by {how}")
    else:
        who = ", ".join(sorted(authors)) or "nobody tracked"
        reasons.append(f"✗ not by {' or '.join(followup.by)} (authored by: {who})")
    since_ok = published >= followup.since
    mark = "✓" if since_ok else "✗"
    reasons.append(f"{mark} published {published:%Y-%m-%d}, since {_day(followup.since)}")
    if followup.query is None:
        query_ok = True
        reasons.append("✓ no match query: anything by them counts")
    else:
        query_ok = satisfies(analysis.evidence, followup.query)
        shown = annotate(followup.query.root, analysis.evidence)
        reasons.append(f"{_mark(query_ok)} match: {shown}")
    anchor = followup.anchored(analysis.item, promises)
    if followup.anchor is not None:
        reasons.append(f"{_mark(anchor.ok)} {anchor.reason}")
    matched = bool(by) and since_ok and query_ok and anchor.ok
    return Verdict(followup.story_id, followup.followup.title, matched, reasons, followup.id)


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def annotate(node: Node, evidence: Evidence) -> str:
    """The query with every leaf marked: ``altman✓ AND (resign✗ OR "stepped down"✓)``."""
    if isinstance(node, Phrase):
        shown = f'"{node.text}"' if " " in node.text.strip() else node.text
        return f"{shown}{_mark(evaluate(node, evidence))}"
    if isinstance(node, EntityRef):
        return f"{node.entity_id}{_mark(evaluate(node, evidence))}"
    if isinstance(node, Not):
        return f"NOT {_grouped(node.operand, evidence)}"
    if isinstance(node, And | Or):
        joiner = " AND " if isinstance(node, And) else " OR "
        return joiner.join(_grouped(operand, evidence) for operand in node.operands)
    assert isinstance(node, Near)
    left, right = _grouped(node.left, evidence), _grouped(node.right, evidence)
    return f"[{left} NEAR/{node.distance} {right}]{_mark(evaluate(node, evidence))}"


def _grouped(node: Node, evidence: Evidence) -> str:
    text = annotate(node, evidence)
    return f"({text})" if isinstance(node, And | Or) else text


def _mark(found: bool) -> str:
    return "✓" if found else "✗"
