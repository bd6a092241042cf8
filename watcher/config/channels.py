"""Can each delivery channel send from this environment? Checked by ``watcher check`` and
before ``watcher run`` starts (or a reload is taken), so a missing secret is found at once
rather than at 07:00.

``channel_problems(config, environ)`` returns every problem as ``FILE:LINE: message``: a
variable named by ``password_env``, ``secret_env`` or ``url_env`` that is not set, a webhook
secret that is not a Standard Webhooks one, an Apprise URL that Apprise does not accept (or
Apprise not installed). Values are never quoted back: they are secrets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from watcher.config.load import line_of
from watcher.config.models import Channel, Config, Loc


def channel_problems(config: Config, environ: Mapping[str, str]) -> list[str]:
    """Every reason a channel of ``config`` could not send from ``environ``, as FILE:LINE."""
    found = list(_smtp_problems(config, environ))
    for index, channel in enumerate(config.channels):
        found += [(("channels", index, *loc), text) for loc, text in _problems(channel, environ)]
    if not found:
        return []
    path = config.path or Path("config")
    located = sorted((line_of(config.path, loc), text) for loc, text in found)
    return [f"{path}:{line}: {text}" for line, text in located]


def _smtp_problems(config: Config, environ: Mapping[str, str]) -> Iterator[tuple[Loc, str]]:
    smtp = config.smtp
    sends_email = any(channel.kind == "email" for channel in config.channels)
    if (
        smtp is not None
        and smtp.password_env
        and sends_email
        and not environ.get(smtp.password_env)
    ):
        yield ("smtp", "password_env"), _unset(smtp.password_env, "the SMTP password")


def _problems(channel: Channel, environ: Mapping[str, str]) -> Iterator[tuple[Loc, str]]:
    if channel.secret_env:
        secret = environ.get(channel.secret_env)
        if not secret:
            yield ("secret_env",), _unset(channel.secret_env, "the webhook secret")
        elif not usable_webhook_secret(secret):
            yield (
                ("secret_env",),
                (
                    f"the secret in {channel.secret_env} is not a Standard Webhooks secret: "
                    "'whsec_' followed by base64"
                ),
            )
    if channel.url_env and not environ.get(channel.url_env):
        yield ("url_env",), _unset(channel.url_env, f"channel {channel.id}'s Apprise URL")
    url = channel.apprise or (environ.get(channel.url_env) if channel.url_env else None)
    if channel.kind == "apprise" and url:
        problem = apprise_problem(url)
        if problem:
            yield ("apprise" if channel.apprise else "url_env",), problem


def _unset(name: str, what: str) -> str:
    return (
        f"the environment variable {name} ({what}) is not set: export it where watcher runs "
        "(a systemd EnvironmentFile, a container secret), or remove the setting"
    )


def usable_webhook_secret(secret: str) -> bool:
    """Whether the Standard Webhooks library takes ``secret`` (``whsec_`` and base64)."""
    from standardwebhooks import Webhook

    try:
        Webhook(secret)
    except Exception:  # binascii.Error, EmptyWebhookSecretError: the library's own checks
        return False
    return True


def apprise_problem(url: str) -> str | None:
    """Why Apprise would not send to ``url`` (parsed, never contacted), or None."""
    try:
        import apprise
    except ImportError:
        return "apprise channels need Apprise: pip install 'watcher[apprise]'"
    if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
        scheme = url.split("://", 1)[0] if "://" in url else ""
        return (
            f"Apprise does not accept this URL{f' (scheme {scheme}://)' if scheme else ''}: "
            "see the Apprise wiki for the form of each service's URL"
        )
    return None
