"""Events of the dispatcher line (129) and of appointments with specialists.

Published by the requests service on the ``appointments.events`` topic, keyed by family.
A call from someone who is not (yet) a known family carries ``ANONYMOUS_FAMILY_ID`` as its
``family_id`` (and ``family_known=False``); appointments always belong to a family.
Times are UTC; a consumer shows them in the region's time zone.
"""

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from .enums import NeedCategory
from .envelope import Event

PRODUCER = "requests"

ANONYMOUS_FAMILY_ID = UUID(int=0)
"""``family_id`` of a call whose caller is not linked to a family."""


class CallOutcome(StrEnum):
    """What a dispatcher's call ended with."""

    CONSULTATION = "consultation"
    REQUEST_CREATED = "request_created"
    APPOINTMENT_BOOKED = "appointment_booked"


class SpecialistKind(StrEnum):
    """Who a family can book an in-person appointment with."""

    PSYCHOLOGIST = "psychologist"
    LAWYER = "lawyer"
    SOCIAL_WORKER = "social_worker"
    CAREER_COUNSELLOR = "career_counsellor"
    MEDICAL_DOCTOR = "medical_doctor"


SPECIALIST_KIND_RU: dict[SpecialistKind, str] = {
    SpecialistKind.PSYCHOLOGIST: "психолог",
    SpecialistKind.LAWYER: "юрист",
    SpecialistKind.SOCIAL_WORKER: "специалист по социальной работе",
    SpecialistKind.CAREER_COUNSELLOR: "консультант центра занятости",
    SpecialistKind.MEDICAL_DOCTOR: "врач",
}

CALL_OUTCOME_RU: dict[CallOutcome, str] = {
    CallOutcome.CONSULTATION: "консультация",
    CallOutcome.REQUEST_CREATED: "создана заявка",
    CallOutcome.APPOINTMENT_BOOKED: "запись на приём",
}


class CallRegistered(Event):
    """A dispatcher registered a phone call and what it ended with."""

    type: Literal["CallRegistered"] = "CallRegistered"
    producer: str = PRODUCER
    call_id: UUID
    dispatcher_id: str
    family_known: bool = Field(description="False: family_id is ANONYMOUS_FAMILY_ID")
    category: NeedCategory | None = Field(default=None, description="Topic of the call")
    outcome: CallOutcome
    request_id: UUID | None = Field(default=None, description="Set if a request was created")
    appointment_id: UUID | None = Field(default=None, description="Set if one was booked")


class AppointmentBooked(Event):
    """A family was booked to an in-person appointment with a specialist."""

    type: Literal["AppointmentBooked"] = "AppointmentBooked"
    producer: str = PRODUCER
    appointment_id: UUID
    specialist_id: str
    specialist_kind: SpecialistKind
    specialist_title: str = Field(description="Russian: who receives, e.g. «Психолог Орлова Е. С.»")
    office_address: str = Field(description="Russian: where to come")
    starts_at: datetime
    ends_at: datetime
    call_id: UUID | None = None
    booked_by: str
    district: str | None = Field(
        default=None, description="The family's district when booked (None in older events)"
    )
    hq: str | None = Field(default=None, description="The family's municipal HQ when booked")


class AppointmentCancelled(Event):
    """An appointment was cancelled; its slot is free again."""

    type: Literal["AppointmentCancelled"] = "AppointmentCancelled"
    producer: str = PRODUCER
    appointment_id: UUID
    specialist_id: str
    specialist_title: str
    office_address: str
    starts_at: datetime
    reason: str
    cancelled_by: str
    district: str | None = Field(
        default=None, description="The family's district when booked (None in older events)"
    )
    hq: str | None = Field(default=None, description="The family's municipal HQ when booked")


class AppointmentRescheduled(Event):
    """An appointment moved to another slot (possibly another specialist's)."""

    type: Literal["AppointmentRescheduled"] = "AppointmentRescheduled"
    producer: str = PRODUCER
    appointment_id: UUID
    previous_specialist_id: str
    previous_starts_at: datetime
    specialist_id: str
    specialist_kind: SpecialistKind
    specialist_title: str
    office_address: str
    starts_at: datetime
    ends_at: datetime
    rescheduled_by: str
    district: str | None = Field(
        default=None, description="The family's district when booked (None in older events)"
    )
    hq: str | None = Field(default=None, description="The family's municipal HQ when booked")


class AppointmentReminderDue(Event):
    """Time to remind the family of its appointment (published once per reminder)."""

    type: Literal["AppointmentReminderDue"] = "AppointmentReminderDue"
    producer: str = PRODUCER
    appointment_id: UUID
    specialist_id: str
    specialist_kind: SpecialistKind
    specialist_title: str
    office_address: str
    starts_at: datetime
    ends_at: datetime
    minutes_before: int = Field(ge=1, description="The reminder offset this event is for")


APPOINTMENT_EVENTS: tuple[type[Event], ...] = (
    CallRegistered,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    AppointmentReminderDue,
)
