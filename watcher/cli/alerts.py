"""Commands about alerts: ``alerts test``."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from watcher.cli.app import Context, group, pass_context


@group()
def alerts() -> None:
    """Instant alerts."""


@alerts.command("test")
@click.argument("alert_id", metavar="ID")
@pass_context
def test(ctx: Context, alert_id: str) -> None:
    """Send a sample of alert ID to each of its channels now (nothing is recorded)."""
    from watcher.jobs.alerts import send_test

    config = ctx.config
    known = [alert.id for alert in config.alerts]
    if alert_id not in known:
        raise click.BadParameter(
            f"unknown alert {alert_id!r} (known: {', '.join(known) or 'none'})", param_hint="ID"
        )
    results = send_test(config, alert_id, now=datetime.now(UTC))
    for channel_id, result in results.items():
        outcome = "sent" if result.ok else f"failed: {result.error}"
        click.echo(f"alert {alert_id} to {channel_id}: {outcome}")
    if not all(result.ok for result in results.values()):
        raise click.exceptions.Exit(1)
