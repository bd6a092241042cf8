"""A scheduled job that meets an unreachable database logs one line and waits for its next run."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from watcher.schedule.daemon import _outage_tolerant


def test_a_database_outage_is_one_warning_not_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    def poll_tick() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    with caplog.at_level(logging.WARNING, logger="watcher"):
        assert _outage_tolerant(poll_tick)() is None
    (record,) = caplog.records
    assert record.getMessage() == (
        "poll_tick: the database is unavailable (connection refused); trying again at the next run"
    )
    assert record.exc_info is None


def test_other_errors_still_reach_the_scheduler() -> None:
    def housekeeping_tick() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        _outage_tolerant(housekeeping_tick)()
