"""The SLA's reference data and clock, loaded once per process."""

from datetime import time
from functools import lru_cache
from pathlib import Path

from fastapi import Request

from ..settings import RequestsSettings
from .clock import Clock, SystemClock
from .policy import SlaPolicy, load_policy
from .working_time import BusinessTime, CalendarTime, TimeScale, WorkingCalendar, load_calendar

CLOCK_STATE_KEY = "sla_clock"


@lru_cache
def _policy(path: Path | None) -> SlaPolicy:
    return load_policy(path)


@lru_cache
def _calendar(
    path: Path | None, zone: str, day_start: time, day_end: time, shortened: bool
) -> WorkingCalendar:
    return load_calendar(
        path, zone=zone, day_start=day_start, day_end=day_end, shortened_pre_holiday=shortened
    )


def get_policy(settings: RequestsSettings) -> SlaPolicy:
    """The SLA table the settings name."""
    return _policy(settings.sla_policy_file)


def get_calendar(settings: RequestsSettings) -> WorkingCalendar:
    """The working calendar the settings describe."""
    return _calendar(
        settings.sla_calendar_file,
        settings.sla_time_zone,
        settings.sla_workday_start,
        settings.sla_workday_end,
        settings.sla_shortened_pre_holiday,
    )


def scale_for(*, business_time: bool, settings: RequestsSettings) -> TimeScale:
    """Working hours for normal requests, round-the-clock hours for urgent ones."""
    return BusinessTime(get_calendar(settings)) if business_time else CalendarTime()


async def get_clock(request: Request) -> Clock:
    """The clock of the app serving this HTTP request."""
    clock: Clock = getattr(request.app.state, CLOCK_STATE_KEY, None) or SystemClock()
    return clock
