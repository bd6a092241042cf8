"""The one clock: ``utcnow()`` is the default wherever a job needs the time.

Jobs take ``now`` (or a ``Clock``) from the top and pass it down, so a test, or the daemon's own
injectable clock, decides what time every stage sees; nothing below the jobs reads the wall
clock by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
