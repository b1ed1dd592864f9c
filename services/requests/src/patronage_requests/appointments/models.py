"""API models of specialists, slots and appointments."""

from datetime import date, datetime, time
from enum import StrEnum
from uuid import UUID

from patronage_contracts import SpecialistKind
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AppointmentStatus(StrEnum):
    """Where an appointment stands."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


class SlotStatus(StrEnum):
    """Whether a slot can still be booked."""

    FREE = "free"
    BOOKED = "booked"


class AppointmentCreate(BaseModel):
    """Book a family to a specialist's slot."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    specialist_id: str = Field(min_length=1, description="Специалист")
    starts_at: AwareDatetime = Field(description="Начало слота (с часовым поясом)")
    family_id: UUID
    call_id: UUID | None = Field(default=None, description="Звонок, на котором записали")
    note: str | None = Field(default=None, max_length=2000, description="Комментарий")


class AppointmentCancel(BaseModel):
    """Cancel an appointment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=3, max_length=1000, description="Причина отмены")


class AppointmentReschedule(BaseModel):
    """Move an appointment to another slot (of the same or another specialist)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    starts_at: AwareDatetime = Field(description="Начало нового слота")
    specialist_id: str | None = Field(default=None, description="Другой специалист, если нужен")


class AppointmentRead(BaseModel):
    """An appointment as the API returns it."""

    appointment_id: UUID
    family_id: UUID
    specialist_id: str
    specialist_kind: SpecialistKind
    specialist_title: str
    office_address: str
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    version: int
    note: str | None = None
    call_id: UUID | None = None
    booked_by: str
    booked_at: datetime
    updated_at: datetime
    cancel_reason: str | None = None
    cancelled_by: str | None = None


class WeeklyHoursRead(BaseModel):
    """One weekly reception period."""

    weekday: str = Field(description="пн … вс")
    start: time
    end: time
    slot_minutes: int


class SpecialistRead(BaseModel):
    """A specialist families can be booked to."""

    specialist_id: str
    kind: SpecialistKind
    kind_label: str
    title: str
    office_address: str
    schedule: list[WeeklyHoursRead]
    schedule_label: str = Field(description="«пн 09:00–13:00, ср 14:00–18:00»")


class SlotRead(BaseModel):
    """One slot and whether it is free."""

    starts_at: datetime
    ends_at: datetime
    status: SlotStatus


class SlotsRead(BaseModel):
    """A specialist's future slots over a date range."""

    specialist_id: str
    title: str
    office_address: str
    date_from: date
    date_to: date
    slots: list[SlotRead]
