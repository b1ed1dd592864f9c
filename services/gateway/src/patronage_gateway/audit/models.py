"""One audit entry and the search over them."""

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Action(StrEnum):
    """What was done."""

    READ = "read"
    WRITE = "write"
    CREATE = "create"


class Outcome(StrEnum):
    """Whether it was allowed."""

    ALLOWED = "allowed"
    DENIED = "denied"


class AuditEntry(BaseModel):
    """Who did what to which subject, when and why; ``flagged`` marks reads out of scope."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    at: datetime
    actor: str
    role: str
    action: Action
    subject_kind: str = Field(description="passport, request or inbox_task")
    subject_id: str
    what: str = Field(description="Which part: a section, a status, a view")
    reason: str | None = None
    flagged: bool = False
    outcome: Outcome = Outcome.ALLOWED


class AuditQuery(BaseModel):
    """A search of the log: one day, optionally one actor, one subject, only flagged entries."""

    day: date
    actor: str | None = None
    subject_id: str | None = None
    flagged_only: bool = False
