"""``watcher digest send`` delivers the current period once, however often it is run."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from watcher.cli import cli

HOOK = "/hook/T0123/secret-token"


def test_send_twice_delivers_once_and_deliveries_lists_it(world: Any) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("ok")
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
    assert "already built — hook: sent, inbox: sent" in second.output
    assert len(world.sink.messages) == 1 and len(world.httpserver.log) == 1
    assert listed.exit_code == 0 and listed.output.count("sent") >= 2


def test_send_exits_non_zero_when_a_channel_failed(world: Any) -> None:
    world.httpserver.expect_request(HOOK).respond_with_data("no", status=400)
    result = CliRunner().invoke(cli, ["-c", str(world.config.path), "digest", "send"])

    assert result.exit_code == 1
    assert "hook: given_up, inbox: sent" in result.output
