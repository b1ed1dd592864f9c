"""Passport use cases: what happens when a curator registers or changes a passport."""

from uuid import UUID, uuid4

from patronage_common.runtime import ServiceRuntime
from patronage_common.telemetry import current_trace_context
from patronage_contracts import PassportRegistered, utc_now

from .models import PassportCreate
from .service import PASSPORTS


async def register_passport(*, runtime: ServiceRuntime, data: PassportCreate, actor: str) -> UUID:
    """Store a new passport and announce it with PassportRegistered."""
    family_id = uuid4()
    now = utc_now()
    event = PassportRegistered(
        family_id=family_id,
        district=data.district,
        hq=data.hq,
        categories=tuple(data.categories),
        curator_id=data.curator_id,
        consent_given=data.consent_given,
        registered_by=actor,
        trace_context=current_trace_context(),
    )
    document = {
        "_id": str(family_id),
        **data.model_dump(mode="json"),
        "version": 1,
        "created_at": now,
        "created_by": actor,
    }
    await runtime.outbox.insert(PASSPORTS, document, [event])
    return family_id
