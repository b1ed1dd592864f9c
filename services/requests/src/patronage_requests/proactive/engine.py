"""The rules in force and the clock they run by."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .rules import RuleBook

Clock = Callable[[], date]
"""Today's date; tests pass their own to move time."""


def zone_clock(zone: ZoneInfo) -> Clock:
    """Today in the region's time zone."""
    return lambda: datetime.now(zone).date()


@dataclass(frozen=True)
class ProactiveEngine:
    """Rules, clock and time zone of the proactive work of one service process."""

    rules: RuleBook
    zone: ZoneInfo
    clock: Clock

    def today(self) -> date:
        """Today, by the engine's clock."""
        return self.clock()

    def day_of(self, moment: datetime) -> date:
        """The region's calendar day of a moment."""
        return moment.astimezone(self.zone).date()
