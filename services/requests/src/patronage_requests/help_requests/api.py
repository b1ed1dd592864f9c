"""HTTP routes of help requests: intake, reading, lists, and people's and agencies' actions.

Every route checks the gateway's signed identity (``access``): out of scope is a 403 with
a reason in Russian; an agency worker gets only the agency's minimal view.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response, status
from patronage_common.access import (
    AccessDeniedError,
    Caller,
    CallerDep,
    access_denied,
    actor_of,
    enforce,
)
from patronage_common.app import ExceptionHandler
from patronage_common.identity import Identity, IdentityDep
from patronage_common.runtime import RuntimeDep, ServiceRuntime
from patronage_common.store import Document
from patronage_contracts import Agency, AgencyTaskStatus, RequestStatus
from pydantic_core import to_json

from ..families.flows import FamilyNotFoundError, family_for_request
from ..families.service import get_family
from ..request_lists import service as lists
from ..settings import RequestsSettings
from ..sla.badges import badges_by_request
from ..sla.clock import Clock
from ..sla.deps import get_clock
from . import access, domain, flows, service
from .changes import ActionInvalidError, ActionRefusedError
from .models import (
    AgencyQuestionIn,
    AgencyRejectionIn,
    AgencyReportIn,
    AgencyRequestView,
    AgencyResultIn,
    FeedbackIn,
    HelpRequestCreate,
    HelpRequestRead,
    InfoAnswer,
    RequestCancel,
    RequestClose,
    RequestLine,
    RequestReopen,
    SlaBadgeRead,
    TaskReroute,
)

router = APIRouter(prefix="/requests", tags=["requests"])
family_router = APIRouter(prefix="/families", tags=["requests"])

NOT_FOUND = "заявка не найдена"
TASK_NOT_FOUND = "у заявки нет такой задачи"
RequestView = HelpRequestRead | AgencyRequestView


EXCEPTION_HANDLERS: dict[type[Exception], ExceptionHandler] = {AccessDeniedError: access_denied}


def _invalid(field: str, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own field errors."""
    detail = [{"loc": ["body", field], "msg": message, "type": "value_error"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _query_invalid(field: str, message: str) -> HTTPException:
    detail = [{"loc": ["query", field], "msg": message, "type": "value_error"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


async def _family_of(runtime: ServiceRuntime, document: Document) -> Document | None:
    return await get_family(db=runtime.db, family_id=UUID(document["family_id"]))


ClockDep = Annotated[Clock, Depends(get_clock)]


async def _with_sla(
    runtime: ServiceRuntime, clock: Clock, views: list[RequestView]
) -> list[RequestView]:
    """The people's views with their SLA badges (an agency's minimal view has none)."""
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    ids = [v.request_id for v in views if isinstance(v, HelpRequestRead)]
    badges = await badges_by_request(
        db=runtime.db, request_ids=ids, now=clock.now(), settings=settings
    )
    return [
        v.model_copy(
            update={"sla": [SlaBadgeRead.model_validate(b) for b in badges.get(v.request_id, [])]}
        )
        if isinstance(v, HelpRequestRead)
        else v
        for v in views
    ]


def _view(identity: Identity | None, document: Document, family: Document | None) -> RequestView:
    """The request as the caller may see it."""
    if access.is_agency_view(identity):
        assert identity is not None
        assert identity.agency is not None
        return AgencyRequestView.model_validate(
            service.to_agency_view(document, family, identity.agency)
        )
    return HelpRequestRead.model_validate(service.to_api(document))


async def _readable(runtime: ServiceRuntime, who: Caller, request_id: UUID) -> Document:
    document = await service.get_request(db=runtime.db, request_id=request_id)
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    enforce(access.may_read(who.identity, document, await _family_of(runtime, document)))
    return document


async def _acted(action: Awaitable[Document]) -> Document:
    """Run an action flow and translate its refusals into HTTP errors."""
    try:
        return await action
    except flows.RequestNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from exc
    except flows.TaskNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, TASK_NOT_FOUND) from exc
    except ActionRefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except ActionInvalidError as exc:
        raise _invalid(exc.field, str(exc)) from exc


async def _person_acts(
    runtime: ServiceRuntime,
    who: Caller,
    request_id: UUID,
    action: domain.RequestAction,
    run: Callable[[], Awaitable[Document]],
) -> dict[str, Any]:
    """A person's action on the request, if their identity reaches it."""
    document = await service.get_request(db=runtime.db, request_id=request_id)
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    family = await _family_of(runtime, document)
    enforce(access.may_act(who.identity, action, document, family))
    return service.to_api(await _acted(run()))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HelpRequestRead)
async def create_request(
    data: HelpRequestCreate, runtime: RuntimeDep, who: CallerDep
) -> dict[str, object]:
    """Register a help request and route it to the responsible agencies."""
    try:
        family = await family_for_request(
            runtime=runtime,
            family_id=data.family_id,
            need_id=data.need_id,
            plan_item_id=data.plan_item_id,
        )
        enforce(access.may_create(who.identity, family))
        request_id = await flows.create_help_request(runtime=runtime, data=data, actor=who.actor)
    except FamilyNotFoundError as exc:
        raise _invalid("family_id", str(exc)) from exc
    except ActionInvalidError as exc:
        raise _invalid(exc.field, str(exc)) from exc
    document = await service.get_request(db=runtime.db, request_id=request_id)
    assert document is not None
    return service.to_api(document)


TASK_STATES = frozenset({*(s.value for s in AgencyTaskStatus), *domain.TASK_STATE_RU})


@router.get("", response_model=list[RequestView])
async def list_requests(
    runtime: RuntimeDep,
    who: CallerDep,
    clock: ClockDep,
    family_id: Annotated[UUID | None, Query(description="Заявки этой семьи")] = None,
    curator_id: Annotated[
        str | None, Query(max_length=100, description="Заявки семей этого куратора")
    ] = None,
    agency: Annotated[Agency | None, Query(description="Заявки с задачей этого ведомства")] = None,
    status_: Annotated[
        list[str] | None,
        Query(
            alias="status",
            description="Только в этих статусах (можно несколько); для списка ведомства — "
            "статус задачи ведомства (sent, accepted, …, cancelled, handed_off)",
        ),
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=100, description="Размер страницы")] = None,
    offset: Annotated[int, Query(ge=0, description="Сколько пропустить")] = 0,
) -> list[RequestView]:
    """Requests of a family, of a curator's families or with a task for an agency; newest
    first, a page at a time (``offset``/``limit``; the family list is whole by default)."""
    chosen = [
        name
        for name, v in (("family_id", family_id), ("curator_id", curator_id), ("agency", agency))
        if v is not None
    ]
    if len(chosen) != 1:
        raise _query_invalid("family_id", "укажите одно из: family_id, curator_id или agency")
    wanted = set(status_ or [])
    known = TASK_STATES if agency is not None else {s.value for s in RequestStatus}
    if unknown := wanted - known:
        raise _query_invalid("status", f"неизвестный статус: {', '.join(sorted(unknown))}")
    identity = who.identity
    if family_id is not None:
        # The family (for the access check) and its requests are read concurrently: an
        # unreadable family's requests are read in vain, but a family page waits for one
        # store round trip fewer.
        family, listed = await asyncio.gather(
            get_family(db=runtime.db, family_id=family_id),
            service.requests_of_family(db=runtime.db, family_id=family_id),
        )
        enforce(access.may_list_family(identity, family))
        documents = [
            d
            for d in listed
            if (not wanted or d["status"] in wanted) and access.visible_in_family_list(identity, d)
        ]
        page = documents[offset : offset + limit if limit else None]
        return await _with_sla(runtime, clock, [_view(identity, d, family) for d in page])
    if curator_id is not None:
        enforce(access.may_list_curator(identity, curator_id))
        scope, task_agency = lists.curator_scope(curator_id), None
    else:
        assert agency is not None
        enforce(access.may_list_agency(identity, agency))
        scope, task_agency = lists.agency_scope(agency.value), agency.value
    ids = await lists.page_of(
        db=runtime.db,
        scope=scope,
        statuses=wanted,
        agency=task_agency,
        offset=offset,
        limit=limit or 20,
    )
    views: list[RequestView] = []
    for request_id in ids:
        document = await service.get_request(db=runtime.db, request_id=request_id)
        if document is None:
            continue
        family = await _family_of(runtime, document)
        if agency is not None:
            views.append(
                AgencyRequestView.model_validate(service.to_agency_view(document, family, agency))
            )
        else:
            views.append(_view(identity, document, family))
    return await _with_sla(runtime, clock, views)


@family_router.get(
    "/{family_id}/requests",
    response_model=list[RequestLine],
    responses={403: {"description": "Семья вне области видимости"}},
)
async def family_request_lines(family_id: UUID, runtime: RuntimeDep, who: CallerDep) -> Response:
    """A family's requests, newest first, as its page lists them (what each is for, its
    status, when it came); the same scope as ``GET /requests?family_id=``, fewer fields.

    A request created a moment ago is listed (its family index link is read even before it
    is folded in), and each status is the stored request's own.
    """
    family, listed = await asyncio.gather(
        get_family(db=runtime.db, family_id=family_id),
        service.request_lines_of_family(db=runtime.db, family_id=family_id),
    )
    enforce(access.may_list_family(who.identity, family))
    lines = [service.to_line(d) for d in listed if access.visible_in_family_list(who.identity, d)]
    # The stored values were validated when written: encoded as they are by pydantic-core
    # (the shape ``RequestLine`` documents), with no model object per line.
    return Response(to_json(lines), media_type="application/json")


@router.get("/tasks/{task_id}", response_model=RequestView)
async def read_request_of_task(
    task_id: UUID, runtime: RuntimeDep, who: CallerDep, clock: ClockDep
) -> RequestView:
    """The request an agency task belongs to (an agency worker: only their agency's task)."""
    request_id = await lists.request_of_task(db=runtime.db, task_id=task_id)
    if request_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, TASK_NOT_FOUND)
    document = await _readable(runtime, who, UUID(request_id))
    task = next(t for t in document["tasks"] if t["task_id"] == str(task_id))
    if access.is_agency_view(who.identity):
        enforce(access.may_report(who.identity, task))
    views = [_view(who.identity, document, await _family_of(runtime, document))]
    return (await _with_sla(runtime, clock, views))[0]


@router.get("/{request_id}", response_model=RequestView)
async def read_request(
    request_id: UUID, runtime: RuntimeDep, who: CallerDep, clock: ClockDep
) -> RequestView:
    """A help request with its agency tasks (an agency worker: its agency's minimal view)."""
    document = await _readable(runtime, who, request_id)
    views = [_view(who.identity, document, await _family_of(runtime, document))]
    return (await _with_sla(runtime, clock, views))[0]


@router.post("/{request_id}/answer", response_model=HelpRequestRead)
async def answer_question(
    request_id: UUID, data: InfoAnswer, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Answer the agency's question; the request resumes where it was."""
    return await _person_acts(
        runtime,
        who,
        request_id,
        domain.RequestAction.ANSWER,
        lambda: flows.answer_question(
            runtime=runtime, request_id=request_id, data=data, actor=who.actor
        ),
    )


@router.post("/{request_id}/close", response_model=HelpRequestRead)
async def close_request(
    request_id: UUID, data: RequestClose, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Close a resolved or rejected request."""
    return await _person_acts(
        runtime,
        who,
        request_id,
        domain.RequestAction.CLOSE,
        lambda: flows.close_request(
            runtime=runtime, request_id=request_id, comment=data.comment, actor=who.actor
        ),
    )


@router.post("/{request_id}/reopen", response_model=HelpRequestRead)
async def reopen_request(
    request_id: UUID, data: RequestReopen, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Reopen a resolved or closed request; the agencies get their tasks back."""
    return await _person_acts(
        runtime,
        who,
        request_id,
        domain.RequestAction.REOPEN,
        lambda: flows.reopen_request(
            runtime=runtime, request_id=request_id, reason=data.reason, actor=who.actor
        ),
    )


@router.post("/{request_id}/cancel", response_model=HelpRequestRead)
async def cancel_request(
    request_id: UUID, data: RequestCancel, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Cancel an open request; the agencies are told to stop."""
    return await _person_acts(
        runtime,
        who,
        request_id,
        domain.RequestAction.CANCEL,
        lambda: flows.cancel_request(
            runtime=runtime, request_id=request_id, reason=data.reason, actor=who.actor
        ),
    )


@router.post("/{request_id}/reroute", response_model=HelpRequestRead)
async def reroute_task(
    request_id: UUID, data: TaskReroute, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Hand one agency's task off to another agency."""
    return await _person_acts(
        runtime,
        who,
        request_id,
        domain.RequestAction.REROUTE,
        lambda: flows.reroute_task(
            runtime=runtime, request_id=request_id, data=data, actor=who.actor
        ),
    )


@router.post("/{request_id}/feedback", response_model=HelpRequestRead)
async def give_feedback(
    request_id: UUID,
    data: FeedbackIn,
    runtime: RuntimeDep,
    identity: IdentityDep,
    actor: Annotated[str | None, Header(alias="X-Actor", description="Кто действует")] = None,
) -> dict[str, Any]:
    """The family rates a resolved or closed request; a low rating alerts the curator."""
    who = Caller(identity, actor_of(identity, actor, "family"))
    return await _person_acts(
        runtime,
        who,
        request_id,
        domain.RequestAction.FEEDBACK,
        lambda: flows.give_feedback(
            runtime=runtime, request_id=request_id, data=data, actor=who.actor
        ),
    )


# --- the agency's side: a worker's decisions on their agency's task ---------------------

TaskPath = Annotated[UUID, Path(description="Задача ведомства в заявке")]


async def _agency_reports(
    runtime: ServiceRuntime,
    who: Caller,
    request_id: UUID,
    task_id: UUID,
    status_: AgencyTaskStatus,
    data: AgencyReportIn,
    texts: dict[str, str] | None = None,
) -> AgencyRequestView:
    """Apply the decision as the agency's status message would be applied."""
    document = await _acted(
        flows.report_task_status(
            runtime=runtime,
            request_id=request_id,
            task_id=task_id,
            status=status_,
            texts=texts or {},
            report_id=data.report_id,
            actor=who.actor,
            authorize=lambda task: enforce(access.may_report(who.identity, task)),
        )
    )
    task = next(t for t in document["tasks"] if t["task_id"] == str(task_id))
    view = service.to_agency_view(
        document, await _family_of(runtime, document), Agency(task["agency"])
    )
    return AgencyRequestView.model_validate(view)


@dataclass(frozen=True)
class AgencyDecision:
    """One decision a worker takes on their agency's task, served at ``…/tasks/{task}/<path>``.

    Applied exactly as the agency's status message with ``status`` would be; ``text``
    names the body field (its model requires it) that carries the question, the result
    or the reason; without one the body is optional.
    """

    path: str
    name: str
    status: AgencyTaskStatus
    body: type[AgencyReportIn]
    text: str | None
    description: str


AGENCY_DECISIONS = (
    AgencyDecision(
        "accept",
        "accept_task",
        AgencyTaskStatus.ACCEPTED,
        AgencyReportIn,
        None,
        "The agency takes the task (409 if the task cannot be accepted now).",
    ),
    AgencyDecision(
        "start",
        "start_task",
        AgencyTaskStatus.IN_PROGRESS,
        AgencyReportIn,
        None,
        "The agency starts working on the task (in progress).",
    ),
    AgencyDecision(
        "ask",
        "ask_for_information",
        AgencyTaskStatus.NEEDS_INFO,
        AgencyQuestionIn,
        "question",
        "The agency needs information; the request waits for the answer.",
    ),
    AgencyDecision(
        "resolve",
        "resolve_task",
        AgencyTaskStatus.RESOLVED,
        AgencyResultIn,
        "result",
        "The agency did its part: what was done.",
    ),
    AgencyDecision(
        "reject",
        "reject_task",
        AgencyTaskStatus.REJECTED,
        AgencyRejectionIn,
        "reason",
        "The agency refuses the task, with the reason.",
    ),
)


def _agency_decision_route(decision: AgencyDecision) -> Callable[..., Awaitable[AgencyRequestView]]:
    """The route of one decision: its body model validated, then ``_agency_reports``."""

    async def decide(
        request_id: UUID,
        task_id: TaskPath,
        runtime: RuntimeDep,
        who: CallerDep,
        data: AgencyReportIn | None = None,
    ) -> AgencyRequestView:
        report = data or AgencyReportIn()
        texts = {}
        if decision.text is not None:
            text = getattr(report, decision.text)
            assert isinstance(text, str)  # the body model requires it
            texts[decision.text] = text
        return await _agency_reports(
            runtime, who, request_id, task_id, decision.status, report, texts
        )

    # FastAPI validates and documents the body by the parameter's annotation: give each
    # decision its own model, required when it carries a text.
    optional = decision.text is None
    signature = inspect.signature(decide)
    data = signature.parameters["data"].replace(
        annotation=decision.body | None if optional else decision.body,
        default=None if optional else inspect.Parameter.empty,
    )
    parameters = [data if p.name == "data" else p for p in signature.parameters.values()]
    decide.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    decide.__name__ = decide.__qualname__ = decision.name
    return decide


for _decision in AGENCY_DECISIONS:
    router.add_api_route(
        f"/{{request_id}}/tasks/{{task_id}}/{_decision.path}",
        _agency_decision_route(_decision),
        methods=["POST"],
        response_model=AgencyRequestView,
        name=_decision.name,
        description=_decision.description,
    )
