"""The pages: one function each, reading through the store and rendering a template.

Lists are paged: items by keyset (``before`` = the last item of the previous page), deliveries
and digests by ``page`` number; ``limit`` is at most ``MAX_LIMIT`` everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.wrappers import Response

from watcher.config import Story
from watcher.config.query import QuerySyntaxError
from watcher.jobs.rematch import stored_item
from watcher.match.explain import explain
from watcher.match.followups import followup_statuses
from watcher.resources import bundled
from watcher.store.digests import recent_deliveries
from watcher.store.items import ItemView, find_item
from watcher.store.matches import fulfilments
from watcher.store.sources import all_sources, status
from watcher.store.views import (
    Cursor,
    ItemFilter,
    browse_items,
    cursor_at,
    digest_run,
    digest_runs,
    item_sources,
    story_counts,
    views_of,
)
from watcher.web.page import Page
from watcher.web.search import MAX_QUERY, search
from watcher.web.shapes import board, item_line, mention_chart, source_line, timeline

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_PAGE = 10_000
DIGEST_POLICY = (  # a stored digest as it was sent: its inline styles, nothing else, sandboxed
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; sandbox"
)


def home(page: Page) -> Response:
    statuses = followup_statuses(page.config, fulfilments(page.session), page.now)
    counts = story_counts(page.session)
    stories = [
        {"story": story, "count": counts.get(story.id), "board": board(page, story, statuses)}
        for story in page.config.stories
    ]
    failing = sum(status(row).startswith("failing") for row in all_sources(page.session))
    return page.render("home.html.j2", stories=stories, failing=failing)


def story(page: Page, story_id: str) -> Response:
    found = _story(page, story_id)
    filters = _filters(page, story=found.id)
    limit, before = _paging(page)
    views = browse_items(page.session, filters, before=before, limit=limit + 1)
    shown = views[:limit]
    newest = shown[0].row.published_at if shown else page.now
    statuses = followup_statuses(page.config, fulfilments(page.session), page.now)
    older = _older(page, filters, shown[-1].row.id if len(views) > limit else None)
    return page.render(
        "story.html.j2",
        story=found,
        board=board(page, found, statuses),
        filters=filters,
        choices=_choices(page),
        chart=mention_chart(page, filters, newest),
        days=timeline(page, shown),
        older=page.url(page.request.path, **{**older, "story": None}) if older else None,
    )


def items(page: Page) -> Response:
    form: dict[str, Any] = {"values": _values(page), "choices": _choices(page)}
    form["max_query"] = MAX_QUERY
    try:
        results = _results(page)
    except QuerySyntaxError as error:
        problem = {"message": str(error), "column": error.column, "query": page.text("q") or ""}
        return page.render("items.html.j2", status=400, problem=problem, **form)
    return page.render(
        "items.html.j2",
        problem=None,
        lines=[item_line(page, view) for view in results.views],
        examined=results.examined,
        query=results.query,
        older=page.url("/items", **results.older) if results.older else None,
        **form,
    )


def api_items(page: Page) -> Response:
    """The ``watcher items --json`` objects, with the filters and paging of /items."""
    try:
        results = _results(page)
    except QuerySyntaxError as error:
        return page.json({"error": str(error), "column": error.column, "status": 400}, 400)
    older = results.older
    return page.json(
        {
            "items": [view.as_json() for view in results.views],
            "next": page.absolute("/api/items", **older) if older else None,
            "examined": results.examined,
        }
    )


@dataclass(frozen=True, slots=True)
class Results:
    views: list[ItemView]
    older: dict[str, object] | None  # the parameters of the next page
    examined: int | None  # candidates the search read (None: a plain listing)
    query: str | None


def _results(page: Page) -> Results:
    """The items of /items and /api/items: a search when there is ``q``, else a listing."""
    query = page.text("q", limit=MAX_QUERY)
    filters = _filters(page, story=page.choice("story", _story_ids(page), "story"))
    limit, before = _paging(page)
    if query is None:
        views = browse_items(page.session, filters, before=before, limit=limit + 1)
        last = views[limit - 1].row.id if len(views) > limit else None
        return Results(views[:limit], _older(page, filters, last), None, None)
    found = search(
        page.session, page.config, page.matcher, query, filters, before=before, limit=limit
    )
    last = found.resume.item_id if found.resume else None
    older = _older(page, filters, last)
    return Results(
        views_of(page.session, found.rows), older and {**older, "q": query}, found.examined, query
    )


def item(page: Page, item_id: int) -> Response:
    row = find_item(page.session, str(item_id))
    if row is None:
        raise NotFound(f"no item {item_id}")
    explanation = explain(page.matcher, stored_item(row, page.config))
    statuses = {
        (s.story, s.id): s
        for s in followup_statuses(page.config, fulfilments(page.session), page.now)
    }
    view = views_of(page.session, [row])[0]
    return page.render(
        "item.html.j2",
        line=item_line(page, view),
        row=row,
        sources=item_sources(page.session, row.id),
        explanation=explanation,
        statuses=statuses,
    )


def sources(page: Page) -> Response:
    lines = [source_line(row) for row in all_sources(page.session)]
    return page.render("sources.html.j2", sources=lines)


def deliveries(page: Page) -> Response:
    limit, number = _numbered(page)
    rows = recent_deliveries(page.session, limit=limit + 1, offset=(number - 1) * limit)
    return page.render(
        "deliveries.html.j2", deliveries=rows[:limit], **_pager(page, number, len(rows) > limit)
    )


def digests(page: Page) -> Response:
    limit, number = _numbered(page)
    runs = digest_runs(page.session, limit=limit + 1, offset=(number - 1) * limit)
    pager = _pager(page, number, len(runs) > limit)
    return page.render("digests.html.j2", runs=runs[:limit], **pager)


def digest(page: Page, run_id: int) -> Response:
    """The digest's HTML as it was sent, under its own policy: inline styles, no script, a
    sandbox (no same-origin access, no forms, no navigation of this window)."""
    run = digest_run(page.session, run_id)
    if run is None:
        raise NotFound(f"no digest run {run_id}")
    headers = {"Content-Security-Policy": DIGEST_POLICY}
    return Response(run.html, headers=headers, content_type="text/html; charset=utf-8")


def digest_text(page: Page, run_id: int) -> Response:
    run = digest_run(page.session, run_id)
    if run is None:
        raise NotFound(f"no digest run {run_id}")
    return Response(run.text, content_type="text/plain; charset=utf-8")


def stylesheet(page: Page) -> Response:
    override = page.config.resolved_templates_dir
    path = override / "web" / "web.css" if override else None
    css = (path if path and path.is_file() else bundled("templates/web/web.css")).read_bytes()
    headers = {"Cache-Control": "private, max-age=3600"}
    return Response(css, headers=headers, content_type="text/css; charset=utf-8")


# --- parameters ---------------------------------------------------------------------------------


def _story(page: Page, story_id: str) -> Story:
    found = next((s for s in page.config.stories if s.id == story_id), None)
    if found is None:
        raise NotFound(f"no story '{story_id}' in the config")
    return found


def _story_ids(page: Page) -> list[str]:
    return [s.id for s in page.config.stories]


def _filters(page: Page, *, story: str | None) -> ItemFilter:
    entities = [e.id for e in page.config.entities]
    sources = [s.id for s in page.config.sources]
    return ItemFilter(
        story=story,
        entity=page.choice("entity", entities, "entity"),
        language=page.language_tag("language"),
        source=page.choice("source", sources, "source"),
    )


def _filter_params(filters: ItemFilter) -> dict[str, str | None]:
    return {
        "story": filters.story,
        "entity": filters.entity,
        "language": filters.language,
        "source": filters.source,
    }


def _paging(page: Page) -> tuple[int, Cursor | None]:
    limit = page.number("limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT) or DEFAULT_LIMIT
    before_id = page.number("before", default=None, low=1, high=2**62)
    if before_id is None:
        return limit, None
    cursor = cursor_at(page.session, before_id)
    if cursor is None:
        raise BadRequest(f"'before': no item {before_id}")
    return limit, cursor


def _older(page: Page, filters: ItemFilter, last: int | None) -> dict[str, object] | None:
    """The next page's parameters: the same filters and limit, after item ``last``."""
    if last is None:
        return None
    return {**_filter_params(filters), "limit": page.request.args.get("limit"), "before": last}


def _values(page: Page) -> dict[str, str]:
    """What the search form shows as given."""
    names = ("q", "story", "entity", "language", "source")
    return {name: page.request.args.get(name, "") for name in names}


def _choices(page: Page) -> dict[str, list[tuple[str, str]]]:
    """The filter menus: (value, label) pairs from the config."""
    config = page.config
    return {
        "story": [(s.id, s.title) for s in config.stories],
        "entity": [(e.id, e.name) for e in config.entities],
        "language": [(language, language) for language in config.languages],
        "source": [(s.id, s.name or s.id) for s in config.sources],
    }


def _numbered(page: Page) -> tuple[int, int]:
    limit = page.number("limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT) or DEFAULT_LIMIT
    number = page.number("page", default=1, low=1, high=MAX_PAGE) or 1
    return limit, number


def _pager(page: Page, number: int, more: bool) -> dict[str, Any]:
    limit = page.request.args.get("limit")
    path = page.request.path
    return {
        "newer": page.url(path, page=number - 1, limit=limit) if number > 1 else None,
        "older": page.url(path, page=number + 1, limit=limit) if more else None,
    }
