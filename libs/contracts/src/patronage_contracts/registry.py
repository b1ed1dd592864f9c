"""Every message type by name, for parsing mixed topics and exporting JSON Schemas."""

from typing import Any

from pydantic_core import from_json

from .agencies import AGENCY_COMMANDS, AgencyTaskStatusReported
from .appointments import APPOINTMENT_EVENTS
from .envelope import Message
from .intake import INTAKE_COMMANDS
from .notifications import IN_APP_EVENTS, NOTIFICATION_EVENTS
from .passport import PASSPORT_EVENTS
from .requests import REQUEST_EVENTS
from .sla import SLA_EVENTS

ALL_MESSAGES: tuple[type[Message], ...] = (
    *PASSPORT_EVENTS,
    *REQUEST_EVENTS,
    *SLA_EVENTS,
    *APPOINTMENT_EVENTS,
    *NOTIFICATION_EVENTS,
    *IN_APP_EVENTS,
    *AGENCY_COMMANDS,
    AgencyTaskStatusReported,
    *INTAKE_COMMANDS,
)

_BY_TYPE: dict[str, type[Message]] = {
    model.model_fields["type"].default: model for model in ALL_MESSAGES
}


def message_type(name: str) -> type[Message]:
    """Model class of the message type called ``name``."""
    try:
        return _BY_TYPE[name]
    except KeyError as exc:
        raise LookupError(f"unknown message type {name!r}") from exc


def parse_message(raw: bytes | str | dict[str, Any]) -> Message:
    """Parse a message of any known type; raises ``ValueError`` (pydantic's too) otherwise."""
    data = raw if isinstance(raw, dict) else from_json(raw)
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ValueError("a message must be a JSON object with a string field 'type'")
    try:
        model = message_type(data["type"])
    except LookupError as exc:
        raise ValueError(str(exc)) from exc
    return model.model_validate(data)
