"""``_id``s of the figure documents: every dashboard read is a handful of ``_id`` look-ups.

A figure document is addressed by ``<period>|<geo>|<agency>|<category>``:

- period: ``live`` (the present state), ``day:2026-11-23``, ``dec:2026-11-3`` (the decade
  of days 21–30) or ``month:2026-11`` (what happened on that calendar day, decade or month
  in the region's time zone; decades let any date range be read from few documents);
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


def decade_of(day: date) -> int:
    """The decade (1: days 1–10, 2: days 11–20, 3: day 21 to the month's end) of a day."""
    return min((day.day - 1) // 10 + 1, 3)


def decade_period(day: date) -> str:
    """Period part of the decade (десятидневка) of ``day``."""
    return f"dec:{day.year:04d}-{day.month:02d}-{decade_of(day)}"


def year_month(day: date) -> str:
    """``YYYY-MM`` of ``day``: the month of its day, decade and month documents."""
    return f"{day.year:04d}-{day.month:02d}"


def month_period(day: date) -> str:
    """Period part of the calendar month of ``day``."""
    return f"month:{year_month(day)}"


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``moment`` in the region's time zone.

    Not memoized: every event has its own moment, and hashing an aware datetime for a cache
    costs more than the conversion.
    """
    return moment.astimezone(zone).date()


@lru_cache(maxsize=4096)
def periods_of(day: date) -> tuple[str, str, str]:
    """The day, decade and month periods a fact of ``day`` is counted in."""
    return day_period(day), decade_period(day), month_period(day)


@dataclass(frozen=True)
class PeriodCover:
    """The periods whose sum, less the ``minus`` periods, is a date range."""

    periods: tuple[str, ...]
    minus: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.periods) + len(self.minus)


def _month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _decade_bounds(day: date) -> tuple[date, date]:
    decade = decade_of(day)
    first = day.replace(day=10 * (decade - 1) + 1)
    last = first + timedelta(days=9) if decade < 3 else _month_end(day)
    return first, last


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def cover_range(first: date, last: date) -> PeriodCover:
    """Few documents whose sum is the days ``[first, last]``.

    Whole months as month periods, whole decades of the partial months as decade periods,
    and the rest of a partial decade either as its days or as the decade less its other
    days, whichever needs fewer documents. Any range thus needs its whole months plus at
    most 16 documents (a 30-day window: about 10 instead of 30).
    """
    plus: list[str] = []
    minus: list[str] = []
    day = first
    while day <= last:
        month_start, month_last = day.replace(day=1), _month_end(day)
        if day == month_start and month_last <= last:
            plus.append(month_period(day))
            day = month_last + timedelta(days=1)
            continue
        decade_first, decade_last = _decade_bounds(day)
        end = min(decade_last, last)
        if day == decade_first and end == decade_last:
            plus.append(decade_period(day))
        else:
            inside = _days(day, end)
            outside = _days(decade_first, day - timedelta(days=1)) + _days(
                end + timedelta(days=1), decade_last
            )
            if len(inside) <= 1 + len(outside):
                plus.extend(day_period(d) for d in inside)
            else:
                plus.append(decade_period(day))
                minus.extend(day_period(d) for d in outside)
        day = end + timedelta(days=1)
    return PeriodCover(tuple(plus), tuple(minus))


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
