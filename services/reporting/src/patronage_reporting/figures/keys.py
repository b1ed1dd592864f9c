"""``_id``s of the figure documents: every dashboard read is a handful of ``_id`` look-ups.

A figure document is addressed by ``<period>|<geo>|<agency>|<category>``:

- period: ``live`` (the present state), ``day:2026-11-23`` or ``month:2026-11`` (what
  happened on that calendar day or month in the region's time zone);
- geo: ``region``, ``d:<district>`` or ``hq:<hq>``;
- agency: ``-`` (all agencies) or the agency code;
- category: ``all`` or a need category; ``fam`` for the family figures (passports).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

REGION = "region"
ALL_AGENCIES = "-"
ALL_CATEGORIES = "all"
FAMILY_FIGURES = "fam"
LIVE = "live"


@lru_cache(maxsize=65536)
def safe(value: str) -> str:
    """A value usable as a field name or a key part (no dots, no leading $, no separators)."""
    return value.replace(".", "_").replace("|", "_").lstrip("$") or "_"


def geo_district(district: str) -> str:
    """Geo part of a district."""
    return f"d:{safe(district)}"


def geo_hq(hq: str) -> str:
    """Geo part of a municipal HQ."""
    return f"hq:{safe(hq)}"


def geos(district: str | None, hq: str | None) -> list[str]:
    """Every geo a fact of this district and HQ counts in: the region, the district, the HQ."""
    result = [REGION]
    if district:
        result.append(geo_district(district))
    if hq:
        result.append(geo_hq(hq))
    return result


def figure_id(
    period: str, geo: str, agency: str = ALL_AGENCIES, category: str = ALL_CATEGORIES
) -> str:
    """``_id`` of one figure document."""
    return f"{period}|{geo}|{safe(agency)}|{safe(category)}"


def day_period(day: date) -> str:
    """Period part of a calendar day."""
    return f"day:{day.isoformat()}"


def month_period(day: date) -> str:
    """Period part of the calendar month of ``day``."""
    return f"month:{day.year:04d}-{day.month:02d}"


@lru_cache(maxsize=1024)
def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``moment`` in the region's time zone."""
    return moment.astimezone(zone).date()


@lru_cache(maxsize=4096)
def periods_of(day: date) -> tuple[str, str]:
    """The day and month periods a fact of ``day`` is counted in."""
    return day_period(day), month_period(day)


@dataclass(frozen=True)
class PeriodCover:
    """The day and month periods whose sum is a date range."""

    periods: tuple[str, ...]


def cover_range(first: date, last: date) -> PeriodCover:
    """Whole months inside ``[first, last]`` as month periods, the rest as days."""
    if last < first:
        return PeriodCover(())
    periods: list[str] = []
    day = first
    while day <= last:
        month_start = day.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        if day == month_start and next_month - timedelta(days=1) <= last:
            periods.append(month_period(day))
            day = next_month
        else:
            periods.append(day_period(day))
            day += timedelta(days=1)
    return PeriodCover(tuple(periods))


def curator_id(curator: str) -> str:
    """``_id`` of a curator's workload document."""
    return f"curator:{safe(curator)}"


def curator_index_id(geo: str) -> str:
    """``_id`` of the list of curators working in a geo."""
    return f"curators|{geo}"


def coverage_id(geo: str) -> str:
    """``_id`` of the per-district coverage table of a geo (region or HQ)."""
    return f"coverage|{geo}"


def overdue_index_id(geo: str) -> str:
    """``_id`` of the list of deadline days that have overdue requests in a geo."""
    return f"overdue|{geo}"


def overdue_day_id(geo: str, day: date) -> str:
    """``_id`` of the overdue requests of a geo whose deadline fell on ``day``."""
    return f"overdue|{geo}|{day.isoformat()}"
