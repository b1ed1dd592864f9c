"""The agency inbox: my agency's requests (minimal view) and the decisions on them."""

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from patronage_common.identity import Role
from patronage_common.runtime import RuntimeDep
from patronage_contracts import AgencyTaskStatus

from .. import guarded
from ..audit.models import Action
from ..guarded import AccessDeniedError, NotFoundError
from ..inbox import flows
from ..web.deps import ServicesDep, User, require
from ..web.render import render

router = APIRouter(tags=["pages"], include_in_schema=False)

Worker = Annotated[User, require(Role.AGENCY_WORKER)]
ACTION_RU = {
    "accepted": "Принять",
    "in_progress": "В работе",
    "needs_info": "Запросить сведения",
    "resolved": "Решить",
    "rejected": "Отказать",
}


def agency_of(user: User) -> str:
    """The worker's agency."""
    if user.identity.agency is None:
        raise AccessDeniedError(user.identity.subject)
    return user.identity.agency.value


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request, user: Worker, services: ServicesDep) -> Response:
    """Open tasks of the worker's agency and the latest closed ones."""
    agency_of(user)
    return render(
        request,
        "inbox.html",
        user,
        open_tasks=await flows.agency_tasks(services, user.identity),
        closed_tasks=await flows.agency_tasks(services, user.identity, closed=True, limit=20),
    )


async def _task_page(
    request: Request,
    user: User,
    services: ServicesDep,
    runtime: RuntimeDep,
    task_id: UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    text: str = "",
) -> Response:
    try:
        task = await flows.read_task(services, user.identity, task_id)
    except flows.TaskNotFoundError as exc:
        raise NotFoundError(str(task_id)) from exc
    except flows.NotYourAgencyError as exc:
        await guarded.record_denied_read(
            db=runtime.db,
            identity=user.identity,
            subject_kind="request",
            subject_id=str(task_id),
            what="задача ведомства",
        )
        raise AccessDeniedError(str(task_id)) from exc
    await guarded.record_write(
        db=runtime.db,
        identity=user.identity,
        subject_kind="request",
        subject_id=task["request_id"],
        what="задача ведомства",
        action=Action.READ,
    )
    return render(
        request,
        "inbox_task.html",
        user,
        status_code=status_code,
        task=task,
        actions=[(a, ACTION_RU[a]) for a in task["next_statuses"]],
        # One key per shown form: sending it twice (a double click) changes nothing.
        report_id=uuid4(),
        errors=errors or {},
        text=text,
    )


@router.get("/inbox/{task_id}", response_class=HTMLResponse)
async def inbox_task(
    request: Request, task_id: UUID, user: Worker, services: ServicesDep, runtime: RuntimeDep
) -> Response:
    """One task in the agency's minimal view, with the decisions possible now."""
    return await _task_page(request, user, services, runtime, task_id)


@router.post("/inbox/{task_id}", response_class=HTMLResponse)
async def decide(
    request: Request, task_id: UUID, user: Worker, services: ServicesDep, runtime: RuntimeDep
) -> Response:
    """Send the worker's decision to the requests service."""
    form = await request.form()
    status_value = str(form.get("status", ""))
    text = str(form.get("text", "")).strip()
    try:
        status = AgencyTaskStatus(status_value)
        report_id = UUID(str(form.get("report_id"))) if form.get("report_id") else None
        task = await flows.report_status(
            services, user.identity, task_id, status, text or None, report_id
        )
    except ValueError as exc:
        field = getattr(exc, "field", "status")
        message = str(exc) if isinstance(exc, flows.ActionRefusedError) else "Выберите действие"
        return await _task_page(
            request,
            user,
            services,
            runtime,
            task_id,
            status_code=422,
            errors={field: message},
            text=text,
        )
    except flows.NotYourAgencyError as exc:
        await guarded.record_denied_write(
            db=runtime.db,
            identity=user.identity,
            subject_kind="request",
            subject_id=str(task_id),
            what=f"статус {status_value}",
        )
        raise AccessDeniedError(str(task_id)) from exc
    except flows.TaskNotFoundError as exc:
        raise NotFoundError(str(task_id)) from exc
    await guarded.record_write(
        db=runtime.db,
        identity=user.identity,
        subject_kind="request",
        subject_id=task["request_id"],
        what=f"статус {status.value}",
    )
    return RedirectResponse(f"/inbox/{task_id}", status_code=303)
