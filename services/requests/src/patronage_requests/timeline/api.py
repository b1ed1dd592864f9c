"""HTTP route of family timelines."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from patronage_common.runtime import RuntimeDep
from patronage_common.store import Document
from pydantic import BaseModel

from . import service

router = APIRouter(prefix="/families", tags=["timeline"])


class TimelineEntry(BaseModel):
    """One thing that happened to a family's requests."""

    at: datetime
    type: str
    request_id: UUID | None
    text: str


@router.get("/{family_id}/timeline", response_model=list[TimelineEntry])
async def family_timeline(
    family_id: UUID,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Сколько последних записей")] = 100,
) -> list[Document]:
    """What happened to the family's requests, newest first."""
    return await service.read_timeline(db=runtime.db, family_id=family_id, limit=limit)
