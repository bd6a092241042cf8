"""Which backend delivers on a channel: email (SMTP) or a webhook."""

from __future__ import annotations

from watcher.config import Channel, Config
from watcher.deliver.backend import Backend
from watcher.deliver.email import EmailBackend
from watcher.deliver.webhook import WebhookBackend


def backend_for(channel: Channel, config: Config) -> Backend:
    """The backend that delivers on ``channel``."""
    if channel.kind == "email":
        if config.smtp is None:  # the config check refuses this; kept for library callers
            raise ValueError(f"channel {channel.id} sends email but the config has no smtp")
        return EmailBackend(channel, config.smtp)
    return WebhookBackend(channel)
