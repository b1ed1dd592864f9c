"""API models of the SLA."""

from datetime import datetime
from uuid import UUID

from patronage_contracts import NeedCategory, RequestStatus, SlaClock, Urgency
from pydantic import BaseModel, Field

from .domain import ClockState


class SlaClockRead(BaseModel):
    """One clock of a request, as it stands now."""

    clock: SlaClock
    clock_label: str = Field(description="Название срока для людей")
    due_at: datetime
    budget_s: int = Field(description="Time the clock allows, seconds of its basis")
    elapsed_s: int = Field(description="Time used so far, pauses excluded")
    percent: int
    paused: bool
    state: ClockState
    state_label: str = Field(description="Состояние срока для людей")
    summary: str = Field(description="Например: «6 ч 45 мин из 9 ч рабочего времени»")


class RequestSlaRead(BaseModel):
    """Both SLA clocks of a help request."""

    request_id: UUID
    category: NeedCategory
    urgency: Urgency
    district: str | None
    hq: str | None
    curator_id: str | None
    status: RequestStatus = Field(description="The request's status as the clocks last saw it")
    status_label: str
    business_time: bool
    time_basis_label: str
    clocks: list[SlaClockRead]


class OverdueClockRead(BaseModel):
    """A breached clock of an open request."""

    request_id: UUID
    clock: SlaClock
    clock_label: str
    due_at: datetime
    overdue_s: int
    category: NeedCategory
    urgency: Urgency
    curator_id: str | None
    state_label: str


class DistrictOverdueRead(BaseModel):
    """Everything overdue in a district."""

    district: str
    items: list[OverdueClockRead]
