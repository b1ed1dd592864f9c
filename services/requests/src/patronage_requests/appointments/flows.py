"""Appointment use cases: book, cancel, reschedule; never two appointments in one slot."""

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from patronage_common.locks import locked
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Database, Document
from patronage_contracts import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
)
from pymongo.errors import DuplicateKeyError

from ..deps import get_specialists, settings_of
from ..families.flows import FamilyNotFoundError, family_for_request
from . import service
from .catalogue import Specialist
from .domain import SlotRefusedError, check_slot, local_label, reminders_for, slot_claim_id
from .errors import AppointmentClosedError, FieldRefusedError, NotFoundError, SlotTakenError
from .models import AppointmentCreate, AppointmentReschedule, AppointmentStatus
from .service import APPOINTMENTS

CLAIM_GRACE = timedelta(seconds=60)
"""How long a claim may wait for its appointment to be written before others may drop it."""


def _specialist(runtime: ServiceRuntime, specialist_id: str) -> Specialist:
    settings = settings_of(runtime)
    specialist = get_specialists(settings.specialists_file).get(specialist_id)
    if specialist is None:
        raise FieldRefusedError(("body", "specialist_id"), f"нет специалиста «{specialist_id}»")
    return specialist


def _checked_slot(
    runtime: ServiceRuntime, specialist: Specialist, starts_at: datetime, now: datetime
) -> tuple[datetime, datetime]:
    settings = settings_of(runtime)
    try:
        slot = check_slot(
            specialist,
            starts_at,
            now=now,
            tz=settings.timezone,
            horizon_days=settings.booking_horizon_days,
        )
    except SlotRefusedError as exc:
        raise FieldRefusedError(("body", "starts_at"), str(exc)) from exc
    return slot.starts_at, slot.ends_at


async def _holds(db: Database, claim: Document, now: datetime) -> bool:
    """Whether a claim still guards an appointment (or may be about to)."""
    appointment = await service.get_appointment(db=db, appointment_id=claim["appointment_id"])
    if (
        appointment is not None
        and appointment["status"] == AppointmentStatus.BOOKED
        and slot_claim_id(appointment["specialist_id"], appointment["starts_at"]) == claim["_id"]
    ):
        return True
    # A writer crashed between the claim and the appointment, or between moving the
    # appointment and releasing the claim. Leave it to that writer for a grace period.
    last_change = max(
        claim["claimed_at"], (appointment or {}).get("updated_at", claim["claimed_at"])
    )
    return bool(now - last_change < CLAIM_GRACE)


async def _claim(
    runtime: ServiceRuntime,
    specialist: Specialist,
    starts_at: datetime,
    appointment_id: UUID,
    now: datetime,
) -> str:
    """Claim the slot for the appointment, or raise SlotTakenError."""
    claim_id = slot_claim_id(specialist.id, starts_at)
    for _ in range(2):
        try:
            await service.claim_slot(
                db=runtime.db, claim_id=claim_id, appointment_id=appointment_id, claimed_at=now
            )
            return claim_id
        except DuplicateKeyError:
            claim = await service.get_claim(db=runtime.db, claim_id=claim_id)
            if claim is not None and claim["appointment_id"] == str(appointment_id):
                return claim_id  # left by an earlier attempt of this very change
            if claim is not None and await _holds(runtime.db, claim, now):
                break
            if claim is not None:
                await service.release_slot(
                    db=runtime.db, claim_id=claim_id, appointment_id=claim["appointment_id"]
                )
    settings = settings_of(runtime)
    raise SlotTakenError(
        ("body", "starts_at"),
        f"слот уже занят: {local_label(starts_at, settings.timezone)}, {specialist.title}",
    )


async def book_appointment(
    *,
    runtime: ServiceRuntime,
    data: AppointmentCreate,
    actor: str,
    now: datetime,
    correlation_id: UUID | None = None,
) -> UUID:
    """Book the family to the slot; the first claim wins, every other gets SlotTakenError."""
    specialist = _specialist(runtime, data.specialist_id)
    starts_at, ends_at = _checked_slot(runtime, specialist, data.starts_at, now)
    try:
        family = await family_for_request(runtime=runtime, family_id=data.family_id)
    except FamilyNotFoundError as exc:
        raise FieldRefusedError(("body", "family_id"), str(exc)) from exc
    appointment_id = uuid4()
    await _claim(runtime, specialist, starts_at, appointment_id, now)
    booked = AppointmentBooked(
        **({"correlation_id": correlation_id} if correlation_id else {}),
        family_id=data.family_id,
        appointment_id=appointment_id,
        specialist_id=specialist.id,
        specialist_kind=specialist.kind,
        specialist_title=specialist.title,
        office_address=specialist.office.address,
        starts_at=starts_at,
        ends_at=ends_at,
        call_id=data.call_id,
        booked_by=actor,
        district=family.get("district"),
        hq=family.get("hq"),
    )
    document: Document = {
        "_id": str(appointment_id),
        "family_id": str(data.family_id),
        **_specialist_fields(specialist),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "status": AppointmentStatus.BOOKED.value,
        "version": 1,
        "note": data.note,
        "call_id": str(data.call_id) if data.call_id else None,
        "booked_by": actor,
        "booked_at": now,
        "district": family.get("district"),
        "hq": family.get("hq"),
        "updated_at": now,
        "history": [],
    }
    await runtime.outbox.insert(APPOINTMENTS, document, [booked])
    await _schedule_reminders(runtime, appointment_id, starts_at, now)
    return appointment_id


async def cancel_appointment(
    *, runtime: ServiceRuntime, appointment_id: UUID, reason: str, actor: str, now: datetime
) -> None:
    """Cancel the appointment and free its slot; its reminders will not fire."""
    async with locked(runtime.db, f"{APPOINTMENTS}:{appointment_id}"):
        document = await _open_appointment(runtime, appointment_id, now)
        cancelled = AppointmentCancelled(
            family_id=UUID(document["family_id"]),
            appointment_id=appointment_id,
            specialist_id=document["specialist_id"],
            specialist_title=document["specialist_title"],
            office_address=document["office_address"],
            starts_at=document["starts_at"],
            reason=reason,
            cancelled_by=actor,
            district=document.get("district"),
            hq=document.get("hq"),
        )
        update = {
            "$set": {
                "status": AppointmentStatus.CANCELLED.value,
                "version": document["version"] + 1,
                "cancel_reason": reason,
                "cancelled_by": actor,
                "updated_at": now,
            }
        }
        await runtime.outbox.update(APPOINTMENTS, str(appointment_id), update, [cancelled])
        await service.release_slot(
            db=runtime.db,
            claim_id=slot_claim_id(document["specialist_id"], document["starts_at"]),
            appointment_id=appointment_id,
        )


async def reschedule_appointment(
    *,
    runtime: ServiceRuntime,
    appointment_id: UUID,
    data: AppointmentReschedule,
    actor: str,
    now: datetime,
) -> None:
    """Move the appointment: claim the new slot first, then release the old one."""
    async with locked(runtime.db, f"{APPOINTMENTS}:{appointment_id}"):
        document = await _open_appointment(runtime, appointment_id, now)
        specialist = _specialist(runtime, data.specialist_id or document["specialist_id"])
        starts_at, ends_at = _checked_slot(runtime, specialist, data.starts_at, now)
        old_claim = slot_claim_id(document["specialist_id"], document["starts_at"])
        if slot_claim_id(specialist.id, starts_at) == old_claim:
            raise FieldRefusedError(("body", "starts_at"), "запись уже назначена на это время")
        await _claim(runtime, specialist, starts_at, appointment_id, now)
        rescheduled = AppointmentRescheduled(
            family_id=UUID(document["family_id"]),
            appointment_id=appointment_id,
            previous_specialist_id=document["specialist_id"],
            previous_starts_at=document["starts_at"],
            specialist_id=specialist.id,
            specialist_kind=specialist.kind,
            specialist_title=specialist.title,
            office_address=specialist.office.address,
            starts_at=starts_at,
            ends_at=ends_at,
            rescheduled_by=actor,
            district=document.get("district"),
            hq=document.get("hq"),
        )
        update = {
            "$set": {
                **_specialist_fields(specialist),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "version": document["version"] + 1,
                "updated_at": now,
            },
            "$push": {
                "history": {
                    "specialist_id": document["specialist_id"],
                    "starts_at": document["starts_at"],
                    "moved_at": now,
                    "moved_by": actor,
                }
            },
        }
        await runtime.outbox.update(APPOINTMENTS, str(appointment_id), update, [rescheduled])
        await service.release_slot(db=runtime.db, claim_id=old_claim, appointment_id=appointment_id)
    await _schedule_reminders(runtime, appointment_id, starts_at, now)


async def _open_appointment(
    runtime: ServiceRuntime, appointment_id: UUID, now: datetime
) -> Document:
    """The appointment if it can still change; else NotFoundError or AppointmentClosedError."""
    document = await service.get_appointment(db=runtime.db, appointment_id=appointment_id)
    if document is None:
        raise NotFoundError("запись на приём не найдена")
    if document["status"] == AppointmentStatus.CANCELLED:
        raise AppointmentClosedError(("path", "appointment_id"), "запись уже отменена")
    if document["starts_at"] <= now:
        raise AppointmentClosedError(
            ("path", "appointment_id"), "приём уже начался или прошёл; изменить запись нельзя"
        )
    return document


def _specialist_fields(specialist: Specialist) -> Document:
    return {
        "specialist_id": specialist.id,
        "specialist_kind": specialist.kind.value,
        "specialist_title": specialist.title,
        "office_address": specialist.office.address,
    }


async def _schedule_reminders(
    runtime: ServiceRuntime, appointment_id: UUID, starts_at: datetime, now: datetime
) -> None:
    offsets = settings_of(runtime).reminder_offsets_min
    await service.schedule_reminders(
        db=runtime.db, reminders=reminders_for(appointment_id, starts_at, offsets, now=now)
    )
