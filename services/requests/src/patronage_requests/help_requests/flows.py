"""Help-request use cases: create and route, apply agency reports, people's actions."""

from collections.abc import Callable, Sequence
from uuid import UUID, uuid4

from patronage_common.locks import locked
from patronage_common.messaging import MessageRefused
from patronage_common.outbox import NewDocument
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document
from patronage_common.telemetry import current_trace_context
from patronage_contracts import (
    Agency,
    AgencyTaskRef,
    AgencyTaskStatus,
    AgencyTaskStatusReported,
    Message,
    RequestCreated,
    RequestRouted,
    RequestStatus,
    utc_now,
)

from ..deps import get_router
from ..families.flows import family_for_request
from ..settings import RequestsSettings
from . import changes, domain, service
from .changes import ActionInvalidError, ActionRefusedError, Flow
from .models import FeedbackIn, HelpRequestCreate, InfoAnswer, TaskReroute
from .service import REQUESTS, get_request


class RequestNotFoundError(LookupError):
    """No help request with that id."""


def _check_links(family: Document, data: HelpRequestCreate) -> None:
    """The need, plan item and member a request names must be the family's."""
    if data.need_id is not None and str(data.need_id) not in family.get("need_ids", []):
        raise ActionInvalidError("need_id", "в паспорте семьи нет такой потребности")
    if data.plan_item_id is not None and str(data.plan_item_id) not in family.get(
        "plan_item_ids", []
    ):
        raise ActionInvalidError("plan_item_id", "в плане сопровождения семьи нет такого пункта")
    members = {m["member_id"] for m in family.get("members", [])}
    if data.member_id is not None and str(data.member_id) not in members:
        raise ActionInvalidError("member_id", "в семье нет такого человека")


def knows_links(family: Document, data: HelpRequestCreate) -> bool:
    """Whether the snapshot lists the need and plan item the request names."""
    return (data.need_id is None or str(data.need_id) in family.get("need_ids", [])) and (
        data.plan_item_id is None or str(data.plan_item_id) in family.get("plan_item_ids", [])
    )


async def create_help_request(
    *, runtime: ServiceRuntime, data: HelpRequestCreate, actor: str, request_id: UUID | None = None
) -> UUID:
    """Register a request, split it into agency tasks and send each to its agency.

    A caller that must not create the request twice (a proactive rule retrying after a
    crash) passes its own ``request_id``: a second attempt raises ``DuplicateKeyError``.
    Concurrent creates of the process are stored together (``store_new_request``).
    """
    new = await new_help_request(runtime=runtime, data=data, actor=actor, request_id=request_id)
    await store_new_request(runtime=runtime, new=new)
    return UUID(new.document["_id"])


async def store_new_request(*, runtime: ServiceRuntime, new: NewDocument) -> None:
    """Store a new request with its events, grouped with the process's concurrent creates.

    The family index lists the group's ids before the requests are stored (an id whose
    request was never stored is skipped when listing); ``DuplicateKeyError`` if the id
    exists.
    """

    async def index_group(documents: Sequence[Document]) -> None:
        await service.add_to_family_indexes(db=runtime.db, documents=documents)

    await runtime.outbox.grouped(REQUESTS, before=index_group).submit(new)


async def new_help_request(
    *,
    runtime: ServiceRuntime,
    data: HelpRequestCreate,
    actor: str,
    request_id: UUID | None,
    family: Document | None = None,
) -> NewDocument:
    """The new request's document and the events its creation causes (nothing stored).

    ``family``: the family's snapshot if the caller has just read it (for a batch of
    requests, say); it is read again if it does not know the request's need or plan item.
    Raises ``FamilyNotFoundError`` or ``ActionInvalidError`` for a request that cannot be.
    """
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    if family is None or not knows_links(family, data):
        family = await family_for_request(
            runtime=runtime,
            family_id=data.family_id,
            need_id=data.need_id,
            plan_item_id=data.plan_item_id,
        )
    _check_links(family, data)
    agencies = get_router(settings.routing_file).agencies_for(data.category, family.get("district"))
    request_id = request_id or uuid4()
    now = utc_now()
    tasks = [changes.new_task(agency, now) for agency in agencies]
    document: Document = {
        "_id": str(request_id),
        "family_id": str(data.family_id),
        **data.model_dump(mode="json", exclude={"family_id"}),
        "status": RequestStatus.NEW.value,
        "version": 0,
        "district": family.get("district"),
        "hq": family.get("hq"),
        "curator_id": family.get("curator_id"),
        "tasks": tasks,
        "applied_reports": [],
        "feedback": [],
        "attention": None,
        "reopen_count": 0,
        "created_at": now,
        "created_by": actor,
        "updated_at": now,
    }
    created = RequestCreated(
        # The request's own creation time: its first list line is taken from this event.
        occurred_at=now,
        family_id=data.family_id,
        request_id=request_id,
        category=data.category,
        urgency=data.urgency,
        channel=data.channel,
        description=data.description,
        need_id=data.need_id,
        plan_item_id=data.plan_item_id,
        member_id=data.member_id,
        district=family.get("district"),
        hq=family.get("hq"),
        curator_id=family.get("curator_id"),
        created_by=actor,
        trace_context=current_trace_context(),
    )
    flow: Flow = dict(created.caused())
    split = RequestRouted(
        **flow,
        request_id=request_id,
        tasks=tuple(
            AgencyTaskRef(task_id=UUID(t["task_id"]), agency=Agency(t["agency"])) for t in tasks
        ),
    )
    routed = changes.status_changed(
        document, flow=flow, version=1, status=RequestStatus.ROUTED, changed_by=actor, reason=None
    )
    assert routed is not None
    events: list[Message] = [
        created,
        split,
        routed,
        *(changes.handle_command(document, task, family, flow=flow) for task in tasks),
    ]
    document.update(
        status=RequestStatus.ROUTED.value,
        version=1,
        correlation_id=str(created.correlation_id),
        status_history=[changes.history_entry(routed)],
    )
    return NewDocument(document, events)


async def apply_agency_status(
    *, runtime: ServiceRuntime, report: AgencyTaskStatusReported, topic_agency: Agency
) -> None:
    """Apply an agency's status report to its task and the request, exactly once.

    A report from the wrong agency or for an unknown request is refused (to the DLQ);
    a transition the task cannot make is recorded as AgencyTransitionRefused.
    """
    if report.agency != topic_agency:
        raise MessageRefused(
            f"report names agency {report.agency.value} but came on the "
            f"{topic_agency.value} status topic"
        )
    try:
        await _apply_report(runtime, report, refuse_invalid=False)
    except RequestNotFoundError as exc:
        raise MessageRefused(f"unknown request {report.request_id}") from exc


async def _apply_report(
    runtime: ServiceRuntime, report: AgencyTaskStatusReported, *, refuse_invalid: bool
) -> Document:
    """The one way an agency's report reaches a request: from its status topic or the API.

    ``refuse_invalid`` (the API) raises ``ActionRefusedError`` for a transition the task
    cannot make; a status message instead records it as AgencyTransitionRefused.
    """
    async with locked(runtime.db, f"{REQUESTS}:{report.request_id}"):
        document = await get_request(db=runtime.db, request_id=report.request_id)
        if document is None:
            raise RequestNotFoundError(str(report.request_id))
        if document["family_id"] != str(report.family_id):
            raise MessageRefused(f"request {report.request_id} belongs to another family")
        task = next((t for t in document["tasks"] if t["task_id"] == str(report.task_id)), None)
        if task is None or task["agency"] != report.agency.value:
            raise MessageRefused(
                f"task {report.task_id} of request {report.request_id} is not the "
                f"{report.agency.value} agency's"
            )
        if str(report.event_id) in document.get("applied_reports", []):
            return document
        if refuse_invalid and not domain.can_move_task(task["status"], report.status):
            raise ActionRefusedError(domain.refusal_reason(task["status"], report.status))
        update, events = changes.agency_report(document, report, utc_now())
        updated = await runtime.outbox.update(REQUESTS, document["_id"], update, events)
    assert updated is not None
    return updated


class TaskNotFoundError(LookupError):
    """The request has no task with that id."""


async def report_task_status(
    *,
    runtime: ServiceRuntime,
    request_id: UUID,
    task_id: UUID,
    status: AgencyTaskStatus,
    texts: dict[str, str],
    report_id: UUID | None,
    actor: str,
    authorize: Callable[[Document], None],
) -> Document:
    """An agency worker's decision through the API, applied as their agency's status
    message would be (same checks, transitions, events); ``report_id`` makes a repeat a
    no-op. ``authorize`` sees the task first and raises if the caller may not report on it.
    """
    document = await get_request(db=runtime.db, request_id=request_id)
    if document is None:
        raise RequestNotFoundError(str(request_id))
    task = next((t for t in document["tasks"] if t["task_id"] == str(task_id)), None)
    if task is None:
        raise TaskNotFoundError(str(task_id))
    authorize(task)
    report = AgencyTaskStatusReported(
        event_id=report_id or uuid4(),
        correlation_id=UUID(document["correlation_id"])
        if document.get("correlation_id")
        else uuid4(),
        trace_context=current_trace_context(),
        family_id=UUID(document["family_id"]),
        producer=f"agency:{task['agency']}",
        request_id=request_id,
        task_id=task_id,
        agency=Agency(task["agency"]),
        status=status,
        reported_by=actor,
        **texts,
    )
    return await _apply_report(runtime, report, refuse_invalid=True)


def _flow_of(document: Document) -> Flow:
    """Envelope of events caused by a person's action on the request (same business flow)."""
    return {
        "correlation_id": UUID(document["correlation_id"])
        if document.get("correlation_id")
        else uuid4(),
        "trace_context": current_trace_context(),
        "family_id": UUID(document["family_id"]),
    }


async def _act(
    runtime: ServiceRuntime,
    request_id: UUID,
    action: domain.RequestAction,
    change: Callable[[Document, Flow], changes.Change],
) -> Document:
    """Apply a person's action if the request's state allows it; return the request."""
    async with locked(runtime.db, f"{REQUESTS}:{request_id}"):
        document = await get_request(db=runtime.db, request_id=request_id)
        if document is None:
            raise RequestNotFoundError(str(request_id))
        refusal = domain.action_refusal(action, RequestStatus(document["status"]))
        if refusal is not None:
            raise ActionRefusedError(refusal)
        update, events = change(document, _flow_of(document))
        updated = await runtime.outbox.update(REQUESTS, document["_id"], update, events)
    assert updated is not None
    return updated


async def answer_question(
    *, runtime: ServiceRuntime, request_id: UUID, data: InfoAnswer, actor: str
) -> Document:
    """Pass the family's answer to the agencies that asked; their tasks resume."""
    return await _act(
        runtime,
        request_id,
        domain.RequestAction.ANSWER,
        lambda doc, flow: changes.answer(
            doc,
            flow=flow,
            answer_text=data.answer,
            task_id=data.task_id,
            actor=actor,
            now=utc_now(),
        ),
    )


async def close_request(
    *, runtime: ServiceRuntime, request_id: UUID, comment: str | None, actor: str
) -> Document:
    """Close a resolved or rejected request."""
    return await _act(
        runtime,
        request_id,
        domain.RequestAction.CLOSE,
        lambda doc, flow: changes.close(
            doc, flow=flow, comment=comment, actor=actor, now=utc_now()
        ),
    )


async def reopen_request(
    *, runtime: ServiceRuntime, request_id: UUID, reason: str, actor: str
) -> Document:
    """Reopen a resolved or closed request: its tasks go back to the agencies."""
    return await _act(
        runtime,
        request_id,
        domain.RequestAction.REOPEN,
        lambda doc, flow: changes.reopen(doc, flow=flow, reason=reason, actor=actor, now=utc_now()),
    )


async def cancel_request(
    *, runtime: ServiceRuntime, request_id: UUID, reason: str, actor: str
) -> Document:
    """Cancel an open request; the agencies still working on it are told to stop."""
    return await _act(
        runtime,
        request_id,
        domain.RequestAction.CANCEL,
        lambda doc, flow: changes.cancel(doc, flow=flow, reason=reason, actor=actor, now=utc_now()),
    )


async def reroute_task(
    *, runtime: ServiceRuntime, request_id: UUID, data: TaskReroute, actor: str
) -> Document:
    """Hand a task off to another agency; the request keeps its id and creation time."""
    document = await get_request(db=runtime.db, request_id=request_id)
    if document is None:
        raise RequestNotFoundError(str(request_id))
    family = await family_for_request(runtime=runtime, family_id=UUID(document["family_id"]))
    return await _act(
        runtime,
        request_id,
        domain.RequestAction.REROUTE,
        lambda doc, flow: changes.reroute(
            doc,
            family,
            flow=flow,
            task_id=data.task_id,
            agency=data.agency,
            reason=data.reason,
            actor=actor,
            now=utc_now(),
        ),
    )


async def give_feedback(
    *, runtime: ServiceRuntime, request_id: UUID, data: FeedbackIn, actor: str
) -> Document:
    """Record the family's rating of a resolved or closed request."""
    return await _act(
        runtime,
        request_id,
        domain.RequestAction.FEEDBACK,
        lambda doc, flow: changes.feedback(
            doc, flow=flow, rating=data.rating, comment=data.comment, actor=actor, now=utc_now()
        ),
    )
