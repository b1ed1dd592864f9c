"""HTTP routes of notifications."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from patronage_common.runtime import RuntimeDep

from . import service

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("")
async def list_notifications(
    runtime: RuntimeDep,
    recipient_id: Annotated[str, Query(min_length=1, description="Кому")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """Newest notifications of one recipient."""
    documents = await service.list_for_recipient(
        db=runtime.db, recipient_id=recipient_id, limit=limit
    )
    return [service.to_api(d) for d in documents]
