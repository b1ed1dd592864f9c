"""Reading the figures: a dashboard is a handful of ``_id`` look-ups summed in memory."""

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from patronage_common.store import Database, Document
from patronage_contracts import RecipientRole

from ..appointment_figures.projection import APPOINTMENT_FIGURES
from ..figures import keys
from ..figures.events import moment
from ..figures.histogram import quantile
from ..projection.engine import FIGURES
from ..request_figures import sla
from ..request_figures.overdue import lateness_s
from ..request_figures.projection import FIRST_RESPONSE, RESOLUTION
from .filters import Filters

MAX_CURATORS = 500
MAX_SERIES_DAYS = 93


async def read_figures(db: Database, ids: Iterable[str]) -> dict[str, Document]:
    """The figure documents with these ``_id``s (missing ones are left out), read at once."""
    wanted = list(dict.fromkeys(ids))
    found = await asyncio.gather(*(db[FIGURES].find_one({"_id": i}) for i in wanted))
    return {i: doc for i, doc in zip(wanted, found, strict=True) if doc is not None}


def add_up(
    documents: Iterable[Mapping[str, Any]], minus: Iterable[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """Field-by-field sum of nested counter documents, less the ``minus`` ones (no ``_id``)."""
    total: dict[str, Any] = {}
    for document in documents:
        _add_into(total, document, 1)
    for document in minus:
        _add_into(total, document, -1)
    total.pop("_id", None)
    return total


def _add_into(total: dict[str, Any], document: Mapping[str, Any], sign: int) -> None:
    for field, value in document.items():
        if field == "_id":
            continue
        if isinstance(value, Mapping):
            _add_into(total.setdefault(field, {}), value, sign)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            total[field] = total.get(field, 0) + sign * value


async def read_period(
    db: Database, filters: Filters, category: str, extra_ids: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, Document]]:
    """The figures of the filters' period summed from few documents, and the extra ones.

    Everything (the period's month, decade and day documents and ``extra_ids``) is read
    concurrently by ``_id``.
    """
    cover = keys.cover_range(filters.first, filters.last)
    agency = filters.agency_part
    plus = [keys.figure_id(p, filters.geo, agency, category) for p in cover.periods]
    minus = [keys.figure_id(p, filters.geo, agency, category) for p in cover.minus]
    documents = await read_figures(db, [*extra_ids, *plus, *minus])
    period = add_up(
        (documents[i] for i in plus if i in documents),
        (documents[i] for i in minus if i in documents),
    )
    return period, documents


def _histogram(counts: Mapping[str, int] | None) -> dict[int, int]:
    return {int(bucket): n for bucket, n in (counts or {}).items()}


def duration_summary(counts: Mapping[str, int] | None) -> dict[str, float | int | None]:
    """Count, median and 90th percentile (seconds) of a duration histogram."""
    histogram = _histogram(counts)
    return {
        "count": sum(histogram.values()),
        "median_s": quantile(histogram, 0.5),
        "p90_s": quantile(histogram, 0.9),
    }


def _positive(counts: Mapping[str, int] | None) -> dict[str, int]:
    return {k: v for k, v in (counts or {}).items() if v}


def _satisfaction(counts: Mapping[str, int] | None) -> dict[str, Any]:
    ratings = {int(k): v for k, v in (counts or {}).items() if v > 0}
    total = sum(ratings.values())
    average = sum(r * n for r, n in ratings.items()) / total if total else None
    return {"count": total, "average": average, "by_rating": ratings}


async def requests_dashboard(db: Database, filters: Filters) -> dict[str, Any]:
    """Requests now and in the period: by status, durations, SLA, satisfaction."""
    agency, category = filters.agency_part, filters.category_part
    live_id = keys.figure_id(keys.LIVE, filters.geo, agency, category)
    period, documents = await read_period(db, filters, category, [live_id])
    live = documents.get(live_id, {})
    by_status = _positive(live.get("status"))
    sla_figures = period.get("sla", {})
    return {
        "scope": {"geo": filters.geo, "agency": agency, "category": category},
        "live": {"by_status": by_status, "total": sum(by_status.values())},
        "period": {
            "first": filters.first.isoformat(),
            "last": filters.last.isoformat(),
            "created": period.get("created", 0),
            "entered": _positive(period.get("entered")),
            "first_response": duration_summary(period.get("frt")),
            "resolution": duration_summary(period.get("ttr")),
            "sla": {
                clock: sla.clock_figures(sla_figures.get(clock, {}))
                for clock in (FIRST_RESPONSE, RESOLUTION)
            },
            "satisfaction": _satisfaction(period.get("rating")),
            "escalations": escalation_figures(period.get("esc")),
        },
    }


ESCALATION_LEVELS = (
    RecipientRole.DISTRICT_HEAD.value,
    RecipientRole.HQ_COORDINATOR.value,
    RecipientRole.REGIONAL_COORDINATOR.value,
)


def escalation_figures(counts: Mapping[str, int] | None) -> dict[str, int]:
    """Requests escalated in the period to each level, up the chain (zeros included)."""
    return {level: (counts or {}).get(level, 0) for level in ESCALATION_LEVELS}


async def daily_series(db: Database, filters: Filters) -> list[dict[str, Any]]:
    """Requests created and entering each status, day by day (at most 93 days)."""
    last = min(filters.last, filters.first + timedelta(days=MAX_SERIES_DAYS - 1))
    days = [filters.first + timedelta(days=n) for n in range((last - filters.first).days + 1)]
    ids = [
        keys.figure_id(keys.day_period(d), filters.geo, filters.agency_part, filters.category_part)
        for d in days
    ]
    documents = await read_figures(db, ids)
    return [
        {
            "day": day.isoformat(),
            "created": documents.get(i, {}).get("created", 0),
            "entered": _positive(documents.get(i, {}).get("entered")),
        }
        for day, i in zip(days, ids, strict=True)
    ]


async def families_dashboard(db: Database, filters: Filters) -> dict[str, Any]:
    """Coverage, open needs by category, measures assigned and provided."""
    live_id = keys.figure_id(keys.LIVE, filters.geo, filters.agency_part, keys.FAMILY_FIGURES)
    table_id = keys.coverage_id(filters.geo) if not filters.district else None
    period, documents = await read_period(
        db, filters, keys.FAMILY_FIGURES, [live_id, *([table_id] if table_id else [])]
    )
    live = documents.get(live_id, {})
    needs_open = _positive(live.get("needs_open"))
    if filters.category:
        needs_open = {k: v for k, v in needs_open.items() if k == filters.category.value}
    by_district = (documents.get(table_id, {}) if table_id else {}).get("d", {})
    return {
        "scope": {"geo": filters.geo, "agency": filters.agency_part},
        "coverage": {
            **coverage_figures(live.get("eligible", 0), live.get("connected", 0)),
            "families": live.get("families", 0),
            "eligible_by_category": _positive(live.get("eligible_by")),
            "connected_by_category": _positive(live.get("connected_by")),
            "by_district": {
                district: coverage_figures(f.get("eligible", 0), f.get("connected", 0))
                for district, f in sorted(by_district.items())
            },
        },
        "needs_open": needs_open,
        "measures": {
            code: {"assigned": m.get("assigned", 0), "provided": m.get("provided", 0)}
            for code, m in sorted(live.get("measures", {}).items())
        },
        "period": {
            "registered": period.get("registered", 0),
            "needs_recorded": _positive(period.get("needs_recorded")),
            "needs_closed": _positive(period.get("needs_closed")),
            "measures_assigned": _positive(period.get("measures_assigned")),
            "measures_provided": _positive(period.get("measures_provided")),
        },
    }


def coverage_figures(eligible: int, connected: int) -> dict[str, Any]:
    """Connected against eligible families, with the share in percent (one decimal)."""
    share = round(100 * connected / eligible, 1) if eligible else None
    return {"eligible": eligible, "connected": connected, "connected_percent": share}


async def curator_workload(db: Database, filters: Filters, today: date) -> list[dict[str, Any]]:
    """Each curator of the geo: families, open needs, open requests, overdue plan items."""
    index = await db[FIGURES].find_one({"_id": keys.curator_index_id(filters.geo)})
    curators = sorted((index or {}).get("ids", {}))[:MAX_CURATORS]
    documents = await read_figures(db, (keys.curator_id(c) for c in curators))
    rows = []
    for curator in curators:
        document = documents.get(keys.curator_id(curator), {})
        rows.append(
            {
                "curator_id": curator,
                "families": document.get("families", 0),
                "open_needs": document.get("open_needs", 0),
                "open_requests": document.get("open_requests", 0),
                "overdue_plan_items": overdue_items(document.get("due", {}), today),
            }
        )
    return rows


def overdue_items(due: Mapping[str, int], today: date) -> int:
    """Open plan items whose deadline day is before ``today``."""
    cutoff = today.isoformat()
    return sum(n for day, n in due.items() if day < cutoff and n > 0)


async def overdue_requests(
    db: Database, filters: Filters, now: datetime, *, limit: int = 200
) -> list[dict[str, Any]]:
    """Requests past a deadline now, most overdue first, with how late they are."""
    index = await db[FIGURES].find_one({"_id": keys.overdue_index_id(filters.geo)})
    days = sorted(d for d, n in (index or {}).get("days", {}).items() if n > 0)
    rows: list[dict[str, Any]] = []
    for day in days:
        document = await db[FIGURES].find_one(
            {"_id": keys.overdue_day_id(filters.geo, date.fromisoformat(day))}
        )
        entries = sorted((document or {}).get("r", {}).values(), key=lambda e: e["due_at"])
        for entry in entries:
            if filters.agency and filters.agency.value not in entry.get("agencies", []):
                continue
            if filters.category and entry.get("category") != filters.category.value:
                continue
            rows.append({**entry, "late_s": lateness_s(moment(entry["due_at"]), now)})
            if len(rows) >= limit:
                return rows
    return rows


def today_in(zone: ZoneInfo, now: datetime) -> date:
    """Today's date in the region."""
    return now.astimezone(zone).date()


async def appointments_dashboard(db: Database, filters: Filters) -> dict[str, Any]:
    """Appointments booked, cancelled and rescheduled in the period; active now.

    For the filters' district or HQ (the family's when booked), else region-wide; agency and
    category do not apply to appointments.
    """
    live_id = keys.figure_id(keys.LIVE, filters.geo, keys.ALL_AGENCIES, APPOINTMENT_FIGURES)
    place = replace(filters, agency=None, category=None)
    period, documents = await read_period(db, place, APPOINTMENT_FIGURES, [live_id])
    live = documents.get(live_id, {})
    titles = live.get("titles", {})
    specialists = sorted(set(period.get("sp", {})) | set(live.get("sp", {})))
    return {
        "scope": {"geo": filters.geo},
        "period": {
            what: _positive(period.get(what)) for what in ("booked", "cancelled", "rescheduled")
        },
        "active": _positive(live.get("active")),
        "by_specialist": [
            {
                "specialist_id": specialist,
                "title": titles.get(specialist),
                **{
                    what: period.get("sp", {}).get(specialist, {}).get(what, 0)
                    for what in ("booked", "cancelled", "rescheduled")
                },
                "active": live.get("sp", {}).get(specialist, {}).get("active", 0),
            }
            for specialist in specialists
        ],
    }
