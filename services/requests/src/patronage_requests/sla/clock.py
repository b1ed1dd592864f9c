"""Where the SLA code takes "now" from: the system clock, or one a test moves by hand."""

from datetime import datetime, timedelta
from typing import Protocol

from patronage_contracts import utc_now


class Clock(Protocol):
    """A source of the current time."""

    def now(self) -> datetime:
        """The current instant (UTC)."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """The current instant (UTC)."""
        return utc_now()


class ControlledClock:
    """A clock that stands still until moved: for tests and demonstrations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware start instant")
        self._now = start

    def now(self) -> datetime:
        """The instant the clock was last set to."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta``; returns the new time."""
        if delta < timedelta(0):
            raise ValueError("time does not go back")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        """Move the clock to ``instant`` (not backwards)."""
        if instant < self._now:
            raise ValueError("time does not go back")
        self._now = instant
