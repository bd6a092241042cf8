"""Commands about matching: followups, explain, rematch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from watcher.cli.app import Context, LazyGroup, command, pass_context
from watcher.cli.output import json_option, local_time, plural, print_json_lines

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from watcher.match.explain import Explanation, HitView, Verdict
    from watcher.match.followups import FollowupStatus


@click.group(
    cls=LazyGroup,
    lazy={"suggest": "watcher.cli.suggest:followups_suggest"},
    invoke_without_command=True,
)
@json_option
@click.pass_context
def followups(click_context: click.Context, as_json: bool) -> None:
    """Each follow-up's status: fulfilled (by which item, when), awaiting or overdue."""
    if click_context.invoked_subcommand is None:
        _list_followups(click_context.ensure_object(Context), as_json)


def _list_followups(ctx: Context, as_json: bool) -> None:
    from watcher.match.followups import followup_statuses
    from watcher.store.matches import fulfilments
    from watcher.text import printable

    with ctx.store.session() as session:
        statuses = followup_statuses(ctx.config, fulfilments(session), datetime.now(UTC))
    if as_json:
        print_json_lines(status.as_json() for status in statuses)
        return
    if not statuses:
        click.echo("no follow-ups in the config")
    for status in statuses:
        click.echo(printable(_status_line(status, ctx.config.tz)))


def _status_line(status: FollowupStatus, tz: ZoneInfo) -> str:
    line = f"{status.story}/{status.id}  {status.status.upper():<9}  {status.title}"
    if status.fulfilled_at is not None:
        line += f"\n    by {status.by or '?'} on {local_time(status.fulfilled_at, tz)}: "
        line += status.item_url or f"item {status.item_id}"
    elif status.due is not None:
        line += f"  (due {status.due.isoformat()})"
    return line


@command()
@click.argument("ref", metavar="URL|ID")
@json_option
@pass_context
def explain(ctx: Context, ref: str, as_json: bool) -> None:
    """Why a stored item matched what it matched, under the current config."""
    from watcher.jobs.rematch import stored_item
    from watcher.match import Matcher
    from watcher.match.explain import explain as explain_item
    from watcher.match.followups import followup_statuses
    from watcher.normalise import canonical_url
    from watcher.store.items import find_item
    from watcher.store.matches import fulfilments
    from watcher.store.promises import promise_items
    from watcher.text import printable

    ref = _item_ref(ref)
    config = ctx.config
    with ctx.store.session() as session:
        row = find_item(session, ref) or find_item(session, canonical_url(ref) or ref)
        if row is None:
            raise click.ClickException(f"no stored item has the id, key or URL {ref!r}")
        item_id = row.id
        matcher = Matcher(config)
        promises = promise_items(session, matcher.promise_keys)
        explanation = explain_item(matcher, stored_item(row, config), promises)
        statuses = {
            (s.story, s.id): s
            for s in followup_statuses(config, fulfilments(session), datetime.now(UTC))
        }
    if as_json:
        data = explanation.as_json() | {"id": item_id}
        for verdict in data["followups"]:
            status = statuses[(verdict["story_id"], verdict["followup_id"])]
            verdict["status"] = status.as_json() | {"item_id": status.item_id}
        print_json_lines([data])
        return
    click.echo(printable(_render(explanation, item_id, statuses, config.tz)))


_MAX_ID = 2**63 - 1  # the largest integer SQLite and PostgreSQL store


def _item_ref(ref: str) -> str:
    """``ref`` when it can name an item; a malformed one is a usage error (exit 2): digits
    that are not a plain decimal id in range (``²``, 20 nines), or control characters."""
    if ref.isdigit() and not (ref.isascii() and int(ref) <= _MAX_ID):
        raise click.BadParameter(
            f"{ref!r} is not an item id: ids are whole numbers from 1 to {_MAX_ID}",
            param_hint="URL|ID",
        )
    if not ref.strip() or any(ord(char) < 32 or 127 <= ord(char) < 160 for char in ref):
        raise click.BadParameter(f"{ref!r} is not an item id, key or URL", param_hint="URL|ID")
    return ref


def _render(
    explanation: Explanation,
    item_id: int,
    statuses: dict[tuple[str, str], FollowupStatus],
    tz: ZoneInfo,
) -> str:
    lines = [
        f"item {item_id}: {explanation.title}",
        f"  url: {explanation.url or '-'}",
        f"  published: {local_time(explanation.published, tz)} ({_date_origin(explanation)})",
    ]
    for entity_id, how in explanation.authors or [("-", "no tracked author")]:
        lines.append(f"  by: {entity_id} ({how})")
    lines.append("entity hits:")
    lines += [_hit_line(hit) for hit in explanation.hits] or ["  (none)"]
    lines.append("stories:")
    lines += [_verdict_line(v) for v in explanation.stories] or ["  (none)"]
    lines.append("follow-ups:")
    for verdict in explanation.followups:
        lines.append(_verdict_line(verdict))
        status = statuses[(verdict.story_id, verdict.followup_id or "")]
        lines.append(f"      status: {_fulfilment(status, item_id, tz)}")
    if not explanation.followups:
        lines.append("  (none)")
    return "\n".join(lines)


def _date_origin(explanation: Explanation) -> str:
    if explanation.date_from == "feed":
        return "the feed's date"
    return f"first seen: {explanation.date_note}"


def _hit_line(hit: HitView) -> str:
    mark = {"kept": "✓", "excluded": "✗", "discarded": "✗"}[hit.status]
    line = f"  {mark} {hit.entity_id:<14} {hit.kind:<7} {hit.field:<8} {hit.alias!r}: {hit.snippet}"
    return line + (f"\n      {hit.status}: {hit.note}" if hit.note else "")


def _verdict_line(verdict: Verdict) -> str:
    name = verdict.story_id + (f"/{verdict.followup_id}" if verdict.followup_id else "")
    head = f"  {'✓' if verdict.matched else '✗'} {name} ({verdict.title})"
    return "\n".join([head, *(f"      {reason}" for reason in verdict.reasons)])


def _fulfilment(status: FollowupStatus, item_id: int, tz: ZoneInfo) -> str:
    if status.item_id is None:
        return status.status
    when = local_time(status.fulfilled_at, tz) if status.fulfilled_at else "?"
    if status.item_id == item_id:
        return f"fulfilled by this item ({when})"
    return f"fulfilled by item {status.item_id} ({when}): {status.item_url or ''}".rstrip(": ")


@command("rematch")
@click.option("--story", "story_id", metavar="ID", help="Only this story's matches.")
@pass_context
def rematch_command(ctx: Context, story_id: str | None) -> None:
    """Recompute matches for every stored item from the current config (nothing is fetched)."""
    from watcher.clock import utcnow
    from watcher.jobs.rematch import rematch

    known = [story.id for story in ctx.config.stories]
    if story_id is not None and story_id not in known:
        raise click.BadParameter(
            f"no story '{story_id}' in the config (known: {', '.join(known) or 'none'})",
            param_hint="--story",
        )
    count = rematch(ctx.store, ctx.config, story_id=story_id, now=utcnow())
    scope = f"story {story_id}" if story_id else "all stories"
    click.echo(f"rematched {plural(count, 'item')} ({scope})")
