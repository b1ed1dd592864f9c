"""Events published by the passport service on the passport topic.

They carry ids and only the fields consumers need, never the whole passport.
"""

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from .enums import BeneficiaryCategory, NeedCategory
from .envelope import Event

PRODUCER = "passport"


class PassportRegistered(Event):
    """A family's social passport was created with consent to data processing."""

    type: Literal["PassportRegistered"] = "PassportRegistered"
    producer: str = PRODUCER
    district: str = Field(description="District code (муниципальный район/округ)")
    hq: str = Field(description="Municipal coordination HQ code (штаб)")
    categories: tuple[BeneficiaryCategory, ...]
    curator_id: str | None = None
    consent_given: bool = True
    registered_by: str


class PassportUpdated(Event):
    """Sections of a passport were changed; a new immutable version exists."""

    type: Literal["PassportUpdated"] = "PassportUpdated"
    producer: str = PRODUCER
    version: int = Field(ge=1)
    sections: tuple[str, ...]
    changed_by: str


class CuratorAssigned(Event):
    """A family got a (new) active curator."""

    type: Literal["CuratorAssigned"] = "CuratorAssigned"
    producer: str = PRODUCER
    curator_id: str
    previous_curator_id: str | None = None
    district: str
    reason: str
    assigned_by: str


class NeedRecorded(Event):
    """A need of the family was recorded in the needs assessment."""

    type: Literal["NeedRecorded"] = "NeedRecorded"
    producer: str = PRODUCER
    need_id: UUID
    category: NeedCategory
    district: str
    recorded_by: str


class NeedClosed(Event):
    """A need was met or is no longer relevant."""

    type: Literal["NeedClosed"] = "NeedClosed"
    producer: str = PRODUCER
    need_id: UUID
    category: NeedCategory
    district: str
    outcome: str
    closed_by: str


class MeasureAssigned(Event):
    """A support measure from the catalogue was assigned to the family."""

    type: Literal["MeasureAssigned"] = "MeasureAssigned"
    producer: str = PRODUCER
    measure_code: str
    agency: str
    district: str
    member_id: UUID | None = None
    assigned_by: str


class MeasureProvided(Event):
    """An assigned support measure was actually provided."""

    type: Literal["MeasureProvided"] = "MeasureProvided"
    producer: str = PRODUCER
    measure_code: str
    district: str
    member_id: UUID | None = None
    provided_by: str


class PlanItemAdded(Event):
    """An item was added to the interdepartmental support plan."""

    type: Literal["PlanItemAdded"] = "PlanItemAdded"
    producer: str = PRODUCER
    plan_item_id: UUID
    agency: str
    deadline: date
    need_id: UUID | None = None
    measure_code: str | None = None


class PlanItemStatusChanged(Event):
    """A support-plan item changed status."""

    type: Literal["PlanItemStatusChanged"] = "PlanItemStatusChanged"
    producer: str = PRODUCER
    plan_item_id: UUID
    status: str
    previous_status: str


class ServicemanStatusChanged(Event):
    """The serviceman's status changed (serving, wounded, returned, ...)."""

    type: Literal["ServicemanStatusChanged"] = "ServicemanStatusChanged"
    producer: str = PRODUCER
    status: str
    previous_status: str | None = None
    effective_date: date


class ConsentWithdrawn(Event):
    """The family withdrew consent to personal-data processing (fully or in part)."""

    type: Literal["ConsentWithdrawn"] = "ConsentWithdrawn"
    producer: str = PRODUCER
    scope: tuple[str, ...]
    curator_id: str | None = None
    recorded_by: str


PASSPORT_EVENTS: tuple[type[Event], ...] = (
    PassportRegistered,
    PassportUpdated,
    CuratorAssigned,
    NeedRecorded,
    NeedClosed,
    MeasureAssigned,
    MeasureProvided,
    PlanItemAdded,
    PlanItemStatusChanged,
    ServicemanStatusChanged,
    ConsentWithdrawn,
)
