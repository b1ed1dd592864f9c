"""SLA compliance figures of one clock (first response or resolution).

The counts come from the request projection: ``stopped`` (the clock stopped in the period),
``late`` (it stopped after a breach), ``warned`` and ``breached`` (SlaWarning/SlaBreached
in the period). Compliance is the share of stopped clocks that were not late.

Until the requests service's SLA events are projected (``SLA_EVENTS_PROJECTED``), nothing
is ever late or breached, and a compliance of 100 % would be invented: the figures are
then reported as unavailable, with the reason.
"""

from collections.abc import Mapping
from typing import Any

SLA_EVENTS_PROJECTED = False
"""Set to True once SlaWarning and SlaBreached are wired into the request projection."""

UNAVAILABLE_REASON = (
    "Сроки (SLA) ещё не передаются в отчёты: события SlaWarning и SlaBreached не подключены"
)


def compliance_percent(stopped: int, late: int) -> float | None:
    """Share of stopped clocks that met their deadline, in percent (one decimal)."""
    if stopped <= 0:
        return None
    return round(100 * (stopped - late) / stopped, 1)


def clock_figures(counts: Mapping[str, int], *, projected: bool | None = None) -> dict[str, Any]:
    """The SLA figures of one clock from its period counts."""
    if not (SLA_EVENTS_PROJECTED if projected is None else projected):
        return {"available": False, "reason": UNAVAILABLE_REASON}
    stopped, late = counts.get("stopped", 0), counts.get("late", 0)
    return {
        "available": True,
        "stopped": stopped,
        "met": stopped - late,
        "late": late,
        "warned": counts.get("warned", 0),
        "breached": counts.get("breached", 0),
        "compliance_percent": compliance_percent(stopped, late),
    }
