"""HTTP routes of the passport service."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, status
from patronage_common.runtime import RuntimeDep

from . import flows, service
from .models import PassportCreate, PassportRead

router = APIRouter(prefix="/passports", tags=["passports"])

ActorHeader = Annotated[str, Header(alias="X-Actor", description="Who acts")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PassportRead)
async def create_passport(
    data: PassportCreate, runtime: RuntimeDep, actor: ActorHeader = "system"
) -> dict[str, object]:
    """Register a family's social passport."""
    family_id = await flows.register_passport(runtime=runtime, data=data, actor=actor)
    document = await service.get_passport(db=runtime.db, family_id=family_id)
    assert document is not None
    return service.to_api(document)


@router.get("/{family_id}", response_model=PassportRead)
async def read_passport(family_id: UUID, runtime: RuntimeDep) -> dict[str, object]:
    """A family's current passport."""
    document = await service.get_passport(db=runtime.db, family_id=family_id)
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "паспорт семьи не найден")
    return service.to_api(document)
