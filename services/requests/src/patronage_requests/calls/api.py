"""HTTP routes of the dispatcher line: family look-up, calls, the day's call log."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, status
from patronage_common.access import CallerDep, actor_of
from patronage_common.runtime import RuntimeDep, ServiceRuntime
from patronage_contracts import CallOutcome
from patronage_contracts.appointments import CALL_OUTCOME_RU

from ..appointments.errors import NotFoundError
from ..deps import ClockDep, line_worker, settings_of
from . import flows, service
from .models import CallCreate, CallLogRead, CallRead, FamilyLookupRead

router = APIRouter(prefix="/calls", tags=["calls"], dependencies=[Depends(line_worker)])

DispatcherHeader = Annotated[str, Header(alias="X-Actor", description="Диспетчер")]


@router.get("/family-lookup", response_model=FamilyLookupRead)
async def family_lookup(
    runtime: RuntimeDep,
    phone: Annotated[str | None, Query(description="Телефон звонящего")] = None,
    name: Annotated[str | None, Query(description="ФИО или его часть")] = None,
) -> dict[str, Any]:
    """Families whose passport matches the caller's phone and/or name."""
    items = await flows.find_families(runtime=runtime, phone=phone, name=name)
    return {"items": items, "total": len(items)}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CallRead)
async def register_call(
    data: CallCreate,
    runtime: RuntimeDep,
    clock: ClockDep,
    who: CallerDep,
    actor: DispatcherHeader = "dispatcher",
) -> dict[str, Any]:
    """Register a call with its outcome: advice, a help request or an appointment (the
    dispatcher is the signed identity's, else the X-Actor header's)."""
    dispatcher = actor_of(who.identity, actor, "dispatcher")
    call_id = await flows.register_call(runtime=runtime, data=data, actor=dispatcher, now=clock())
    return await _read(runtime, call_id)


@router.get("", response_model=CallLogRead)
async def call_log(
    runtime: RuntimeDep,
    clock: ClockDep,
    day: Annotated[date | None, Query(description="День (местный); по умолчанию сегодня")] = None,
) -> dict[str, Any]:
    """The calls of one day, in the order they came."""
    day = day or clock().astimezone(settings_of(runtime).timezone).date()
    calls = await service.calls_of_day(db=runtime.db, day=day)
    return {"day": day, "items": [_api(c) for c in calls]}


@router.get("/{call_id}", response_model=CallRead)
async def read_call(call_id: UUID, runtime: RuntimeDep) -> dict[str, Any]:
    """One registered call."""
    return await _read(runtime, call_id)


async def _read(runtime: ServiceRuntime, call_id: UUID) -> dict[str, Any]:
    document = await service.get_call(db=runtime.db, call_id=call_id)
    if document is None:
        raise NotFoundError("звонок не найден")
    return _api(document)


def _api(document: dict[str, Any]) -> dict[str, Any]:
    return service.to_api(document, CALL_OUTCOME_RU[CallOutcome(document["outcome"])])
