"""Which projection an event goes to, and applying it live under a per-entity lock."""

import json
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from patronage_common.locks import locked
from patronage_common.store import Database

from ..appointment_figures.projection import PROJECTIONS as APPOINTMENT_PROJECTIONS
from ..appointment_figures.projection import appointment_key, project_appointment_event
from ..family_figures.projection import PROJECTIONS as FAMILY_PROJECTIONS
from ..family_figures.projection import family_key, project_family_event
from ..figures.events import EventFields
from ..figures.ops import Changes, write_changes
from ..request_figures.projection import PROJECTIONS as REQUEST_PROJECTIONS
from ..request_figures.projection import project_request_event, request_key

STATES = "states"
"""Per-entity reporting states (``request:<id>``, ``family:<id>``, ``appointment:<id>``)."""
FIGURES = "figures"
"""Every figure document (counters, histograms, lists), addressed by ``_id``."""

State = dict[str, Any]
Projector = Callable[
    [State | None, EventFields, ZoneInfo, Changes | None], tuple[State | None, Changes]
]
"""Apply an event to a state; the changes go into the given ``Changes`` (or a new one)."""


def state_document(state: State) -> dict[str, Any]:
    """How an entity's state is stored: its ``_id`` and the state as one JSON string.

    Nothing queries inside a state (it is only read and replaced by ``_id``), and one string
    field costs the store a fraction of what a nested document does to write and read, which
    is what bounds the replay.
    """
    return {"_id": state["_id"], "s": json.dumps(state, separators=(",", ":"))}


def state_of(document: Mapping[str, Any] | None) -> State | None:
    """The state stored in a ``state_document`` (None if there is none)."""
    if document is None:
        return None
    loaded: State = json.loads(document["s"])
    return loaded


def route(event: EventFields) -> tuple[str, Projector] | None:
    """The state key and projection of an event; None if reporting does not project it."""
    kind = str(event.get("type", ""))
    if kind in REQUEST_PROJECTIONS:
        return request_key(str(event["request_id"])), project_request_event
    if kind in FAMILY_PROJECTIONS:
        return family_key(str(event["family_id"])), project_family_event
    if kind in APPOINTMENT_PROJECTIONS:
        return appointment_key(str(event["appointment_id"])), project_appointment_event
    return None


PROJECTED_TYPES: tuple[str, ...] = (
    *REQUEST_PROJECTIONS,
    *FAMILY_PROJECTIONS,
    *APPOINTMENT_PROJECTIONS,
)


async def apply_live(*, db: Database, event: EventFields, zone: ZoneInfo) -> None:
    """Project one event: read the entity's state, write its new state and the figures.

    The state is written first: a redelivery then finds the event applied and changes
    nothing. A crash between the two writes loses that event's increments (never counts
    them twice); a replay restores them.
    """
    routed = route(event)
    if routed is None:
        return
    key, project = routed
    async with locked(db, key):
        state = state_of(await db[STATES].find_one({"_id": key}))
        new_state, changes = project(state, event, zone, None)
        if new_state is None:
            return
        await db[STATES].replace_one({"_id": key}, state_document(new_state), upsert=True)
        await write_changes(db[FIGURES], changes)
