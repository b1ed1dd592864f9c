"""The appointment projection: one appointment event and its state in, figure changes out.

Pure: no I/O (see ``request_figures.projection`` for how it is driven). An appointment
counts in the region and in the family's district and HQ as they were when it was booked
(``district``/``hq`` on the events; older events without them count region-wide only), by
kind of specialist and by specialist:

- ``day:…``/``dec:…``/``month:…|<geo>|-|appt``: ``booked.<kind>``, ``cancelled.<kind>``,
  ``rescheduled.<kind>`` and ``sp.<specialist>.{booked,cancelled,rescheduled}``;
- ``live|<geo>|-|appt``: ``active.<kind>`` and ``sp.<specialist>.active`` (booked and not
  cancelled now), ``titles.<specialist>`` (who it is, in Russian).

A booking counts once per appointment; a rescheduling moves the active appointment to the
new specialist and counts as rescheduled under the new one; a cancellation counts once.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..figures import keys
from ..figures.events import EventFields, already_applied, moment, remember
from ..figures.ops import Changes

State = dict[str, Any]
APPOINTMENT_FIGURES = "appt"
UNKNOWN_KIND = "unknown"


def appointment_key(appointment_id: str) -> str:
    """``_id`` of an appointment's reporting state."""
    return f"appointment:{appointment_id}"


def _ids(period: str, state: State) -> tuple[str, ...]:
    return tuple(
        keys.figure_id(period, geo, keys.ALL_AGENCIES, APPOINTMENT_FIGURES)
        for geo in keys.geos(state.get("d"), state.get("h"))
    )


def _place(state: State, event: EventFields) -> None:
    """Where the appointment counts: the family's district and HQ when it was booked."""
    if "d" not in state:
        state["d"] = event.get("district")
        state["h"] = event.get("hq")


def _count(changes: Changes, when: datetime, zone: ZoneInfo, what: str, state: State) -> None:
    ids = tuple(i for p in keys.periods_of(keys.local_day(when, zone)) for i in _ids(p, state))
    changes.inc_all(ids, f"{what}.{state['k']}")
    changes.inc_all(ids, f"sp.{keys.safe(state['sp'])}.{what}")


def _active(changes: Changes, state: State, n: int) -> None:
    live = _ids(keys.LIVE, state)
    changes.inc_all(live, f"active.{state['k']}", n)
    changes.inc_all(live, f"sp.{keys.safe(state['sp'])}.active", n)


def _title(changes: Changes, state: State, event: EventFields) -> None:
    specialist = keys.safe(str(event["specialist_id"]))
    for live in _ids(keys.LIVE, state):
        changes.put(live, f"titles.{specialist}", str(event["specialist_title"]))


def on_booked(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """An appointment was booked: count it; it is active."""
    if state.get("st"):
        return
    state.update(k=str(event["specialist_kind"]), sp=str(event["specialist_id"]), st="booked")
    _place(state, event)
    _title(changes, state, event)
    _count(changes, moment(event["occurred_at"]), zone, "booked", state)
    _active(changes, state, 1)


def on_cancelled(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """An appointment was cancelled: count it once; it is no longer active."""
    if state.get("st") == "cancelled":
        return
    if state.get("st") == "booked":
        _active(changes, state, -1)
    state.setdefault("k", UNKNOWN_KIND)
    _place(state, event)
    state["sp"] = str(event["specialist_id"])
    state["st"] = "cancelled"
    _count(changes, moment(event["occurred_at"]), zone, "cancelled", state)


def on_rescheduled(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """An appointment moved (maybe to another specialist): the active one moves with it."""
    if state.get("st") == "cancelled":
        return
    if state.get("st") == "booked":
        _active(changes, state, -1)
    state.update(k=str(event["specialist_kind"]), sp=str(event["specialist_id"]), st="booked")
    _place(state, event)
    _title(changes, state, event)
    _count(changes, moment(event["occurred_at"]), zone, "rescheduled", state)
    _active(changes, state, 1)


Projector = Any
PROJECTIONS: dict[str, Projector] = {
    "AppointmentBooked": on_booked,
    "AppointmentCancelled": on_cancelled,
    "AppointmentRescheduled": on_rescheduled,
}
"""Projections of the appointment events, by event type."""


def project_appointment_event(
    state: State | None, event: EventFields, zone: ZoneInfo, changes: Changes | None = None
) -> tuple[State | None, Changes]:
    """Apply one appointment event; return the new state (None: unchanged) and the changes."""
    if changes is None:
        changes = Changes()
    projector = PROJECTIONS.get(str(event["type"]))
    if projector is None or already_applied(state, event):
        return None, changes
    new_state: State = (
        {"_id": appointment_key(str(event["appointment_id"]))} if state is None else dict(state)
    )
    projector(changes, new_state, event, zone)
    remember(new_state, event)
    return new_state, changes
