"""Reading the plain fields of an event as it travels on the bus (its JSON form)."""

from datetime import datetime
from typing import Any

EventFields = dict[str, Any]
"""An event's JSON body: what the replay reads from Kafka and a live handler dumps."""

RECENT_EVENTS = 16
"""How many applied event ids an entity's state remembers, to ignore a redelivery."""


def moment(value: Any) -> datetime:
    """A timestamp field as an aware datetime."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def already_applied(state: dict[str, Any] | None, event: EventFields) -> bool:
    """Whether this entity state has applied the event (a redelivery)."""
    return state is not None and str(event["event_id"]) in state.get("ev", ())


def remember(state: dict[str, Any], event: EventFields) -> None:
    """Record the event as applied to the state (only the last few are kept)."""
    recent = [*state.get("ev", ()), str(event["event_id"])]
    state["ev"] = recent[-RECENT_EVENTS:]
