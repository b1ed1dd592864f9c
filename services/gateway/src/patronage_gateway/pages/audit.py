"""The auditor's search of the audit log: by day, actor and subject."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from patronage_common.identity import Role
from patronage_common.runtime import RuntimeDep
from patronage_contracts import utc_now

from ..audit import service
from ..audit.models import AuditQuery
from ..web.deps import User, require
from ..web.render import render

router = APIRouter(tags=["pages"], include_in_schema=False)

Auditor = Annotated[User, require(Role.AUDITOR, Role.REGIONAL_ADMIN)]


@router.get("/audit", response_class=HTMLResponse)
async def audit_log(
    request: Request,
    user: Auditor,
    runtime: RuntimeDep,
    day: Annotated[str, Query(max_length=10)] = "",
    actor: Annotated[str, Query(max_length=100)] = "",
    subject: Annotated[str, Query(max_length=100)] = "",
    flagged_only: bool = False,
) -> Response:
    """Entries of one day (today by default), optionally of one actor or subject, or only
    the flagged ones (reads out of scope, refusals)."""
    errors: dict[str, str] = {}
    try:
        chosen = date.fromisoformat(day) if day else utc_now().date()
    except ValueError:
        chosen = utc_now().date()
        errors["day"] = "Неверная дата: ожидается ГГГГ-ММ-ДД"
    query = AuditQuery(
        day=chosen,
        actor=actor.strip() or None,
        subject_id=subject.strip() or None,
        flagged_only=flagged_only,
    )
    entries = await service.search(db=runtime.db, query=query)
    return render(
        request,
        "audit.html",
        user,
        entries=entries,
        day=chosen.isoformat(),
        actor=actor,
        subject=subject,
        flagged_only=flagged_only,
        errors=errors,
    )
