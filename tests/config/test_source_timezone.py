"""A source's ``timezone``: where its dates written without a zone are read; checked like the
config's own."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from watcher.config import parse_config
from watcher.errors import ConfigError

CONFIG = """\
timezone: Asia/Riyadh
sources:
  - {id: masrawy, feed: "https://masrawy.example.org/rss", timezone: Africa/Cairo}
  - id: annahar
    feed: "https://annahar.example.org/rss"
    timezone: Asia/Beirut
  - {id: wire, feed: "https://wire.example.org/rss"}
"""


def test_a_source_reads_local_times_in_its_zone_else_the_configs():
    config = parse_config(CONFIG, Path("watch.yaml"))
    zones = {source.id: config.source_zone(source) for source in config.sources}
    assert zones == {
        "masrawy": ZoneInfo("Africa/Cairo"),
        "annahar": ZoneInfo("Asia/Beirut"),
        "wire": ZoneInfo("Asia/Riyadh"),
    }


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (
            "Africa/Kairo",
            "watch.yaml:6: unknown time zone 'Africa/Kairo': did you mean 'Africa/Cairo'?",
        ),
        (
            "Mars/Olympus",
            "watch.yaml:6: unknown time zone 'Mars/Olympus': use an IANA name like Asia/Riyadh",
        ),
        (
            "../../etc/passwd",
            "watch.yaml:6: unknown time zone '../../etc/passwd': use an IANA name like Asia/Riyadh",
        ),
    ],
)
def test_an_unknown_source_zone_is_reported_at_its_line(wrong, message):
    with pytest.raises(ConfigError) as raised:
        parse_config(CONFIG.replace("Asia/Beirut", wrong), Path("watch.yaml"))
    assert str(raised.value).splitlines() == [message]


def test_every_wrong_zone_is_reported_at_once():
    text = CONFIG.replace("Asia/Riyadh", "Asia/Riad").replace("Africa/Cairo", "Cairo")
    with pytest.raises(ConfigError) as raised:
        parse_config(text, Path("watch.yaml"))
    lines = str(raised.value).splitlines()
    assert [line.split(":")[1] for line in lines] == ["1", "3"]
    assert all("unknown time zone" in line for line in lines)
