"""Working time: the Russian production calendar and arithmetic in business hours.

Everything here is pure. Instants are aware datetimes (any zone, returned in UTC); the
working day is laid out in the region's zone, which for Moscow has no daylight saving.
"""

import datetime as dt
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict

SHORTENED_BY = dt.timedelta(hours=1)
MAX_DAYS_SEARCHED = 3660  # a deadline ten years out means broken data, not a real SLA
HOURS_CACHED = 4096


class CalendarYear(BaseModel):
    """One year of the production calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    non_working: frozenset[dt.date] = frozenset()
    working_weekends: frozenset[dt.date] = frozenset()
    shortened: frozenset[dt.date] = frozenset()


class CalendarFile(BaseModel):
    """The production-calendar data file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    years: dict[int, CalendarYear]


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are worked, and the working hours of each, in the region's zone."""

    zone: ZoneInfo
    day_start: dt.time
    day_end: dt.time
    non_working: frozenset[dt.date] = frozenset()
    working_weekends: frozenset[dt.date] = frozenset()
    shortened: frozenset[dt.date] = frozenset()
    _hours: dict[dt.date, tuple[dt.datetime, dt.datetime] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    """Working hours by day, as computed: every new request's SLA deadlines ask for the
    same few days (zone arithmetic each time was ~1 % of the requests service's CPU)."""

    def __post_init__(self) -> None:
        if self.day_end <= self.day_start:
            raise ValueError("the working day must end after it starts")

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day."""
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.non_working

    def working_hours(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """Start and end (UTC) of the working hours of ``day``, or None on a day off."""
        try:
            return self._hours[day]
        except KeyError:
            pass
        hours = self._working_hours(day)
        if len(self._hours) >= HOURS_CACHED:
            self._hours.clear()
        self._hours[day] = hours
        return hours

    def _working_hours(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        if not self.is_working_day(day):
            return None
        start = dt.datetime.combine(day, self.day_start, self.zone)
        end = dt.datetime.combine(day, self.day_end, self.zone)
        if day in self.shortened:
            end = max(start, end - SHORTENED_BY)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def local_date(self, instant: dt.datetime) -> dt.date:
        """The region's calendar date at ``instant``."""
        return instant.astimezone(self.zone).date()


def _aware(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("instants must carry a time zone")
    return instant.astimezone(dt.UTC)


def add_business_time(
    start: dt.datetime, duration: dt.timedelta, calendar: WorkingCalendar
) -> dt.datetime:
    """The instant when ``duration`` of working time has passed since ``start``.

    A zero duration gives ``start`` itself, even outside working hours; otherwise the
    result lies within (or at the end of) some day's working hours.
    """
    current = _aware(start)
    if duration < dt.timedelta(0):
        raise ValueError("duration must not be negative")
    if duration == dt.timedelta(0):
        return current
    remaining = duration
    day = calendar.local_date(current)
    for _ in range(MAX_DAYS_SEARCHED):
        hours = calendar.working_hours(day)
        if hours is not None and current < hours[1]:
            begin = max(current, hours[0])
            available = hours[1] - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError(f"no working time found within {MAX_DAYS_SEARCHED} days of {start}")


def business_time_between(
    a: dt.datetime, b: dt.datetime, calendar: WorkingCalendar
) -> dt.timedelta:
    """Working time from ``a`` to ``b``; negative if ``b`` comes first."""
    start, end = _aware(a), _aware(b)
    if end < start:
        return -business_time_between(b, a, calendar)
    total = dt.timedelta(0)
    day = calendar.local_date(start)
    last = calendar.local_date(end)
    while day <= last:
        hours = calendar.working_hours(day)
        if hours is not None:
            overlap = min(end, hours[1]) - max(start, hours[0])
            if overlap > dt.timedelta(0):
                total += overlap
        day += dt.timedelta(days=1)
    return total


class TimeScale(Protocol):
    """How a clock counts time: working hours or plain calendar hours."""

    @property
    def business(self) -> bool:
        """Whether this scale counts working hours only."""
        ...

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant ``duration`` after ``start``."""
        ...

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Time counted from ``a`` to ``b``."""
        ...


@dataclass(frozen=True)
class BusinessTime:
    """Working hours of the production calendar (normal requests)."""

    calendar: WorkingCalendar
    business: bool = True

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant ``duration`` of working time after ``start``."""
        return add_business_time(start, duration, self.calendar)

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time from ``a`` to ``b``."""
        return business_time_between(a, b, self.calendar)


@dataclass(frozen=True)
class CalendarTime:
    """Round-the-clock hours (urgent requests)."""

    business: bool = False

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant ``duration`` after ``start``."""
        return _aware(start) + duration

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Time from ``a`` to ``b``."""
        return _aware(b) - _aware(a)


def load_calendar(
    path: Path | None = None,
    *,
    zone: str = "Europe/Moscow",
    day_start: dt.time = dt.time(9),
    day_end: dt.time = dt.time(18),
    shortened_pre_holiday: bool = True,
) -> WorkingCalendar:
    """The working calendar from ``path`` or the packaged production calendar."""
    text = (
        path.read_text("utf-8")
        if path
        else (files(__package__) / "production_calendar.yaml").read_text("utf-8")
    )
    data = CalendarFile.model_validate(yaml.safe_load(text))
    years = data.years.values()
    return WorkingCalendar(
        zone=ZoneInfo(zone),
        day_start=day_start,
        day_end=day_end,
        non_working=frozenset().union(*(y.non_working for y in years)),
        working_weekends=frozenset().union(*(y.working_weekends for y in years)),
        shortened=(
            frozenset().union(*(y.shortened for y in years))
            if shortened_pre_holiday
            else frozenset()
        ),
    )
