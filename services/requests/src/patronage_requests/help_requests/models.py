"""API models of help requests."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from patronage_contracts import (
    AddressView,
    Agency,
    AgencyTaskStatus,
    ApplicantView,
    Channel,
    ChildView,
    HouseholdView,
    MemberView,
    NeedCategory,
    RequestStatus,
    SlaClock,
    Urgency,
)
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from ..sla.domain import ClockState

Reason = Annotated[str, Field(min_length=3, max_length=2000)]


class Body(BaseModel):
    """Base of every request body: strict about unknown fields, trims text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class HelpRequestCreate(Body):
    """A new help request from any intake channel."""

    family_id: UUID
    category: NeedCategory
    description: str = Field(min_length=3, max_length=4000, description="Суть обращения")
    urgency: Urgency = Urgency.NORMAL
    channel: Channel = Channel.CURATOR
    need_id: UUID | None = Field(default=None, description="Потребность из паспорта")
    plan_item_id: UUID | None = Field(default=None, description="Пункт плана сопровождения")
    member_id: UUID | None = Field(default=None, description="Член семьи, о котором заявка")


class InfoAnswer(Body):
    """The answer to an agency's question."""

    answer: str = Field(min_length=1, max_length=4000, description="Ответ ведомству")
    task_id: UUID | None = Field(
        default=None, description="Задача, на вопрос которой ответ (все ждущие, если не указана)"
    )


class RequestClose(Body):
    """Close a resolved or rejected request."""

    comment: str | None = Field(default=None, max_length=2000)


class RequestReopen(Body):
    """Reopen a resolved or closed request: its tasks go back to the agencies."""

    reason: Reason


class RequestCancel(Body):
    """Cancel an open request: the agencies stop working on it."""

    reason: Reason


class TaskReroute(Body):
    """Hand one agency's task off to another agency."""

    task_id: UUID
    agency: Agency
    reason: Reason


class FeedbackIn(Body):
    """The family's rating of how its request was handled."""

    rating: int = Field(ge=1, le=5, description="Оценка от 1 до 5")
    comment: str | None = Field(default=None, max_length=2000)


class AgencyTaskRead(BaseModel):
    """One agency's part of a request."""

    task_id: UUID
    agency: Agency
    status: str
    note: str | None = None
    question: str | None = None
    handed_off_from: UUID | None = None
    handed_off_to: UUID | None = None
    updated_at: datetime


class FeedbackRead(BaseModel):
    """A rating the family gave."""

    rating: int
    comment: str | None
    given_by: str
    given_at: datetime


class AttentionRead(BaseModel):
    """Why the request needs its curator's attention."""

    reason: str
    requested_at: datetime


class SlaBadgeRead(BaseModel):
    """One SLA clock of a request as a badge shows it (the full view: ``/requests/{id}/sla``)."""

    clock: SlaClock
    clock_label: str = Field(description="Название срока для людей")
    state: ClockState
    state_label: str = Field(description="Состояние срока для людей")
    due_at: datetime
    percent: int = Field(description="Доля использованного времени, %")


class HelpRequestRead(BaseModel):
    """A help request as the API returns it."""

    request_id: UUID
    family_id: UUID
    category: NeedCategory
    description: str
    urgency: Urgency
    channel: Channel
    need_id: UUID | None = None
    plan_item_id: UUID | None = None
    member_id: UUID | None = None
    status: RequestStatus
    version: int
    district: str | None
    hq: str | None = None
    curator_id: str | None
    tasks: list[AgencyTaskRead]
    feedback: list[FeedbackRead] = Field(default_factory=list)
    attention: AttentionRead | None = None
    reopen_count: int = 0
    created_at: datetime
    created_by: str
    updated_at: datetime | None = None
    sla: list[SlaBadgeRead] = Field(
        default_factory=list,
        description="Сроки (SLA) сейчас; пусто, пока часы заявки не запущены",
    )


class RequestLine(BaseModel):
    """A request as a family's list shows it: what it is for, where it stands, when it came."""

    request_id: UUID
    category: NeedCategory
    status: RequestStatus
    created_at: datetime


def _required_text(value: str | None, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise PydanticCustomError("text_required", message)
    return text


class AgencyReportIn(Body):
    """An agency worker's decision on their agency's task; ``report_id`` makes a repeat
    (a double click, a retry) change nothing."""

    report_id: UUID | None = Field(
        default=None, description="Ключ идемпотентности: повтор с тем же ключом ничего не меняет"
    )


class AgencyQuestionIn(AgencyReportIn):
    """The agency needs information from the family or the curator."""

    question: str | None = Field(
        default=None, max_length=4000, validate_default=True, description="Какие сведения нужны"
    )

    @field_validator("question")
    @classmethod
    def _given(cls, value: str | None) -> str:
        return _required_text(value, "Укажите, какие сведения нужны")


class AgencyResultIn(AgencyReportIn):
    """The agency resolved its task."""

    result: str | None = Field(
        default=None, max_length=4000, validate_default=True, description="Что сделано"
    )

    @field_validator("result")
    @classmethod
    def _given(cls, value: str | None) -> str:
        return _required_text(value, "Опишите, что сделано")


class AgencyRejectionIn(AgencyReportIn):
    """The agency rejects its task."""

    reason: str | None = Field(
        default=None, max_length=2000, validate_default=True, description="Причина отказа"
    )

    @field_validator("reason")
    @classmethod
    def _given(cls, value: str | None) -> str:
        return _required_text(value, "Укажите причину отказа")


class AgencyTaskView(BaseModel):
    """One task of the worker's agency, with the statuses it may report next."""

    task_id: UUID
    agency: Agency
    status: str
    note: str | None = None
    question: str | None = None
    next_statuses: list[AgencyTaskStatus] = Field(default_factory=list)
    updated_at: datetime


class AgencyRequestView(BaseModel):
    """A request as an agency worker sees it: their agency's tasks and only the family data
    that agency needs (as in HandleHelpRequest), nothing of the other agencies."""

    request_id: UUID
    category: NeedCategory
    description: str
    urgency: Urgency
    status: RequestStatus
    district: str | None = None
    tasks: list[AgencyTaskView]
    applicant: ApplicantView | None = None
    children: list[ChildView] = Field(default_factory=list)
    member: MemberView | None = None
    address: AddressView | None = None
    household: HouseholdView | None = None
    created_at: datetime
    updated_at: datetime | None = None
