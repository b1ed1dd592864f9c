"""Public REST API: thin routes over the same scoped, audited flows as the UI."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response, status
from patronage_common.identity import Role
from patronage_common.runtime import RuntimeDep
from patronage_contracts import AgencyTaskStatus, NeedCategory, Urgency
from pydantic import BaseModel, ConfigDict, Field

from .. import guarded
from ..access import PASSPORT_READERS, REQUEST_CREATORS
from ..accounts import flows as accounts
from ..audit import service as audit_store
from ..audit.models import AuditEntry, AuditQuery
from ..clients import ServiceError
from ..inbox import flows as inbox
from ..intake import RequestFormError, create_help_request
from ..pages.families import session_key
from ..web.deps import ServicesDep, User, UserDep, require, settings_of
from ..web.render import label, language_of

router = APIRouter(prefix="/api", tags=["public API"])

Reader = Annotated[User, require(*PASSPORT_READERS)]
Creator = Annotated[User, require(*REQUEST_CREATORS)]
Worker = Annotated[User, require(Role.AGENCY_WORKER)]
Auditor = Annotated[User, require(Role.AUDITOR, Role.REGIONAL_ADMIN)]


class TokenRequest(BaseModel):
    """Login and password for an API token."""

    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    """A bearer token for the API."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class RequestCreate(BaseModel):
    """A new help request."""

    model_config = ConfigDict(extra="forbid")

    family_id: UUID
    category: NeedCategory
    description: str = Field(min_length=3, max_length=4000)
    urgency: Urgency = Urgency.NORMAL


class StatusReport(BaseModel):
    """An agency worker's decision on a task."""

    model_config = ConfigDict(extra="forbid")

    status: AgencyTaskStatus
    text: str | None = Field(default=None, max_length=4000)
    report_id: UUID | None = Field(
        default=None, description="Ключ идемпотентности: повтор с тем же ключом ничего не меняет"
    )


@router.post("/token", response_model=TokenResponse)
async def issue_token(data: TokenRequest, runtime: RuntimeDep) -> TokenResponse:
    """A bearer token for the API (same lockout as the login form)."""
    settings = settings_of(runtime)
    try:
        account = await accounts.authenticate(
            db=runtime.db, settings=settings, login=data.login, password=data.password
        )
    except accounts.LoginLockedError as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"слишком много неудачных попыток: повторите через {exc.seconds} с",
            headers={"Retry-After": str(exc.seconds)},
        ) from exc
    except accounts.LoginFailedError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "неверный логин или пароль") from exc
    token, _ = await accounts.open_session(
        db=runtime.db, identity=account.identity(), kind="api", ttl_s=settings.api_token_ttl_s
    )
    return TokenResponse(access_token=token, expires_in=settings.api_token_ttl_s)


@router.get("/me")
async def me(user: UserDep) -> dict[str, Any]:
    """Who the token or session belongs to."""
    return user.identity.model_dump(mode="json", exclude_none=True)


@router.get("/passports/{family_id}")
async def read_passport(
    request: Request, family_id: UUID, user: Reader, services: ServicesDep, runtime: RuntimeDep
) -> Response:
    """A family's passport (scoped by the passport service, audited)."""
    passport, _ = await guarded.read_passport_json(
        db=runtime.db,
        services=services,
        identity=user.identity,
        session_key=session_key(request),
        family_id=family_id,
    )
    # The passport service's JSON as it is: parsing and encoding it again would change nothing.
    return Response(passport, media_type="application/json")


@router.get("/families")
async def search_families(
    user: Reader,
    services: ServicesDep,
    phone: str | None = None,
    name: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Find families by phone or name (a curator: only their own families)."""
    criteria: dict[str, Any] = {"phone": phone, "name": name, "limit": limit}
    if user.role is Role.CURATOR:
        criteria["curator_id"] = user.identity.subject
    elif user.role is Role.DISTRICT_HEAD:
        criteria["district"] = user.identity.district
    elif user.role is Role.HQ_COORDINATOR:
        criteria["hq"] = user.identity.hq
    try:
        return await services.search_passports(user.identity, **criteria)
    except ServiceError as exc:
        raise HTTPException(exc.status_code, exc.detail) from exc


@router.get("/requests/{request_id}")
async def read_request(
    request: Request, request_id: UUID, user: UserDep, services: ServicesDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """A help request (an agency worker gets the minimal view); scoped and audited."""
    view, _ = await guarded.read_request(
        db=runtime.db,
        services=services,
        identity=user.identity,
        session_key=session_key(request),
        request_id=request_id,
    )
    return view


@router.get("/requests/{request_id}/status")
async def request_status(
    request: Request, request_id: UUID, user: UserDep, services: ServicesDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Only the statuses of a request and its tasks (labels in the page's language): what the
    live page re-reads when a notification arrives."""
    view, _ = await guarded.read_request(
        db=runtime.db,
        services=services,
        identity=user.identity,
        session_key=session_key(request),
        request_id=request_id,
        audit=False,
    )
    lang = language_of(request)
    return {
        "status": view["status"],
        "status_label": label("status", view["status"], lang),
        "tasks": [
            {
                "task_id": t["task_id"],
                "status": t["status"],
                "status_label": label("status", t["status"], lang),
                "note": t.get("note"),
            }
            for t in view["tasks"]
        ],
    }


@router.post("/requests", status_code=status.HTTP_201_CREATED)
async def create_request(
    data: RequestCreate, user: Creator, services: ServicesDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Create a help request for a family."""
    values = {k: str(v) for k, v in data.model_dump(mode="json").items()}
    try:
        return await create_help_request(runtime, services, user, data.family_id, values)
    except RequestFormError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, exc.errors) from exc


@router.get("/inbox")
async def inbox_tasks(user: Worker, services: ServicesDep) -> list[dict[str, Any]]:
    """Open tasks of the worker's agency (minimal view), newest first."""
    return await inbox.agency_tasks(services, user.identity)


@router.post("/inbox/{task_id}/status")
async def report_status(
    task_id: UUID,
    data: Annotated[StatusReport, Body()],
    user: Worker,
    services: ServicesDep,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Report a decision on a task of the worker's agency."""
    try:
        task = await inbox.report_status(
            services, user.identity, task_id, data.status, data.text, data.report_id
        )
    except inbox.TaskNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "задача не найдена") from exc
    except inbox.NotYourAgencyError as exc:
        await guarded.record_denied_write(
            db=runtime.db,
            identity=user.identity,
            subject_kind="request",
            subject_id=str(task_id),
            what=f"статус {data.status.value}",
        )
        raise HTTPException(status.HTTP_403_FORBIDDEN, "задача другого ведомства") from exc
    except inbox.ActionRefusedError as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT if exc.field == "status" else 422,
            [{"loc": ["body", exc.field], "msg": str(exc), "type": "value_error"}],
        ) from exc
    await guarded.record_write(
        db=runtime.db,
        identity=user.identity,
        subject_kind="request",
        subject_id=task["request_id"],
        what=f"статус {data.status.value}",
    )
    return {"task_id": str(task_id), "status": task["status"]}


@router.get("/audit", response_model=list[AuditEntry])
async def search_audit(
    user: Auditor,
    runtime: RuntimeDep,
    day: date,
    actor: str | None = None,
    subject: str | None = None,
    flagged_only: bool = False,
) -> list[AuditEntry]:
    """Audit entries of one day, optionally of one actor or subject, or only flagged ones."""
    query = AuditQuery(day=day, actor=actor, subject_id=subject, flagged_only=flagged_only)
    return await audit_store.search(db=runtime.db, query=query)
