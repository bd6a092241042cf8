"""Redaction: what watcher shows or keeps never carries a URL's credentials or a token."""

from __future__ import annotations

import pytest

from watcher import redact as module
from watcher.redact import redact, register_secrets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fetched https://example.org/feed.xml?page=2 in 0.3s", None),  # untouched
        ("https://a:b@c/?x=1&api_key=zzz", "https://c/?x=1&api_key=***"),
        ("http://user:password@host/feed.xml", "http://host/feed.xml"),
        ("http://user@host/feed.xml", "http://host/feed.xml"),  # a user name is private too
        (
            "source s (https://bob:hunter2@feeds.example/x): HTTP 401",
            "source s (https://feeds.example/x): HTTP 401",
        ),
        ("https://h.example/f?token=abc&page=2", "https://h.example/f?token=***&page=2"),
        ("https://h.example/f?access_token=abc", "https://h.example/f?access_token=***"),
        (
            "https://h.example/f?X-Amz-Signature=abc#top",
            "https://h.example/f?X-Amz-Signature=***#top",
        ),
        ("https://h.example/f?monkey=banana", None),  # only whole secret-looking names
        ("mail bob@example.org about it", None),  # not a URL
        ("postgresql+psycopg://w:pw@db:5432/w", "postgresql+psycopg://db:5432/w"),
        ("", None),
    ],
)
def test_redact(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)


def test_registered_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "_SECRETS", set())
    register_secrets(["s3cr3t-value", "ab", None])  # too short to mask safely: skipped
    assert redact("signed with s3cr3t-value, ab") == "signed with ***, ab"


def test_redacting_twice_changes_nothing() -> None:
    once = redact("https://u:p@h/x?token=t&sig=s")
    assert redact(once) == once


def test_redacting_a_message_twice_keeps_what_follows_a_masked_value() -> None:
    message = redact("source private (https://h/feed.xml?token=t0k3n): HTTP 404 Not Found")
    assert message == "source private (https://h/feed.xml?token=***): HTTP 404 Not Found"
    assert redact(message) == message
