"""The live list of requests past a deadline (an SLA clock breached and still running).

Entries are grouped by geo and by the calendar day of the deadline: ``overdue|<geo>|<day>``
holds one small entry per request and clock, ``overdue|<geo>`` counts the entries of each
day. The list is read oldest day first, so the most overdue requests come without a scan,
and how late each one is is computed when it is read.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..figures import keys
from ..figures.ops import Changes

State = dict[str, Any]


def _entry_field(state: State, clock: str) -> str:
    return f"r.{keys.safe(_request_id(state))}_{clock}"


def _request_id(state: State) -> str:
    return str(state["_id"]).removeprefix("request:")


def enter(changes: Changes, state: State, clock: str, due_at: datetime, zone: ZoneInfo) -> None:
    """The request's ``clock`` is past ``due_at``: list it."""
    listed = state.setdefault("od", {})
    if clock in listed:
        return
    day = keys.local_day(due_at, zone)
    listed[clock] = day.isoformat()
    entry = {
        "request_id": _request_id(state),
        "family_id": state.get("fam"),
        "clock": clock,
        "due_at": due_at.isoformat(),
        "category": state.get("cat"),
        "urgency": state.get("urg"),
        "district": state.get("d"),
        "hq": state.get("hq"),
        "curator_id": state.get("cur"),
        "agencies": sorted({t["a"] for t in state.get("tasks", {}).values()}),
    }
    for geo in keys.geos(state.get("d"), state.get("hq")):
        changes.put(keys.overdue_day_id(geo, day), _entry_field(state, clock), entry)
        changes.inc(keys.overdue_index_id(geo), f"days.{day.isoformat()}")


def leave(changes: Changes, state: State, clock: str) -> None:
    """The request's ``clock`` stopped: take it off the list."""
    listed = state.get("od", {})
    day_text = listed.pop(clock, None)
    if day_text is None:
        return
    day = datetime.fromisoformat(day_text).date()
    for geo in keys.geos(state.get("d"), state.get("hq")):
        changes.remove(keys.overdue_day_id(geo, day), _entry_field(state, clock))
        changes.inc(keys.overdue_index_id(geo), f"days.{day.isoformat()}", -1)


def leave_all(changes: Changes, state: State) -> None:
    """The request is no longer open: take all its clocks off the list."""
    for clock in list(state.get("od", {})):
        leave(changes, state, clock)


def lateness_s(due_at: datetime, now: datetime) -> float:
    """How late a request is now, in seconds."""
    return max((now - due_at).total_seconds(), 0.0)
