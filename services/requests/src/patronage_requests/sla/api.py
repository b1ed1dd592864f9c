"""HTTP routes of the SLA: a request's clocks, a district's overdue requests."""

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from patronage_common.access import CallerDep, enforce
from patronage_common.runtime import RuntimeDep
from patronage_contracts.labels import REQUEST_STATUS_RU, SLA_CLOCK_RU

from ..families.service import get_family
from ..help_requests import access
from ..help_requests.service import get_request
from ..settings import RequestsSettings
from . import domain, service
from .badges import badge_of, clock_views
from .clock import Clock
from .deps import get_clock, scale_for
from .domain import CLOCK_STATE_RU, ClockState, SlaRecord
from .models import DistrictOverdueRead, OverdueClockRead, RequestSlaRead

router = APIRouter(tags=["sla"])

ClockDep = Annotated[Clock, Depends(get_clock)]


def _hours_label(delta: timedelta) -> str:
    minutes = max(round(delta.total_seconds() / 60), 0)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} ч {rest} мин"
    return f"{hours} ч" if hours else f"{rest} мин"


def _clocks(record: SlaRecord, now: datetime, settings: RequestsSettings) -> list[dict[str, Any]]:
    basis = "рабочего времени" if record.business_time else "календарного времени"
    return [
        {
            **badge_of(v),
            "budget_s": round(v.budget.total_seconds()),
            "elapsed_s": round(v.elapsed.total_seconds()),
            "paused": v.paused,
            "summary": f"{_hours_label(v.elapsed)} из {_hours_label(v.budget)} {basis}",
        }
        for v in clock_views(record, now, settings)
    ]


def _settings(runtime: Any) -> RequestsSettings:
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    return settings


def _as_request(record: SlaRecord) -> dict[str, Any]:
    """What the clocks know of a request whose document is not (yet) stored here."""
    return {
        "family_id": str(record.family_id),
        "category": record.category.value,
        "district": record.district,
        "hq": record.hq,
        "curator_id": record.curator_id,
        "tasks": [],
    }


@router.get("/requests/{request_id}/sla", response_model=RequestSlaRead)
async def read_request_sla(
    request_id: UUID, runtime: RuntimeDep, clock: ClockDep, who: CallerDep
) -> Any:
    """Both SLA clocks of a request: deadline, time used, percent, pause, state (for whoever
    may read the request; an agency worker without the family's place and curator)."""
    record = await service.get_record(db=runtime.db, request_id=request_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "сроки по заявке не найдены")
    if who.identity is not None:
        request = await get_request(db=runtime.db, request_id=request_id) or _as_request(record)
        family = await get_family(db=runtime.db, family_id=record.family_id)
        enforce(access.may_read(who.identity, request, family))
    hidden = {"district", "hq", "curator_id"} if access.is_agency_view(who.identity) else set()
    return {
        **record.model_dump(
            include={"request_id", "category", "urgency", "district", "hq", "curator_id"} - hidden
        ),
        **dict.fromkeys(hidden),
        "status": record.status,
        "status_label": REQUEST_STATUS_RU[record.status],
        "business_time": record.business_time,
        "time_basis_label": (
            "рабочее время по производственному календарю"
            if record.business_time
            else "календарное время (срочная заявка)"
        ),
        "clocks": _clocks(record, clock.now(), _settings(runtime)),
    }


@router.get("/sla/overdue", response_model=DistrictOverdueRead)
async def read_district_overdue(
    runtime: RuntimeDep,
    clock: ClockDep,
    who: CallerDep,
    district: Annotated[str, Query(min_length=1, description="Муниципальный район")],
) -> DistrictOverdueRead:
    """Open requests of a district with a breached clock, most overdue first (regional
    roles and the district's head)."""
    enforce(access.may_list_district_overdue(who.identity, district))
    settings = _settings(runtime)
    now = clock.now()
    items = []
    for request_id, name in await service.overdue_items(db=runtime.db, district=district):
        record = await service.get_record(db=runtime.db, request_id=request_id)
        if record is None:
            continue
        scale = scale_for(business_time=record.business_time, settings=settings)
        v = domain.view(record, name, now, scale)
        if v.state is not ClockState.BREACHED:
            continue  # stopped since; the list is tidied when the clock stops
        items.append(
            OverdueClockRead(
                request_id=request_id,
                clock=name,
                clock_label=SLA_CLOCK_RU[name],
                due_at=v.due_at,
                overdue_s=round((v.elapsed - v.budget).total_seconds()),
                category=record.category,
                urgency=record.urgency,
                curator_id=record.curator_id,
                state_label=CLOCK_STATE_RU[v.state],
            )
        )
    items.sort(key=lambda item: -item.overdue_s)
    return DistrictOverdueRead(district=district, items=items)
