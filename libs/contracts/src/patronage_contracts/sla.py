"""Service-level events of help requests, published by the requests service.

They travel on the requests topic (``requests.events``), keyed by family like every other
request event. Each firing is published once per request, clock and level; its
``event_id`` is derived from that triple, so a consumer dropping repeats by ``event_id``
never sees one twice.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from .enums import NeedCategory, RecipientRole, SlaClock, Urgency
from .envelope import Event

PRODUCER = "requests"


class _SlaEvent(Event):
    """Fields every SLA event carries: the request, its clock and who is responsible."""

    producer: str = PRODUCER
    request_id: UUID
    clock: SlaClock
    due_at: datetime = Field(description="Deadline of the clock (UTC), pauses included")
    budget_s: int = Field(ge=0, description="Time the clock allows, in seconds of its basis")
    elapsed_s: int = Field(ge=0, description="Time used when the event fired, same basis")
    percent: int = Field(ge=0, description="elapsed_s as a percentage of budget_s")
    business_time: bool = Field(
        description="True: counted in working hours of the production calendar; "
        "False: calendar hours (urgent requests)"
    )
    category: NeedCategory
    urgency: Urgency
    district: str | None = None
    hq: str | None = None
    curator_id: str | None = None


class SlaWarning(_SlaEvent):
    """A clock of a help request used 75 % of its time (the curator should act)."""

    type: Literal["SlaWarning"] = "SlaWarning"


class SlaBreached(_SlaEvent):
    """A clock of a help request ran out: the deadline passed without the awaited status."""

    type: Literal["SlaBreached"] = "SlaBreached"


class RequestEscalated(_SlaEvent):
    """A breached request stayed untouched for one more grace period: the next level knows.

    Step 1 goes to the district head, step 2 to the municipal HQ coordinator, step 3 to
    the regional coordinator; each step at most once per request and clock.
    """

    type: Literal["RequestEscalated"] = "RequestEscalated"
    level: RecipientRole = Field(
        description="Who the request is escalated to: district_head, hq_coordinator "
        "or regional_coordinator"
    )
    step: int = Field(ge=1, le=3, description="1, 2 or 3: how far up the chain")
    overdue_s: int = Field(ge=0, description="Time past the deadline when it fired")


SLA_EVENTS: tuple[type[Event], ...] = (SlaWarning, SlaBreached, RequestEscalated)
