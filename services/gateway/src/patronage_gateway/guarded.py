"""Reads and writes of passports and requests through the gateway: scoped and audited.

Every call here records an audit entry (allowed or denied). A curator reading outside
their families needs a break-the-glass grant (a stated reason, kept for the session);
such reads are flagged in the log.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from patronage_common.identity import Identity, Role
from patronage_common.store import Database

from . import access
from .audit.flows import record
from .audit.models import Action, Outcome
from .clients import ServiceError, Services

T = TypeVar("T")

BREAK_GLASS = "break_glass"
BREAK_GLASS_REQUIRED = "break_glass_required"


class AccessDeniedError(Exception):
    """Outside the caller's scope (403)."""


class ReasonRequiredError(Exception):
    """Outside the caller's families: a stated reason opens it (break-the-glass)."""

    def __init__(self, family_id: str) -> None:
        super().__init__(family_id)
        self.family_id = family_id


class NotFoundError(LookupError):
    """No such passport or request (404)."""


def grant_id(session_key: str, family_id: str) -> str:
    """``_id`` of a break-the-glass grant of one session for one family."""
    return f"{session_key}:{family_id}"


async def grant_access(
    *, db: Database, session_key: str, family_id: str, identity: Identity, reason: str
) -> None:
    """Remember the stated reason for this session and family; the grant is audited."""
    await db[BREAK_GLASS].replace_one(
        {"_id": grant_id(session_key, family_id)}, {"reason": reason}, upsert=True
    )
    await record(
        db=db,
        identity=identity.with_reason(reason),
        action=Action.READ,
        subject_kind="passport",
        subject_id=family_id,
        what="доступ по особой причине открыт",
        flagged=True,
    )


async def granted_reason(*, db: Database, session_key: str, family_id: str) -> str | None:
    """The reason stated earlier in this session for this family, if any."""
    document = await db[BREAK_GLASS].find_one({"_id": grant_id(session_key, family_id)})
    return document["reason"] if document else None


async def _denied(db: Database, identity: Identity, kind: str, subject: str, what: str) -> None:
    await record(
        db=db,
        identity=identity,
        action=Action.READ,
        subject_kind=kind,
        subject_id=subject,
        what=what,
        flagged=True,
        outcome=Outcome.DENIED,
    )


async def read_passport(
    *,
    db: Database,
    services: Services,
    identity: Identity,
    session_key: str,
    family_id: UUID,
) -> tuple[dict[str, Any], bool]:
    """The passport (as the service lets this identity see it) and whether it was flagged."""
    return await _read_passport_as(
        db, identity, session_key, family_id, lambda who: services.read_passport(who, family_id)
    )


async def read_passport_json(
    *,
    db: Database,
    services: Services,
    identity: Identity,
    session_key: str,
    family_id: UUID,
) -> tuple[bytes, bool]:
    """``read_passport``, the passport left as the service's JSON bytes (for the API)."""
    return await _read_passport_as(
        db,
        identity,
        session_key,
        family_id,
        lambda who: services.read_passport_json(who, family_id),
    )


async def read_passport_overview(
    *,
    db: Database,
    services: Services,
    identity: Identity,
    session_key: str,
    family_id: UUID,
) -> tuple[dict[str, Any], bool]:
    """``read_passport`` with the eligible measures and history (the family page), one call."""
    return await _read_passport_as(
        db,
        identity,
        session_key,
        family_id,
        lambda who: services.passport_overview(who, family_id),
    )


async def _read_passport_as(
    db: Database,
    identity: Identity,
    session_key: str,
    family_id: UUID,
    read: Callable[[Identity], Awaitable[T]],
) -> tuple[T, bool]:
    """Read with ``read`` as the identity, else with this session's break-the-glass reason;
    audited either way (one entry per read)."""
    subject = str(family_id)
    try:
        passport = await read(identity)
        flagged = False
    except ServiceError as exc:
        if exc.status_code == 404:
            raise NotFoundError(subject) from exc
        if exc.status_code != 403:
            raise
        reason = None
        if exc.code == BREAK_GLASS_REQUIRED:
            reason = await granted_reason(db=db, session_key=session_key, family_id=subject)
        if reason is None:
            await _denied(db, identity, "passport", subject, "паспорт")
            if exc.code == BREAK_GLASS_REQUIRED:
                raise ReasonRequiredError(subject) from exc
            raise AccessDeniedError(subject) from exc
        identity = identity.with_reason(reason)
        passport = await read(identity)
        flagged = True
    await record(
        db=db,
        identity=identity,
        action=Action.READ,
        subject_kind="passport",
        subject_id=subject,
        what="паспорт"
        if identity.role is not Role.MEDICAL_ORGANIZATION
        else "медицинские сведения",
        flagged=flagged,
    )
    return passport, flagged


async def read_request(
    *,
    db: Database,
    services: Services,
    identity: Identity,
    session_key: str,
    request_id: UUID,
    audit: bool = True,
) -> tuple[dict[str, Any], bool]:
    """The request (an agency worker gets the minimal view) and whether it was flagged.

    ``audit=False`` only for the live status re-read, which shows no personal data: the page
    it refreshes was audited when opened.
    """
    subject = str(request_id)
    try:
        request = await services.read_request(identity, request_id)
    except ServiceError as exc:
        if exc.status_code != 403:
            raise
        # Refused by the requests service; a reason stated for the family may open it.
        reason = None
        if exc.code == BREAK_GLASS_REQUIRED and exc.family_id:
            reason = await granted_reason(db=db, session_key=session_key, family_id=exc.family_id)
        if reason is None:
            await _denied(db, identity, "request", subject, "заявка")
            if exc.code == BREAK_GLASS_REQUIRED and exc.family_id:
                raise ReasonRequiredError(exc.family_id) from exc
            raise AccessDeniedError(subject) from exc
        identity = identity.with_reason(reason)
        request = await services.read_request(identity, request_id)
    if request is None:
        raise NotFoundError(subject)
    decision = access.request_access(identity, request)
    if identity.role is Role.HQ_COORDINATOR:
        decision = await _hq_decision(services, identity, request)
    if decision.needs_reason:
        # Recorded under another curator: the family may have been handed to the caller.
        current = await _current_curator(services, identity, request)
        decision = access.request_access(identity, request, current_curator=current)
    if decision.needs_reason:
        reason = await granted_reason(
            db=db, session_key=session_key, family_id=str(request["family_id"])
        )
        if reason:
            identity = identity.with_reason(reason)
            decision = access.request_access(identity, request)
    if not decision.allowed:
        await _denied(db, identity, "request", subject, "заявка")
        if decision.needs_reason:
            raise ReasonRequiredError(str(request["family_id"]))
        raise AccessDeniedError(subject)
    view = request
    what = "заявка"
    if identity.role is Role.AGENCY_WORKER:
        view, what = access.agency_view(identity, request), "заявка (вид ведомства)"
    if not audit:
        return view, decision.flagged
    await record(
        db=db,
        identity=identity,
        action=Action.READ,
        subject_kind="request",
        subject_id=subject,
        what=what,
        flagged=decision.flagged,
    )
    return view, decision.flagged


async def _current_curator(
    services: Services, identity: Identity, request: dict[str, Any]
) -> str | None:
    """The family's curator now, if the passport lets the caller read it without a reason.

    The passport opens a family to its own curator only, so a refusal means the caller is
    not (or no longer) the family's curator.
    """
    try:
        passport = await services.read_passport(
            identity.with_reason(None), UUID(str(request["family_id"]))
        )
    except ServiceError as exc:
        if exc.status_code in (403, 404):
            return None
        raise
    curator = passport.get("curator_id")
    return str(curator) if curator else None


async def _hq_decision(
    services: Services, identity: Identity, request: dict[str, Any]
) -> access.RequestAccess:
    """An HQ coordinator sees a request if the passport service lets them see the family."""
    try:
        await services.read_passport(identity, UUID(str(request["family_id"])))
    except ServiceError as exc:
        if exc.status_code in (403, 404):
            return access.RequestAccess(False)
        raise
    return access.RequestAccess(True)


async def record_write(
    *,
    db: Database,
    identity: Identity,
    subject_kind: str,
    subject_id: str,
    what: str,
    action: Action = Action.WRITE,
) -> None:
    """Audit a change made through the gateway."""
    await record(
        db=db,
        identity=identity,
        action=action,
        subject_kind=subject_kind,
        subject_id=subject_id,
        what=what,
    )


async def record_denied_write(
    *, db: Database, identity: Identity, subject_kind: str, subject_id: str, what: str
) -> None:
    """Audit a change the service refused."""
    await record(
        db=db,
        identity=identity,
        action=Action.WRITE,
        subject_kind=subject_kind,
        subject_id=subject_id,
        what=what,
        flagged=True,
        outcome=Outcome.DENIED,
    )


async def record_denied_read(
    *, db: Database, identity: Identity, subject_kind: str, subject_id: str, what: str
) -> None:
    """Audit a read refused as outside the caller's scope."""
    await _denied(db, identity, subject_kind, subject_id, what)
