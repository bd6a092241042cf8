"""What the templates show, shaped from the store's rows and the config: follow-up boards, item
lines, a story's days and its mentions per day, source lines. Plain data; no HTML here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from watcher.clock import date_from
from watcher.config import Config, Story
from watcher.match.followups import FollowupStatus, day_start
from watcher.store.items import ItemView
from watcher.store.sources import SourceRow, status
from watcher.store.views import ItemFilter, mentions_since
from watcher.web.page import Page
from watcher.web.render import direction, safe_url

CHART_DAYS = 14
CHART_ENTITIES = 6
BAR_STEPS = 10  # bar widths are CSS classes w0…w10 (no inline style under the CSP)


def entity_name(config: Config, entity_id: str) -> str:
    return next((e.name for e in config.entities if e.id == entity_id), entity_id)


def story_title(config: Config, story_id: str) -> str:
    return next((s.title for s in config.stories if s.id == story_id), story_id)


def source_name(config: Config, source_id: str) -> str:
    """A source's ``name`` when the config gives one, else its id."""
    return next((s.name for s in config.sources if s.id == source_id and s.name), source_id)


def followup_title(config: Config, followup_id: str) -> str:
    titles = (f.title for s in config.stories for f in s.followups if f.id == followup_id)
    return next(titles, followup_id)


# --- follow-up boards ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardLine:
    """One follow-up: arrived (by which item, when), awaited (for how long) or overdue."""

    id: str
    title: str
    status: str
    by: list[str]
    waiting_days: int = 0
    due: date | None = None
    fulfilled_at: datetime | None = None
    item_id: int | None = None
    item_url: str | None = None
    item_title: str | None = None


def board(page: Page, story: Story, statuses: list[FollowupStatus]) -> list[BoardLine]:
    """Overdue first, then awaited (longest wait first), then arrived (latest first)."""
    today = page.now.astimezone(page.tz).date()
    followups = {followup.id: followup for followup in story.followups}
    lines = []
    for state in statuses:
        followup = followups.get(state.id) if state.story == story.id else None
        if followup is None:
            continue
        authors = [state.by] if state.by else followup.by
        lines.append(
            BoardLine(
                id=state.id,
                title=state.title,
                status=state.status,
                by=[entity_name(page.config, author) for author in authors],
                waiting_days=max(0, (today - (followup.since or story.since)).days),
                due=state.due,
                fulfilled_at=state.fulfilled_at,
                item_id=state.item_id,
                item_url=safe_url(state.item_url),
                item_title=state.item_title,
            )
        )
    return sorted(lines, key=_board_order)


def _board_order(line: BoardLine) -> tuple[int, float]:
    if line.fulfilled_at is not None:
        return 2, -line.fulfilled_at.timestamp()
    return (0 if line.status == "overdue" else 1), -line.waiting_days


# --- items --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemLine:
    id: int
    title: str
    url: str | None
    source: str
    author: str | None
    published: datetime
    date_from: str  # as in `watcher items --json`
    lang: str
    dir: str
    by: str | None
    entities: list[tuple[str, str]]  # (id, name)
    stories: list[tuple[str, str]]  # (id, title)
    followups: list[str]  # titles of the follow-ups it fulfils or may fulfil


def item_line(page: Page, view: ItemView) -> ItemLine:
    row, config = view.row, page.config
    lang = (row.language or "").split("-")[0]
    return ItemLine(
        id=row.id,
        title=row.title,
        url=safe_url(row.url),
        source=source_name(config, row.source_id),
        author=row.author,
        published=row.published_at,
        date_from=date_from(row.published_estimated),
        lang=lang,
        dir=direction(row.title or row.summary, row.language),
        by=entity_name(config, row.by) if row.by else None,
        entities=[(e, entity_name(config, e)) for e in view.entities],
        stories=[(s, story_title(config, s)) for s in view.stories],
        followups=[followup_title(config, f) for f in view.followups],
    )


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    lines: list[ItemLine]


def timeline(page: Page, views: list[ItemView]) -> list[Day]:
    """The page's items grouped by their day in the config's time zone, newest day first."""
    days: dict[date, list[ItemLine]] = defaultdict(list)
    for view in views:
        days[view.row.published_at.astimezone(page.tz).date()].append(item_line(page, view))
    return [Day(day, lines) for day, lines in days.items()]


# --- the mention chart ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    count: int
    width: int  # 0…BAR_STEPS


@dataclass(frozen=True, slots=True)
class ChartRow:
    day: date
    cells: list[Cell]


@dataclass(frozen=True, slots=True)
class Chart:
    entities: list[tuple[str, str]]  # (id, name), the most mentioned first
    rows: list[ChartRow] = field(default_factory=list)


def mention_chart(page: Page, filters: ItemFilter, newest: datetime) -> Chart | None:
    """How many items mentioned each of the top entities, per day, for the ``CHART_DAYS`` days
    ending on the day of ``newest``; None when no item mentions anyone then."""
    last = newest.astimezone(page.tz).date()
    first = last - timedelta(days=CHART_DAYS - 1)
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for published, entity_id in mentions_since(page.session, filters, day_start(first, page.tz)):
        day = published.astimezone(page.tz).date()
        if day <= last:
            per_day[day][entity_id] += 1
    totals = sum(per_day.values(), Counter())
    if not totals:
        return None
    top = [entity_id for entity_id, _ in totals.most_common(CHART_ENTITIES)]
    highest = max(per_day[day][e] for day in per_day for e in top)
    rows = []
    for offset in range(CHART_DAYS):
        day = last - timedelta(days=offset)
        counts = [per_day[day][entity_id] for entity_id in top]
        rows.append(ChartRow(day, [Cell(n, _width(n, highest)) for n in counts]))
    return Chart([(e, entity_name(page.config, e)) for e in top], rows)


def _width(count: int, highest: int) -> int:
    return 0 if count == 0 else max(1, round(BAR_STEPS * count / highest))


# --- sources ------------------------------------------------------------------------------------


def source_line(row: SourceRow) -> dict[str, object]:
    """What ``watcher sources --json`` shows of a source, with a link only for http(s)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "url": row.url,
        "link": safe_url(row.url),
        "status": status(row),
        "failing": bool(row.consecutive_failures) and row.removed_at is None,
        "failures": row.consecutive_failures,
        "last_success": row.last_success_at,
        "last_error": row.last_error,
        "last_error_at": row.last_error_at,
        "failing_since": row.failing_since,
        "next_poll": row.next_poll_at,
        "warning": row.warning,
        "item_count": row.items_total,
    }
