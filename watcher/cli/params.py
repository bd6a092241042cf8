"""Option types shared by commands: ``--since DATE|DURATION`` and durations like ``15s``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

import click

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

MAX_LOOKBACK = timedelta(days=36500)


class Since(NamedTuple):
    """A ``--since`` as given: a moment (a date or a time, in the config's zone unless it
    names its own offset) or a duration back from now."""

    moment: datetime | None = None
    ago: timedelta | None = None

    def start(self, tz: ZoneInfo, now: datetime) -> datetime:
        """The moment, aware and in UTC."""
        if self.ago is not None:
            return now - self.ago
        assert self.moment is not None
        moment = self.moment if self.moment.tzinfo else self.moment.replace(tzinfo=tz)
        return moment.astimezone(UTC)

    def day(self, tz: ZoneInfo, now: datetime) -> date:
        """The day it falls on, in ``tz``."""
        return self.start(tz, now).astimezone(tz).date()


def parse_duration_text(text: str) -> timedelta:
    """``15s``, ``30m``, ``2h``, ``7d``, ``1w`` → timedelta; ValueError with a hint otherwise."""
    from watcher.config.models import parse_duration

    return parse_duration(text)


class SinceType(click.ParamType):
    """``2024-05-18``, ``2024-05-18T10:00`` (``Z`` or ``+03:00`` allowed) or ``7d``."""

    name = "DATE|DURATION"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return self.name

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Since:
        if isinstance(value, Since):
            return value
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            pass
        else:
            return Since(moment=moment)
        try:
            ago = parse_duration_text(text)
        except ValueError:
            self.fail(
                f"{text!r} is neither a date (2024-05-18, 2024-05-18T10:00) nor a duration "
                "(7d, 12h, 30m)",
                param,
                ctx,
            )
        if ago > MAX_LOOKBACK:
            self.fail("at most 100 years back (36500d)", param, ctx)
        return Since(ago=ago)


class DurationType(click.ParamType):
    """A positive duration: ``15s``, ``15m``, ``2h``."""

    name = "DURATION"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            duration = parse_duration_text(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)
        if duration <= timedelta(0):
            self.fail(f"{value!r} must be longer than zero", param, ctx)
        return duration


SINCE = SinceType()
DURATION = DurationType()
