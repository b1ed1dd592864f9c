"""HTTP routes of specialists, their slots and appointments."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, status
from patronage_common.access import actor_of
from patronage_common.runtime import RuntimeDep, ServiceRuntime
from patronage_contracts.appointments import SPECIALIST_KIND_RU

from ..deps import ClockDep, LineWorkerDep, get_specialists, settings_of
from . import flows, service
from .catalogue import WEEKDAY_RU, Specialist
from .domain import SlotRefusedError, check_slot_range, schedule_label, slots_between
from .errors import FieldRefusedError, NotFoundError
from .models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentRead,
    AppointmentReschedule,
    SlotsRead,
    SlotStatus,
    SpecialistRead,
)

router = APIRouter(tags=["appointments"])

ActorHeader = Annotated[str, Header(alias="X-Actor", description="Кто действует")]


def _specialist_read(specialist: Specialist) -> dict[str, Any]:
    return {
        "specialist_id": specialist.id,
        "kind": specialist.kind,
        "kind_label": SPECIALIST_KIND_RU[specialist.kind],
        "title": specialist.title,
        "office_address": specialist.office.address,
        "schedule": [
            {
                "weekday": WEEKDAY_RU[h.weekday],
                "start": h.start,
                "end": h.end,
                "slot_minutes": h.slot_minutes,
            }
            for h in specialist.schedule
        ],
        "schedule_label": schedule_label(specialist),
    }


@router.get("/specialists", response_model=list[SpecialistRead])
async def list_specialists(runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Specialists families can be booked to, with offices and weekly hours."""
    catalogue = get_specialists(settings_of(runtime).specialists_file)
    return [_specialist_read(s) for s in catalogue.specialists]


@router.get("/specialists/{specialist_id}/slots", response_model=SlotsRead)
async def list_slots(
    specialist_id: str,
    runtime: RuntimeDep,
    clock: ClockDep,
    date_from: Annotated[date, Query(alias="from", description="С (местная дата)")],
    date_to: Annotated[date, Query(alias="to", description="По (включительно)")],
) -> dict[str, Any]:
    """The specialist's future slots between two dates, each free or booked."""
    settings = settings_of(runtime)
    specialist = get_specialists(settings.specialists_file).get(specialist_id)
    if specialist is None:
        raise NotFoundError(f"нет специалиста «{specialist_id}»")
    try:
        check_slot_range(date_from, date_to)
    except SlotRefusedError as exc:
        raise FieldRefusedError(("query", "to"), str(exc)) from exc
    now = clock()
    slots = [
        s
        for s in slots_between(specialist, date_from, date_to, settings.timezone)
        if s.starts_at > now
    ]
    booked = await service.booked_starts(db=runtime.db, specialist_id=specialist.id, slots=slots)
    return {
        "specialist_id": specialist.id,
        "title": specialist.title,
        "office_address": specialist.office.address,
        "date_from": date_from,
        "date_to": date_to,
        "slots": [
            {
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "status": SlotStatus.BOOKED if s.starts_at in booked else SlotStatus.FREE,
            }
            for s in slots
        ],
    }


@router.post("/appointments", status_code=status.HTTP_201_CREATED, response_model=AppointmentRead)
async def book_appointment(
    data: AppointmentCreate,
    runtime: RuntimeDep,
    clock: ClockDep,
    who: LineWorkerDep,
    actor: ActorHeader = "system",
) -> dict[str, Any]:
    """Book a family to a free slot (409 if somebody holds it)."""
    appointment_id = await flows.book_appointment(
        runtime=runtime, data=data, actor=actor_of(who.identity, actor, "system"), now=clock()
    )
    return await _read(runtime, appointment_id)


@router.get("/appointments/{appointment_id}", response_model=AppointmentRead)
async def read_appointment(
    appointment_id: UUID, runtime: RuntimeDep, who: LineWorkerDep
) -> dict[str, Any]:
    """An appointment."""
    return await _read(runtime, appointment_id)


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentRead)
async def cancel_appointment(
    appointment_id: UUID,
    data: AppointmentCancel,
    runtime: RuntimeDep,
    clock: ClockDep,
    who: LineWorkerDep,
    actor: ActorHeader = "system",
) -> dict[str, Any]:
    """Cancel an appointment; its slot becomes free."""
    await flows.cancel_appointment(
        runtime=runtime,
        appointment_id=appointment_id,
        reason=data.reason,
        actor=actor_of(who.identity, actor, "system"),
        now=clock(),
    )
    return await _read(runtime, appointment_id)


@router.post("/appointments/{appointment_id}/reschedule", response_model=AppointmentRead)
async def reschedule_appointment(
    appointment_id: UUID,
    data: AppointmentReschedule,
    runtime: RuntimeDep,
    clock: ClockDep,
    who: LineWorkerDep,
    actor: ActorHeader = "system",
) -> dict[str, Any]:
    """Move an appointment to another free slot."""
    await flows.reschedule_appointment(
        runtime=runtime,
        appointment_id=appointment_id,
        data=data,
        actor=actor_of(who.identity, actor, "system"),
        now=clock(),
    )
    return await _read(runtime, appointment_id)


async def _read(runtime: ServiceRuntime, appointment_id: UUID) -> dict[str, Any]:
    document = await service.get_appointment(db=runtime.db, appointment_id=appointment_id)
    if document is None:
        raise NotFoundError("запись на приём не найдена")
    return service.to_api(document)
