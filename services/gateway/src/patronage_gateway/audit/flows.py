"""Recording what a person did through the gateway."""

from uuid import uuid4

from patronage_common.identity import Identity
from patronage_common.store import Database
from patronage_contracts import utc_now

from . import service
from .models import Action, AuditEntry, Outcome


async def record(
    *,
    db: Database,
    identity: Identity,
    action: Action,
    subject_kind: str,
    subject_id: str,
    what: str,
    flagged: bool = False,
    outcome: Outcome = Outcome.ALLOWED,
) -> AuditEntry:
    """Append who did what to which subject, now, with the stated reason if any."""
    entry = AuditEntry(
        entry_id=str(uuid4()),
        at=utc_now(),
        actor=identity.subject,
        role=identity.role.value,
        action=action,
        subject_kind=subject_kind,
        subject_id=subject_id,
        what=what,
        reason=identity.break_glass_reason,
        flagged=flagged,
        outcome=outcome,
    )
    await service.append(db=db, entry=entry)
    return entry
