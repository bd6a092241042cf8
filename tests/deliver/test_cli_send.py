"""``watcher digest send`` delivers what is new once, however often it is run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import update

from watcher.cli import cli
from watcher.store.tables import ItemRow

HOOK = "/hook/T0123/secret-token"


def _found_an_hour_ago(world: Any) -> None:
    """The seeded items, as if this morning's poll had found them."""
    with world.store.session() as session:
        session.execute(
            update(ItemRow).values(first_seen_at=datetime.now(UTC) - timedelta(hours=1))
        )


def test_send_twice_delivers_once_and_deliveries_lists_it(world: Any) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("ok")
    _found_an_hour_ago(world)
    runner = CliRunner()
    config = ["-c", str(world.config.path)]

    first = runner.invoke(cli, [*config, "digest", "send"])
    second = runner.invoke(cli, [*config, "digest", "send", "--digest", "daily"])
    listed = runner.invoke(cli, [*config, "deliveries"])

    assert first.exit_code == 0, first.output
    assert (
        "daily: period ending" in first.output
        and " built — hook: sent, inbox: sent" in first.output
    )
    assert "daily: nothing new since" in second.output and "nothing sent" in second.output
    assert len(world.sink.messages) == 1 and len(world.httpserver.log) == 1
    assert listed.exit_code == 0 and listed.output.count("sent") >= 2


def test_send_exits_non_zero_when_a_channel_failed(world: Any) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("no", status=400)
    _found_an_hour_ago(world)
    result = CliRunner().invoke(cli, ["-c", str(world.config.path), "digest", "send"])

    assert result.exit_code == 1
    assert "hook: given_up, inbox: sent" in result.output
