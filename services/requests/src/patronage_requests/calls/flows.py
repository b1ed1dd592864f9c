"""Call use cases: find the caller's family, register the call and carry out its outcome."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from patronage_common.logging import get_logger
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document
from patronage_contracts import (
    ANONYMOUS_FAMILY_ID,
    CallRegistered,
    Channel,
)

from ..appointments import flows as appointments
from ..appointments.errors import FieldRefusedError, PassportUnavailableError
from ..appointments.models import AppointmentCreate
from ..deps import settings_of
from ..families.flows import FamilyNotFoundError
from ..help_requests import flows as help_requests
from ..help_requests.models import HelpRequestCreate
from . import service
from .domain import needs_family, outcome_problem
from .models import CallAppointmentData, CallCreate, CallRequestData
from .service import CALLS

log = get_logger(__name__)


async def find_families(
    *, runtime: ServiceRuntime, phone: str | None, name: str | None
) -> list[dict[str, Any]]:
    """Families matching the caller's phone and/or name, from the passport service."""
    if not (phone or name):
        raise FieldRefusedError(("query", "phone"), "укажите телефон или ФИО звонящего")
    return await service.search_families(
        passport_url=settings_of(runtime).passport_url, phone=phone, name=name
    )


async def register_call(
    *, runtime: ServiceRuntime, data: CallCreate, actor: str, now: datetime
) -> UUID:
    """Register the call and do what it ended with: advice, a request or an appointment."""
    problem = outcome_problem(data)
    if problem is not None:
        raise FieldRefusedError(*problem)
    family_id = data.family_id or await _family_by_phone(runtime, data.caller_phone)
    if family_id is None and needs_family(data.outcome):
        raise FieldRefusedError(
            ("body", "family_id"),
            "семья не найдена: найдите её по телефону или ФИО и укажите family_id; "
            "без семьи возможна только консультация",
        )
    call_id, correlation_id = uuid4(), uuid4()
    request_id = appointment_id = None
    if data.request is not None and family_id is not None:
        request_id = await _create_request(runtime, data.request, family_id, actor)
    if data.appointment is not None and family_id is not None:
        appointment_id = await _book(
            runtime, data.appointment, family_id, call_id, actor, now, correlation_id
        )
    category = data.category or (data.request.category if data.request else None)
    registered = CallRegistered(
        correlation_id=correlation_id,
        family_id=family_id or ANONYMOUS_FAMILY_ID,
        family_known=family_id is not None,
        call_id=call_id,
        dispatcher_id=actor,
        category=category,
        outcome=data.outcome,
        request_id=request_id,
        appointment_id=appointment_id,
    )
    day = now.astimezone(settings_of(runtime).timezone).date()
    document: Document = {
        "_id": str(call_id),
        "received_at": now,
        "day": day.isoformat(),
        "dispatcher_id": actor,
        "caller_phone": data.caller_phone,
        "caller_name": data.caller_name,
        "family_id": str(family_id) if family_id else None,
        "subject": data.subject,
        "category": category.value if category else None,
        "notes": data.notes,
        "outcome": data.outcome.value,
        "request_id": str(request_id) if request_id else None,
        "appointment_id": str(appointment_id) if appointment_id else None,
    }
    await service.log_call(db=runtime.db, day=day, call_id=call_id)
    await runtime.outbox.insert(CALLS, document, [registered])
    return call_id


async def _family_by_phone(runtime: ServiceRuntime, phone: str | None) -> UUID | None:
    """The one family whose passport has this phone, or None (none, or several)."""
    if not phone:
        return None
    try:
        matches = await find_families(runtime=runtime, phone=phone, name=None)
    except (PassportUnavailableError, FieldRefusedError) as exc:
        # The call is logged all the same; without a family it can only be a consultation.
        log.warning("caller's family not looked up", reason=type(exc).__name__)
        return None
    return UUID(matches[0]["family_id"]) if len(matches) == 1 else None


async def _create_request(
    runtime: ServiceRuntime, data: CallRequestData, family_id: UUID, actor: str
) -> UUID:
    request = HelpRequestCreate(
        family_id=family_id,
        category=data.category,
        description=data.description,
        urgency=data.urgency,
        channel=Channel.DISPATCHER,
    )
    try:
        return await help_requests.create_help_request(runtime=runtime, data=request, actor=actor)
    except FamilyNotFoundError as exc:
        raise FieldRefusedError(("body", "family_id"), str(exc)) from exc


async def _book(
    runtime: ServiceRuntime,
    data: CallAppointmentData,
    family_id: UUID,
    call_id: UUID,
    actor: str,
    now: datetime,
    correlation_id: UUID,
) -> UUID:
    booking = AppointmentCreate(
        specialist_id=data.specialist_id,
        starts_at=data.starts_at,
        family_id=family_id,
        call_id=call_id,
        note=data.note,
    )
    try:
        return await appointments.book_appointment(
            runtime=runtime, data=booking, actor=actor, now=now, correlation_id=correlation_id
        )
    except FieldRefusedError as exc:
        # Name the field as the call's body has it.
        field = exc.loc[-1]
        exc.loc = ("body", field) if field == "family_id" else ("body", "appointment", field)
        raise
