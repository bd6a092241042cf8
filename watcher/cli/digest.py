"""Commands about digests: ``digest preview``, ``digest send`` and ``deliveries``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from watcher.cli.app import Context, command, group, pass_context
from watcher.cli.output import (
    Col,
    LocalTimes,
    json_option,
    local_time,
    plural,
    print_json_lines,
    print_table,
)
from watcher.cli.params import SINCE, Since

if TYPE_CHECKING:
    from watcher.config import Config, Digest
    from watcher.store.tables import DeliveryRow, DigestRunRow


def _digests(config: Config, digest_id: str | None) -> list[Digest]:
    if digest_id is None:
        if not config.digests:
            raise click.UsageError("the config has no digests: add one under 'digests'")
        return list(config.digests)
    known = {d.id: d for d in config.digests}
    if digest_id not in known:
        raise click.BadParameter(
            f"unknown digest {digest_id!r} (known: {', '.join(known) or 'none'})",
            param_hint="--digest",
        )
    return [known[digest_id]]


@group()
def digest() -> None:
    """Preview or send the digests."""


@digest.command()
@click.option("--digest", "digest_id", metavar="ID", help="Which digest (default: the first).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Directory for digest.html, digest.txt and digest.eml.",
)
@click.option(
    "--since",
    type=SINCE,
    help="Cover from this date or time, or this much back from now (like 7d), instead of "
    "since the last digest.",
)
@pass_context
def preview(ctx: Context, digest_id: str | None, out: Path, since: Since | None) -> None:
    """Write the digest as it would be sent now, without sending or recording anything."""
    from watcher.deliver.backend import Outgoing
    from watcher.deliver.email import build_message
    from watcher.digest.build import build_digest
    from watcher.digest.render import render_digest
    from watcher.jobs.digest_run import period_start

    config = ctx.config
    chosen = _digests(config, digest_id)[0]
    now = datetime.now(UTC)
    with ctx.store.session() as session:
        start = since.start(config.tz, now) if since else period_start(session, config, chosen, now)
        content = build_digest(session, config, chosen, start, now)
    rendered = render_digest(content, config, chosen)
    channel = next((config.channel(c) for c in chosen.send_to), None)
    out.mkdir(parents=True, exist_ok=True)
    (out / "digest.html").write_text(rendered.html, encoding="utf-8")
    (out / "digest.txt").write_text(rendered.text, encoding="utf-8")
    if channel is not None:
        outgoing = Outgoing(
            0, chosen, channel, start, now, now, rendered.subject, rendered.text, rendered.html
        )
        sender = config.smtp.sender if config.smtp else "watcher@localhost"
        message = build_message(outgoing, sender, list(channel.email or [sender]))
        (out / "digest.eml").write_bytes(message.as_bytes())
    click.echo(
        f"{chosen.id}: {plural(content.item_count, 'item')} in "
        f"{plural(content.new_entries, 'entry', 'entries')} since {local_time(start, config.tz)}"
        f" — wrote {out / 'digest.html'}, digest.txt, digest.eml "
        f"({len(rendered.html.encode()) // 1024} KB of HTML)"
    )


@digest.command()
@click.option("--digest", "digest_id", metavar="ID", help="Only this digest (default: all).")
@pass_context
def send(ctx: Context, digest_id: str | None) -> None:
    """Build and deliver the current period now; running it twice sends nothing twice."""
    from watcher.deliver.outbox import worker_id
    from watcher.digest.period import latest_slot
    from watcher.jobs.digest_run import DigestLocks, run_digest

    config, store = ctx.config, ctx.store
    now = datetime.now(UTC)
    failed, worker, locks = False, worker_id(), DigestLocks()
    for chosen in _digests(config, digest_id):
        slot = latest_slot(chosen, config.tz, now)
        result = run_digest(store, config, chosen.id, slot, now=now, worker=worker, locks=locks)
        states = ", ".join(f"{c}: {s}" for c, s in sorted(result.deliveries.items()))
        built = "built" if result.built else "already built"
        click.echo(
            f"{chosen.id}: period ending {local_time(slot, config.tz)} {built}"
            f"{' (nothing new, skipped)' if result.skipped else ''} — {states}"
        )
        failed |= any(s in {"failed", "given_up"} for s in result.deliveries.values())
    if failed:
        raise click.exceptions.Exit(1)


@command()
@json_option
@click.option("--limit", default=30, show_default=True, help="How many deliveries to list.")
@click.option(
    "--enable", "enable", metavar="CHANNEL", help="Re-enable a channel disabled after a 410 Gone."
)
@pass_context
def deliveries(ctx: Context, as_json: bool, limit: int, enable: str | None) -> None:
    """Recent deliveries, newest period first: state, attempts, last error."""
    from watcher.redact import error_text
    from watcher.store import digests as queries

    config = ctx.config
    if enable is not None:
        with ctx.store.session() as session:
            enabled = queries.enable_channel(session, enable)
        click.echo(f"channel {enable} " + ("enabled" if enabled else "was not disabled"))
    with ctx.store.session() as session:
        rows = queries.recent_deliveries(session, limit)
        disabled = queries.disabled_channels(session)
    if as_json:
        print_json_lines(_delivery_record(d, run) for d, run in rows)
        return
    when = LocalTimes(config.tz, (t for d, run in rows for t in (run.period_end, _next_try(d))))
    columns = [
        Col("digest", "id"),
        Col(when.header("period end")),
        Col("channel", "id"),
        Col("state", "status"),
        Col("attempts", "number"),
        Col(when.header("next try")),
        Col("error", "note"),
    ]
    table = [
        [
            run.digest_id,
            when(run.period_end),
            d.channel_id,
            d.state,
            d.attempts,
            when(_next_try(d)),
            error_text(d.last_error) if d.last_error else "",
        ]
        for d, run in rows
    ]
    print_table(columns, table)
    for channel_id, state in disabled.items():
        click.echo(
            f"channel {channel_id} is disabled since {when(state.disabled_at)}: {state.reason} "
            f"(watcher deliveries --enable {channel_id})"
        )


def _delivery_record(d: DeliveryRow, run: DigestRunRow) -> dict[str, object]:
    from watcher.redact import error_text

    return {
        "digest": run.digest_id,
        "period_end": run.period_end,
        "channel": d.channel_id,
        "state": d.state,
        "attempts": d.attempts,
        "sent_at": d.sent_at,
        "next_attempt_at": _next_try(d),
        "error": error_text(d.last_error) if d.last_error else None,
    }


def _next_try(d: DeliveryRow) -> datetime | None:
    return d.next_attempt_at if d.state == "failed" else None
