"""The agency protocol: what an agency receives on its request topic and publishes back.

Each agency gets only the fields it needs (152-FZ purpose limitation): the request topic
carries a minimal view of the family, never the whole passport.
"""

from datetime import date
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .enums import Agency, AgencyTaskStatus, BeneficiaryCategory, NeedCategory, Urgency
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


class MemberView(BaseModel):
    """The family member a request concerns, as the health agency sees them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    full_name: str
    birth_date: date
    has_disability: bool = Field(default=False, description="Whether a disability is recorded")


class AddressView(BaseModel):
    """Where the family lives, for agencies that come to the home (housing)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    locality: str
    street: str | None = None
    house: str | None = None
    apartment: str | None = None


class HouseholdView(BaseModel):
    """The household in figures, for social protection (benefits depend on them)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    categories: tuple[BeneficiaryCategory, ...] = ()
    members_count: int = Field(ge=0)
    children_count: int = Field(ge=0)


FamilyViewField = Literal["applicant", "children", "member", "address", "household"]

AGENCY_VIEWS: dict[Agency, frozenset[FamilyViewField]] = {
    Agency.EDUCATION: frozenset({"applicant", "children"}),
    Agency.HEALTH: frozenset({"applicant", "member"}),
    Agency.EMPLOYMENT: frozenset({"applicant"}),
    Agency.SOCIAL_PROTECTION: frozenset({"applicant", "household"}),
    Agency.HOUSING: frozenset({"applicant", "address"}),
    Agency.PSYCHOLOGICAL_HELP: frozenset({"applicant"}),
}
"""Which parts of the family each agency receives in HandleHelpRequest (152-FZ: the
minimum it needs). No agency receives the serviceman's data. A family that did not consent
to sharing with agencies is sent with none of them."""


class AgencyCommand(Command):
    """A command to one agency about its task, sent on ``agency.<agency>.requests``."""

    producer: str = "requests"
    request_id: UUID
    task_id: UUID
    agency: Agency


class HandleHelpRequest(AgencyCommand):
    """Handle this part of a help request (sent on ``agency.<agency>.requests``).

    The family fields are set only as ``AGENCY_VIEWS`` allows for the agency.
    """

    type: Literal["HandleHelpRequest"] = "HandleHelpRequest"
    category: NeedCategory
    urgency: Urgency
    description: str
    district: str | None = None
    applicant: ApplicantView | None = None
    children: tuple[ChildView, ...] = Field(default=(), description="Only for the education agency")
    member: MemberView | None = Field(default=None, description="Only for the health agency")
    address: AddressView | None = Field(default=None, description="Only for the housing agency")
    household: HouseholdView | None = Field(
        default=None, description="Only for the social protection agency"
    )
    handed_off_from: Agency | None = Field(
        default=None, description="Set when another agency's task was handed off to this one"
    )


class ProvideRequestInfo(AgencyCommand):
    """The answer to the agency's question: the task was waiting for it and resumes."""

    type: Literal["ProvideRequestInfo"] = "ProvideRequestInfo"
    question: str | None = None
    answer: str
    provided_by: str


class CancelHelpRequest(AgencyCommand):
    """Stop working on the task: the request was cancelled or handed off to another agency."""

    type: Literal["CancelHelpRequest"] = "CancelHelpRequest"
    reason: str
    cancelled_by: str


class ReopenHelpRequest(AgencyCommand):
    """The family reopened the request: the task (same ``task_id``) is the agency's again.

    The agency reports ``accepted`` (or another status) on it as for a new task.
    """

    type: Literal["ReopenHelpRequest"] = "ReopenHelpRequest"
    reason: str
    reopened_by: str


AGENCY_COMMANDS: tuple[type[AgencyCommand], ...] = (
    HandleHelpRequest,
    ProvideRequestInfo,
    CancelHelpRequest,
    ReopenHelpRequest,
)


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
