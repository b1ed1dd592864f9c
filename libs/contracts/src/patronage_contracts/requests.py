"""Events published by the requests service on the requests topic."""

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from .enums import Agency, AgencyTaskStatus, Channel, NeedCategory, RequestStatus, Urgency
from .envelope import Event

PRODUCER = "requests"


class AgencyTaskRef(BaseModel):
    """One agency's part of a help request."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    task_id: UUID
    agency: Agency


class RequestCreated(Event):
    """A help request was registered from one of the intake channels."""

    type: Literal["RequestCreated"] = "RequestCreated"
    producer: str = PRODUCER
    request_id: UUID
    category: NeedCategory
    urgency: Urgency
    channel: Channel
    district: str | None = None
    hq: str | None = None
    curator_id: str | None = None
    created_by: str
    description: str | None = Field(default=None, description="What the family asks for")
    need_id: UUID | None = Field(default=None, description="The passport need it answers")
    plan_item_id: UUID | None = Field(default=None, description="The support-plan item it serves")
    member_id: UUID | None = Field(default=None, description="The family member concerned")


class RequestRouted(Event):
    """A help request was split into agency tasks and sent to the agencies' topics."""

    type: Literal["RequestRouted"] = "RequestRouted"
    producer: str = PRODUCER
    request_id: UUID
    tasks: tuple[AgencyTaskRef, ...] = Field(min_length=1)


class RequestStatusChanged(Event):
    """A help request moved to another state of its life cycle."""

    type: Literal["RequestStatusChanged"] = "RequestStatusChanged"
    producer: str = PRODUCER
    request_id: UUID
    version: int = Field(ge=1, description="Request version after the change; orders changes")
    previous_status: RequestStatus
    status: RequestStatus
    category: NeedCategory
    district: str | None = None
    curator_id: str | None = None
    reason: str | None = None
    changed_by: str
    hq: str | None = None
    need_id: UUID | None = None
    plan_item_id: UUID | None = Field(
        default=None, description="The support-plan item the request serves, if any"
    )


class AgencyTaskStatusChanged(Event):
    """An agency's status report was applied to its task."""

    type: Literal["AgencyTaskStatusChanged"] = "AgencyTaskStatusChanged"
    producer: str = PRODUCER
    request_id: UUID
    task_id: UUID
    agency: Agency
    status: AgencyTaskStatus
    note: str | None = None


class AgencyTransitionRefused(Event):
    """An agency reported a status its task cannot move to; nothing was applied."""

    type: Literal["AgencyTransitionRefused"] = "AgencyTransitionRefused"
    producer: str = PRODUCER
    request_id: UUID
    task_id: UUID
    agency: Agency
    current_status: str
    reported_status: AgencyTaskStatus
    reason: str


class CuratorTaskCreated(Event):
    """A proactive rule gave the family's curator a task (e.g. no contact for 30 days).

    Consumers (notifications) alert the curator; the title and description are for people.
    """

    type: Literal["CuratorTaskCreated"] = "CuratorTaskCreated"
    producer: str = PRODUCER
    task_id: UUID
    rule_code: str = Field(description="Code of the proactive rule that created the task")
    title: str = Field(description="What to do, in Russian")
    description: str = Field(description="Why, in Russian; no personal data")
    curator_id: str | None = Field(default=None, description="None: the family has no curator")
    district: str | None = None
    hq: str | None = None
    created_by: str = Field(description="rule:<code>")


class AgencyTaskReassigned(Event):
    """A task was handed off to another agency; the request keeps its id."""

    type: Literal["AgencyTaskReassigned"] = "AgencyTaskReassigned"
    producer: str = PRODUCER
    request_id: UUID
    task_id: UUID = Field(description="The task taken from the previous agency")
    agency: Agency = Field(description="The previous agency")
    new_task_id: UUID
    new_agency: Agency
    reason: str
    reassigned_by: str


class RequestInfoProvided(Event):
    """The family (through the curator) answered an agency's question; the task resumes."""

    type: Literal["RequestInfoProvided"] = "RequestInfoProvided"
    producer: str = PRODUCER
    request_id: UUID
    task_id: UUID
    agency: Agency
    question: str | None = None
    answer: str
    provided_by: str


class FeedbackReceived(Event):
    """The family rated how its resolved request was handled."""

    type: Literal["FeedbackReceived"] = "FeedbackReceived"
    producer: str = PRODUCER
    request_id: UUID
    rating: int = Field(ge=1, le=5)
    comment: str | None = None
    category: NeedCategory | None = None
    curator_id: str | None = None
    district: str | None = None
    given_by: str


class CuratorAttentionRequested(Event):
    """A request needs its curator's attention (e.g. the family rated it low)."""

    type: Literal["CuratorAttentionRequested"] = "CuratorAttentionRequested"
    producer: str = PRODUCER
    request_id: UUID
    curator_id: str | None = None
    district: str | None = None
    reason: str = Field(description="Why, in Russian, for the curator")
    rating: int | None = Field(default=None, ge=1, le=5)


REQUEST_EVENTS: tuple[type[Event], ...] = (
    RequestCreated,
    RequestRouted,
    RequestStatusChanged,
    AgencyTaskStatusChanged,
    AgencyTransitionRefused,
    CuratorTaskCreated,
    AgencyTaskReassigned,
    RequestInfoProvided,
    FeedbackReceived,
    CuratorAttentionRequested,
)
