"""The agency protocol: what an agency receives on its request topic and publishes back.

Each agency gets only the fields it needs (152-FZ purpose limitation): the request topic
carries a minimal view of the family, never the whole passport.
"""

from datetime import date
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .enums import Agency, AgencyTaskStatus, NeedCategory, Urgency
from .envelope import Command, Event


class ApplicantView(BaseModel):
    """Who to contact about the request."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    full_name: str
    phone: str | None = None


class ChildView(BaseModel):
    """A child as the education agency sees it: name, birth date, school."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    full_name: str
    birth_date: date
    school: str | None = None
    grade: str | None = None
    kindergarten: str | None = None


class HandleHelpRequest(Command):
    """Handle this part of a help request (sent on ``agency.<agency>.requests``)."""

    type: Literal["HandleHelpRequest"] = "HandleHelpRequest"
    producer: str = "requests"
    request_id: UUID
    task_id: UUID
    agency: Agency
    category: NeedCategory
    urgency: Urgency
    description: str
    district: str | None = None
    applicant: ApplicantView | None = None
    children: tuple[ChildView, ...] = Field(default=(), description="Only for the education agency")


class AgencyTaskStatusReported(Event):
    """An agency reports progress on its task (published on ``agency.<agency>.status``)."""

    type: Literal["AgencyTaskStatusReported"] = "AgencyTaskStatusReported"
    request_id: UUID
    task_id: UUID
    agency: Agency
    status: AgencyTaskStatus
    question: str | None = Field(default=None, description="Required for needs_info")
    result: str | None = Field(default=None, description="What was done; required for resolved")
    reason: str | None = Field(default=None, description="Required for rejected")
    reported_by: str | None = None

    @model_validator(mode="after")
    def _status_needs_its_text(self) -> Self:
        required = {
            AgencyTaskStatus.NEEDS_INFO: ("question", self.question),
            AgencyTaskStatus.RESOLVED: ("result", self.result),
            AgencyTaskStatus.REJECTED: ("reason", self.reason),
        }.get(self.status)
        if required is not None and not (required[1] or "").strip():
            raise ValueError(f"status {self.status.value} requires a non-empty {required[0]}")
        return self
