"""Figures made readable: durations in days and hours, shares for the bar charts.

Pure functions the dashboard template uses; Russian by default, English on request.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from patronage_contracts import RequestStatus

UNITS = {
    "ru": ("дн", "ч", "мин"),
    "en": ("d", "h", "min"),
}


def duration(seconds: float | int | None, lang: str = "ru") -> str:
    """``3 дн 4 ч``, ``5 ч 20 мин``, ``12 мин``; a dash when there is nothing to show."""
    if seconds is None:
        return "—"
    day_unit, hour_unit, minute_unit = UNITS.get(lang, UNITS["ru"])
    minutes = max(0, round(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} {day_unit} {hours} {hour_unit}" if hours else f"{days} {day_unit}"
    if hours:
        return f"{hours} {hour_unit} {mins} {minute_unit}" if mins else f"{hours} {hour_unit}"
    return f"{mins} {minute_unit}"


def percent(value: float | int | None) -> str:
    """``87,5 %`` (Russian decimal comma); a dash when not computable."""
    if value is None:
        return "—"
    return f"{value:.1f}".replace(".", ",").removesuffix(",0") + " %"


def share(value: int, top: int) -> int:
    """``value`` as a whole percentage of ``top`` (the longest bar), for a bar's width."""
    return round(100 * value / top) if top > 0 else 0


def status_rows(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """One row per status in life-cycle order, with its share of the largest for the bars.

    Filtered by agency, the figures are that agency's tasks: ``sent`` (not yet answered)
    comes right after ``routed``.
    """
    order = [s.value for s in RequestStatus]
    extra = [k for k in counts if k not in order]
    order[2:2] = sorted(extra)
    top = max(counts.values(), default=0)
    return [
        {"status": s, "count": counts.get(s, 0), "percent": share(counts.get(s, 0), top)}
        for s in order
    ]


def daily_rows(days: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Requests created per day, with bar widths."""
    top = max((int(d.get("created", 0)) for d in days), default=0)
    return [
        {
            "day": d["day"],
            "created": int(d.get("created", 0)),
            "percent": share(int(d.get("created", 0)), top),
        }
        for d in days
    ]


def coverage_rows(by_district: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Connected against eligible families per district, with the share as a bar."""
    return [
        {
            "district": district,
            "eligible": figures.get("eligible", 0),
            "connected": figures.get("connected", 0),
            "connected_percent": figures.get("connected_percent"),
            "percent": round(figures.get("connected_percent") or 0),
        }
        for district, figures in sorted(by_district.items())
    ]


def workload_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Curators, busiest first (open requests, then families), with bar widths."""
    ordered = sorted(
        rows, key=lambda r: (-int(r.get("open_requests", 0)), -int(r.get("families", 0)))
    )
    top = max((int(r.get("open_requests", 0)) for r in ordered), default=0)
    return [{**r, "percent": share(int(r.get("open_requests", 0)), top)} for r in ordered]


def appointment_rows(figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Appointments by kind of specialist: booked, cancelled, rescheduled in the period and
    upcoming now, kinds with any figure only, most booked first."""
    period = figures.get("period") or {}
    active = figures.get("active") or {}
    kinds = set(active).union(
        *(period.get(w) or {} for w in ("booked", "cancelled", "rescheduled"))
    )
    rows = [
        {
            "kind": kind,
            **{
                w: (period.get(w) or {}).get(kind, 0)
                for w in ("booked", "cancelled", "rescheduled")
            },
            "active": active.get(kind, 0),
        }
        for kind in kinds
    ]
    return sorted(rows, key=lambda r: (-r["booked"], r["kind"]))
