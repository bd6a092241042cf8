"""Commands about digests: ``digest preview``, ``digest send`` and ``deliveries``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from watcher.cli.app import Context, cli, json_option, pass_context, print_json_lines, print_table
from watcher.config import Config, Digest, parse_duration
from watcher.redact import error_text


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


@cli.group()
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
    metavar="DURATION",
    help="Cover this much time back from now (like 7d) instead of since the last digest.",
)
@pass_context
def preview(ctx: Context, digest_id: str | None, out: Path, since: str | None) -> None:
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
        start = now - _duration(since) if since else period_start(session, config, chosen, now)
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
        f"{chosen.id}: {content.item_count} items in {content.new_entries} entries since "
        f"{start.astimezone(config.tz):%Y-%m-%d %H:%M} — wrote {out / 'digest.html'}, "
        f"digest.txt, digest.eml ({len(rendered.html.encode()) // 1024} KB of HTML)"
    )


def _duration(text: str) -> timedelta:
    try:
        duration = parse_duration(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None
    if duration > MAX_LOOKBACK:
        raise click.BadParameter("at most 100 years back (36500d)", param_hint="--since")
    return duration


MAX_LOOKBACK = timedelta(days=36500)


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
            f"{chosen.id}: period ending {slot.astimezone(config.tz):%Y-%m-%d %H:%M} {built}"
            f"{' (nothing new, skipped)' if result.skipped else ''} — {states}"
        )
        failed |= any(s in {"failed", "given_up"} for s in result.deliveries.values())
    if failed:
        raise click.exceptions.Exit(1)


@cli.command()
@json_option
@click.option("--limit", default=30, show_default=True, help="How many deliveries to list.")
@click.option(
    "--enable", "enable", metavar="CHANNEL", help="Re-enable a channel disabled after a 410 Gone."
)
@pass_context
def deliveries(ctx: Context, as_json: bool, limit: int, enable: str | None) -> None:
    """Recent deliveries, newest period first: state, attempts, last error."""
    from watcher.store import digests as queries

    config = ctx.config
    if enable is not None:
        with ctx.store.session() as session:
            enabled = queries.enable_channel(session, enable)
        click.echo(f"channel {enable} " + ("enabled" if enabled else "was not disabled"))
    with ctx.store.session() as session:
        rows = queries.recent_deliveries(session, limit)
        disabled = queries.disabled_channels(session)
    records = [
        {
            "digest": run.digest_id,
            "period_end": run.period_end.astimezone(config.tz).isoformat(timespec="minutes"),
            "channel": d.channel_id,
            "state": d.state,
            "attempts": d.attempts,
            "sent_at": d.sent_at.isoformat(timespec="seconds") if d.sent_at else None,
            "next_attempt_at": _when(d.next_attempt_at) if d.state == "failed" else None,
            "error": error_text(d.last_error) if d.last_error else None,
        }
        for d, run in rows
    ]
    if as_json:
        print_json_lines(records)
        return
    headers = ["digest", "period end", "channel", "state", "attempts", "next try", "error"]
    columns = ("digest", "period_end", "channel", "state", "attempts", "next_attempt_at")
    table = [[*(r[c] for c in columns), str(r["error"] or "")[:80]] for r in records]
    print_table(headers, table, title="Deliveries")
    for channel_id, state in disabled.items():
        since = _when(state.disabled_at)
        click.echo(
            f"channel {channel_id} is disabled since {since}: {state.reason} "
            f"(watcher deliveries --enable {channel_id})"
        )


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None
