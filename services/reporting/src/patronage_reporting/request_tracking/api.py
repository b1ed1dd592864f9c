"""HTTP routes of request tracking."""

from fastapi import APIRouter
from patronage_common.runtime import RuntimeDep

from . import service

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/requests-by-status")
async def requests_by_status(runtime: RuntimeDep) -> dict[str, int]:
    """Number of help requests in each status, live."""
    return await service.counts_by_status(db=runtime.db)
