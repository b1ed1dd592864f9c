"""HTTP routes of help requests."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, status
from patronage_common.runtime import RuntimeDep

from ..families.flows import FamilyNotFoundError
from . import flows, service
from .models import HelpRequestCreate, HelpRequestRead

router = APIRouter(prefix="/requests", tags=["requests"])

ActorHeader = Annotated[str, Header(alias="X-Actor", description="Who acts")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HelpRequestRead)
async def create_request(
    data: HelpRequestCreate, runtime: RuntimeDep, actor: ActorHeader = "system"
) -> dict[str, object]:
    """Register a help request and route it to the responsible agencies."""
    try:
        request_id = await flows.create_help_request(runtime=runtime, data=data, actor=actor)
    except FamilyNotFoundError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    document = await service.get_request(db=runtime.db, request_id=request_id)
    assert document is not None
    return service.to_api(document)


@router.get("/{request_id}", response_model=HelpRequestRead)
async def read_request(request_id: UUID, runtime: RuntimeDep) -> dict[str, object]:
    """A help request with its agency tasks."""
    document = await service.get_request(db=runtime.db, request_id=request_id)
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "заявка не найдена")
    return service.to_api(document)
