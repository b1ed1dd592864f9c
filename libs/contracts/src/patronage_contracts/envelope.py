"""The one envelope every message on the bus shares.

Schema evolution rule: within a ``schema_version`` only optional fields may be added;
anything else (a renamed, removed, retyped or newly required field) is a new version,
published as a new model with ``schema_version`` raised. Consumers ignore fields they do
not know, so an additive change never breaks them.
"""

from datetime import UTC, datetime
from typing import ClassVar, TypedDict
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class Causation(TypedDict):
    """Envelope fields a message inherits from the message that caused it."""

    correlation_id: UUID
    causation_id: UUID
    trace_context: dict[str, str]
    family_id: UUID


class Message(BaseModel):
    """Envelope fields shared by commands and events."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)

    kind: ClassVar[str] = "message"

    event_id: UUID = Field(default_factory=uuid4, description="Unique id of this message")
    type: str = Field(description="Message type name, e.g. PassportRegistered")
    schema_version: int = Field(default=1, ge=1, description="Version of this message's schema")
    occurred_at: datetime = Field(default_factory=utc_now, description="When it happened (UTC)")
    correlation_id: UUID = Field(
        default_factory=uuid4, description="Id shared by every message of one business flow"
    )
    causation_id: UUID | None = Field(
        default=None, description="event_id of the message that caused this one"
    )
    producer: str = Field(description="Service or agency system that produced the message")
    trace_context: dict[str, str] = Field(
        default_factory=dict, description="W3C trace context (traceparent, tracestate)"
    )
    family_id: UUID = Field(description="Family the message is about; the Kafka key")

    @field_validator("occurred_at")
    @classmethod
    def _must_be_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone (UTC)")
        return value.astimezone(UTC)

    @property
    def key(self) -> bytes:
        """Kafka key: messages of one family stay in order on one partition."""
        return str(self.family_id).encode()

    def caused(self) -> Causation:
        """Envelope fields for a message caused by this one (same flow, same trace)."""
        return {
            "correlation_id": self.correlation_id,
            "causation_id": self.event_id,
            "trace_context": dict(self.trace_context),
            "family_id": self.family_id,
        }


class Event(Message):
    """Something that happened: named in the past tense."""

    kind: ClassVar[str] = "event"


class Command(Message):
    """Something a consumer is asked to do: named in the imperative."""

    kind: ClassVar[str] = "command"
