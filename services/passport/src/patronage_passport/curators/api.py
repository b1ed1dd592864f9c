"""HTTP routes of curators."""

from typing import Any

from fastapi import APIRouter, HTTPException, status
from patronage_common.runtime import RuntimeDep
from patronage_contracts import utc_now

from . import flows, service
from .models import Curator, CuratorIn, Workload

router = APIRouter(prefix="/curators", tags=["curators"])


def _api(document: dict[str, Any]) -> dict[str, Any]:
    return {"curator_id": document["_id"], **{k: v for k, v in document.items() if k != "_id"}}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Curator)
async def register_curator(data: CuratorIn, runtime: RuntimeDep) -> dict[str, Any]:
    """Register a curator of a district."""
    try:
        await flows.register_curator(db=runtime.db, data=data)
    except flows.CuratorExistsError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"куратор {exc} уже зарегистрирован") from exc
    document = await service.get_curator(db=runtime.db, curator_id=data.curator_id)
    assert document is not None
    return _api(document)


@router.get("", response_model=list[Curator])
async def list_curators(runtime: RuntimeDep, district: str | None = None) -> list[dict[str, Any]]:
    """Registered curators, optionally of one district."""
    return [_api(d) for d in await service.list_curators(db=runtime.db, district=district)]


@router.get("/{curator_id}/workload", response_model=Workload)
async def curator_workload(curator_id: str, runtime: RuntimeDep) -> Workload:
    """Families, open needs and overdue plan items of a curator."""
    return await flows.workload(db=runtime.db, curator_id=curator_id, today=utc_now().date())
