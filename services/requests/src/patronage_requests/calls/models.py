"""API models of the dispatcher's calls."""

from datetime import date, datetime
from uuid import UUID

from patronage_contracts import CallOutcome, NeedCategory, Urgency
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class CallRequestData(BaseModel):
    """The help request a call ends with."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: NeedCategory
    description: str = Field(min_length=3, max_length=4000, description="Суть обращения")
    urgency: Urgency = Urgency.NORMAL


class CallAppointmentData(BaseModel):
    """The appointment a call ends with."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    specialist_id: str = Field(min_length=1)
    starts_at: AwareDatetime
    note: str | None = Field(default=None, max_length=2000)


class CallCreate(BaseModel):
    """A call the dispatcher took: who called, about what, and what came of it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    caller_phone: str | None = Field(default=None, max_length=40, description="Телефон звонящего")
    caller_name: str | None = Field(default=None, max_length=200, description="Как представился")
    family_id: UUID | None = Field(default=None, description="Семья, если нашли")
    subject: str = Field(min_length=3, max_length=300, description="Тема звонка")
    category: NeedCategory | None = None
    notes: str | None = Field(default=None, max_length=4000, description="Что посоветовали")
    outcome: CallOutcome
    request: CallRequestData | None = None
    appointment: CallAppointmentData | None = None


class CallRead(BaseModel):
    """A registered call."""

    call_id: UUID
    received_at: datetime
    day: date
    dispatcher_id: str
    caller_phone: str | None
    caller_name: str | None
    family_id: UUID | None
    subject: str
    category: NeedCategory | None
    notes: str | None
    outcome: CallOutcome
    outcome_label: str
    request_id: UUID | None
    appointment_id: UUID | None


class CallLogRead(BaseModel):
    """The calls of one day, in the order they came."""

    day: date
    items: list[CallRead]


class FamilyMatch(BaseModel):
    """A family the passport service found for the caller."""

    family_id: UUID
    applicant_full_name: str
    phone: str | None = None
    district: str
    curator_id: str | None = None
    categories: list[str] = []
    open_needs: list[str] = []


class FamilyLookupRead(BaseModel):
    """Families matching the caller's phone or name."""

    items: list[FamilyMatch]
    total: int
