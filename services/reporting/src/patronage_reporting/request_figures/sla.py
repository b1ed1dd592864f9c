"""SLA compliance figures of one clock (first response or resolution).

The counts come from the request projection: ``stopped`` (the clock stopped in the period),
``late`` (it stopped after a breach), ``warned`` and ``breached`` (SlaWarning/SlaBreached
in the period). Compliance is the share of stopped clocks that were not late.
"""

from collections.abc import Mapping
from typing import Any


def compliance_percent(stopped: int, late: int) -> float | None:
    """Share of stopped clocks that met their deadline, in percent (one decimal)."""
    if stopped <= 0:
        return None
    return round(100 * (stopped - late) / stopped, 1)


def clock_figures(counts: Mapping[str, int]) -> dict[str, Any]:
    """The SLA figures of one clock from its period counts."""
    stopped, late = counts.get("stopped", 0), counts.get("late", 0)
    return {
        "stopped": stopped,
        "met": stopped - late,
        "late": late,
        "warned": counts.get("warned", 0),
        "breached": counts.get("breached", 0),
        "compliance_percent": compliance_percent(stopped, late),
    }
