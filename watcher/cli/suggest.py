"""``watcher followups suggest`` and ``watcher aliases suggest``: proposals from what is stored,
printed as YAML to paste into the config (``watcher.jobs.suggest`` finds them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from watcher.cli.app import Context, command, group, pass_context
from watcher.cli.params import SINCE, Since

if TYPE_CHECKING:
    from watcher.jobs.suggest import EntitySuggestions, ProposedFollowup


@command("suggest")  # under ``followups`` (watcher.cli.match)
@click.option("--story", "story_id", metavar="ID", help="Propose under this story only.")
@click.option(
    "--since",
    type=SINCE,
    help="Only items published on or after this day (in the config's time zone), or this "
    "long ago, like 30d.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="At most this many items proposed.",
)
@pass_context
def followups_suggest(ctx: Context, story_id: str | None, since: Since | None, limit: int) -> None:
    """Propose follow-ups for the promises in items by watched people and organisations."""
    from watcher.jobs.suggest import propose_followups

    proposals = propose_followups(
        ctx.store,
        ctx.config,
        story_id=story_id,
        since=since.day(ctx.config.tz, datetime.now(UTC)) if since else None,
        limit=limit,
    )
    click.echo(followups_yaml(proposals))


@group()
def aliases() -> None:
    """Spellings of the entities' names."""


@aliases.command("suggest")
@click.option("--entity", "entity_id", metavar="ID", help="Only this entity.")
@pass_context
def aliases_suggest(ctx: Context, entity_id: str | None) -> None:
    """Spellings in stored items that are probably an entity's, to add to its aliases."""
    from watcher.jobs.suggest import suggest_entity_aliases

    found = suggest_entity_aliases(ctx.store, ctx.config, entity_id=entity_id)
    click.echo(aliases_yaml(found, every=entity_id is not None))


def followups_yaml(proposals: list[ProposedFollowup]) -> str:
    """The proposals as YAML, by story: each a follow-up to paste under its ``followups``."""
    from watcher.config.edit import yaml_scalar

    lines = [
        "# Follow-ups for promises in stored items by watched people and organisations, newest",
        "# first. Paste the ones you want under their story's followups, and give each a match.",
    ]
    if not proposals:
        return "\n".join([*lines, "# (no promise found that no follow-up is anchored on yet)"])
    by_story: dict[str, list[ProposedFollowup]] = {}
    for proposal in proposals:
        by_story.setdefault(proposal.story_id, []).append(proposal)
    for story_id, proposed in by_story.items():
        lines.append(f"{yaml_scalar(story_id)}:")
        for proposal in proposed:
            lines += _followup_lines(proposal)
    return "\n".join(lines)


def _followup_lines(proposal: ProposedFollowup) -> Iterator[str]:
    from watcher.config.edit import yaml_quoted, yaml_scalar

    promise = proposal.promise
    horizon = f'"{promise.horizon}"' if promise.horizon else "none stated"
    yield f"  - id: {yaml_scalar(proposal.id)}"
    yield f"    title: {yaml_quoted(proposal.title)}"
    yield _comment(
        f"promise of {proposal.published:%Y-%m-%d %H:%M} UTC: {promise.phrase!r} "
        f"(horizon: {horizon})",
        indent=4,
    )
    yield f"    by: [{yaml_scalar(proposal.by)}]"
    yield f"    after: {yaml_quoted(proposal.after)}"
    yield f"    due: {proposal.due.isoformat()}"


def aliases_yaml(found: list[EntitySuggestions], *, every: bool) -> str:
    """Suggested spellings as YAML, by entity id; entities with none only when ``every``."""
    from watcher.config.edit import yaml_quoted, yaml_scalar

    lines = [
        "# Spellings seen in stored items that are probably these entities', most seen first.",
        "# Add the ones you want to the entity's aliases (a first name: to weak_aliases).",
    ]
    shown = [entry for entry in found if entry.suggestions or every]
    for entry in shown:
        entity = entry.entity
        about = f"{entity.name}; {entry.items} stored items read"
        if not entry.suggestions:
            lines.append(f"{yaml_scalar(entity.id)}: []  {_comment(about + ': nothing new')}")
            continue
        lines.append(f"{yaml_scalar(entity.id)}:  {_comment(about)}")
        for s in entry.suggestions:
            word = "; also a word: it would count only with a second clue" if s.also_a_word else ""
            seen = f"{s.note}; seen {s.count} time{'s' * (s.count != 1)}, e.g. {s.example}{word}"
            lines.append(f"  - {yaml_quoted(s.spelling)}  {_comment(seen)}")
    if not shown:
        lines.append("# (no new spelling seen)")
    return "\n".join(lines)


def _comment(text: str, indent: int = 0) -> str:
    """A YAML comment on one line, whatever the text holds."""
    from watcher.text import one_line, printable

    return " " * indent + "# " + printable(one_line(text))
