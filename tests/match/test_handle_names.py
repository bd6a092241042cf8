"""Handles are only looked for in texts holding an account's name: that check never turns away
a text in which the full scan finds a handle."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.match.handles import HandleIndex

ACCOUNTS = {
    "altman": {"x": "sama", "bluesky": "sama.bsky.social", "threads": "Sam_A"},
    "leike": {"x": "janleike", "mastodon": "@janleike@mastodon.social", "github": "jan-l"},
    "solo": {"mastodon": "@solo@example.social"},  # "example.social/@solo" has no "solo@"
    "kelvin": {"instagram": "\u212aelvin"},  # the Kelvin sign casefolds to "k"
    "nobody": {"x": "@"},  # no name at all: never found
}
# Pieces of handles, links and the characters around them that tokenisers and regexes treat
# differently: other cases, marks, non-ASCII letters, apostrophes, separators.
pieces = st.sampled_from(
    [
        "sama", "SAMA", "janleike", "JanLeike", "sam_a", "Sam_A", "jan-l", "kelvin", "Kelvin",
        "@", "/", ".", "-", "_", " ", "'s", "’", "\u0301", "é", "ب", "x.com", "twitter.com/",
        "https://", "www.", "bsky.social", ".bsky.social", "bsky.app/profile/", "github.com/",
        "mastodon.social", "mastodon.social/@", "@mastodon.social", "threads.net/", "solo",
        "example.social/@", "@example.social", "instagram.com/@", "a", "1",
    ]
)  # fmt: skip
texts = st.lists(pieces, max_size=12).map("".join)

INDEX = HandleIndex(ACCOUNTS)


@settings(max_examples=1500)
@given(text=texts, links_only=st.booleans())
def test_finding_handles_in_texts_holding_a_name_finds_what_scanning_every_text_finds(
    text: str, links_only: bool
) -> None:
    assert INDEX.find(text, links_only=links_only) == INDEX._scan(text, links_only)


def test_a_text_without_any_name_is_not_scanned_and_one_with_a_name_is() -> None:
    assert INDEX.find("see https://x.com/someone and @other") == []
    hits = INDEX.find("by @SAMA, x.com/JanLeike and Sam_A")
    assert [(hit.entity_id, hit.handle) for hit in hits] == [
        ("altman", "@SAMA"),
        ("leike", "x.com/JanLeike"),
    ]
