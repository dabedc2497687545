"""The injected clock: everything asks it for "now", so tests and simulations control time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

SCHOOL_TIME_ZONE = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told; tests and the simulator move it on."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at


def school_today(clock: Clock) -> date:
    """Today's date in the school's time zone (Europe/London, with its clock changes)."""
    return clock.now().astimezone(SCHOOL_TIME_ZONE).date()
