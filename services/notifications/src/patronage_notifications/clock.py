"""The service's notion of now: injectable so tests can move time (quiet hours, retries)."""

from collections.abc import Callable
from datetime import datetime, timedelta

from patronage_contracts import utc_now

Clock = Callable[[], datetime]
"""Returns the current time, aware, in UTC."""

system_clock: Clock = utc_now


class ManualClock:
    """A clock a test sets and advances by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self.now += delta
