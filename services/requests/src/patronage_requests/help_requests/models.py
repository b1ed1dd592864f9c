"""API models of help requests."""

from datetime import datetime
from uuid import UUID

from patronage_contracts import Agency, Channel, NeedCategory, RequestStatus, Urgency
from pydantic import BaseModel, ConfigDict, Field


class HelpRequestCreate(BaseModel):
    """A new help request from any intake channel."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    family_id: UUID
    category: NeedCategory
    description: str = Field(min_length=3, max_length=4000, description="Суть обращения")
    urgency: Urgency = Urgency.NORMAL
    channel: Channel = Channel.CURATOR
    need_id: UUID | None = None
    plan_item_id: UUID | None = None


class AgencyTaskRead(BaseModel):
    """One agency's part of a request."""

    task_id: UUID
    agency: Agency
    status: str
    note: str | None = None
    updated_at: datetime


class HelpRequestRead(BaseModel):
    """A help request as the API returns it."""

    request_id: UUID
    family_id: UUID
    category: NeedCategory
    description: str
    urgency: Urgency
    channel: Channel
    status: RequestStatus
    version: int
    district: str | None
    curator_id: str | None
    tasks: list[AgencyTaskRead]
    created_at: datetime
    created_by: str
