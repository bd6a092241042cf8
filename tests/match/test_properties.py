"""Properties over generated text: a name set among any words is found, and its span is it."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.match.conftest import make_item
from watcher.config import Config
from watcher.match import Matcher
from watcher.text import normalise_words

ALIASES = {
    "Sam Altman": "altman",
    "ألتمان": "altman",
    "OpenAI": "openai",
    "أوبن إيه آي": "openai",
    "Jan Leike": "leike",
}
CONFIG = """
people:
  - {id: altman, name: Sam Altman, aliases: [Sam Altman, ألتمان]}
  - {id: leike, name: Jan Leike}
organizations:
  - {id: openai, name: OpenAI, aliases: [OpenAI, أوبن إيه آي]}
"""
words = st.text(
    alphabet=st.sampled_from("abcdefghij samltnopeiجكمنهيوالتبـَ،.,;:!?()«»\"'’-\n"),
    max_size=40,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=words, after=words, alias=st.sampled_from(sorted(ALIASES)), clitic=st.booleans())
def test_a_name_between_any_words_is_found_at_its_span(
    make_config: Callable[[str], Config], before: str, after: str, alias: str, clitic: bool
) -> None:
    matcher = Matcher(make_config(CONFIG))
    written = ("و" + alias) if clitic and alias[0] > "\u0600" else alias
    text = f"{before} {written} {after}"
    mentions = matcher.match(make_item("", text)).mentions
    for mention in mentions:  # every span shows one of the entity's aliases
        assert normalise_words(text[mention.start : mention.end]) == normalise_words(mention.alias)
    start = len(before) + 1 + len(written) - len(alias)
    assert any(
        m.entity_id == ALIASES[alias] and m.start == start and m.end == start + len(alias)
        for m in mentions
    ), (text, mentions)
