"""Help-request use cases: create and route; apply an agency's status report."""

from uuid import UUID, uuid4

from patronage_common.locks import locked
from patronage_common.messaging import MessageRefused
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document
from patronage_common.telemetry import current_trace_context
from patronage_contracts import (
    Agency,
    AgencyTaskRef,
    AgencyTaskStatusChanged,
    AgencyTaskStatusReported,
    AgencyTransitionRefused,
    ApplicantView,
    Event,
    HandleHelpRequest,
    Message,
    RequestCreated,
    RequestRouted,
    RequestStatus,
    RequestStatusChanged,
    utc_now,
)

from ..deps import get_router
from ..families.flows import family_for_request
from ..settings import RequestsSettings
from . import domain
from .models import HelpRequestCreate
from .service import REQUESTS, get_request


async def create_help_request(
    *, runtime: ServiceRuntime, data: HelpRequestCreate, actor: str, request_id: UUID | None = None
) -> UUID:
    """Register a request, split it into agency tasks and send each to its agency.

    A caller that must not create the request twice (a proactive rule retrying after a
    crash) passes its own ``request_id``: a second attempt raises ``DuplicateKeyError``.
    """
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    family = await family_for_request(runtime=runtime, family_id=data.family_id)
    agencies = get_router(settings.routing_file).agencies_for(data.category, family.get("district"))
    request_id = request_id or uuid4()
    now = utc_now()
    tasks = [AgencyTaskRef(task_id=uuid4(), agency=agency) for agency in agencies]
    created = RequestCreated(
        family_id=data.family_id,
        request_id=request_id,
        category=data.category,
        urgency=data.urgency,
        channel=data.channel,
        district=family.get("district"),
        hq=family.get("hq"),
        curator_id=family.get("curator_id"),
        created_by=actor,
        trace_context=current_trace_context(),
    )
    flow = created.caused()
    events: list[Message] = [
        created,
        RequestRouted(**flow, request_id=request_id, tasks=tuple(tasks)),
        RequestStatusChanged(
            **flow,
            request_id=request_id,
            version=1,
            previous_status=RequestStatus.NEW,
            status=RequestStatus.ROUTED,
            category=data.category,
            district=family.get("district"),
            curator_id=family.get("curator_id"),
            changed_by=actor,
        ),
    ]
    applicant = ApplicantView(full_name=family["applicant_full_name"], phone=family.get("phone"))
    events += [
        HandleHelpRequest(
            **flow,
            request_id=request_id,
            task_id=task.task_id,
            agency=task.agency,
            category=data.category,
            urgency=data.urgency,
            description=data.description,
            district=family.get("district"),
            applicant=applicant,
        )
        for task in tasks
    ]
    document: Document = {
        "_id": str(request_id),
        "family_id": str(data.family_id),
        **data.model_dump(mode="json", exclude={"family_id"}),
        "status": RequestStatus.ROUTED.value,
        "version": 1,
        "district": family.get("district"),
        "hq": family.get("hq"),
        "curator_id": family.get("curator_id"),
        "tasks": [
            {
                "task_id": str(t.task_id),
                "agency": t.agency.value,
                "status": domain.TASK_SENT,
                "note": None,
                "updated_at": now,
            }
            for t in tasks
        ],
        "applied_reports": [],
        "created_at": now,
        "created_by": actor,
    }
    await runtime.outbox.insert(REQUESTS, document, events)
    return request_id


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
    async with locked(runtime.db, f"{REQUESTS}:{report.request_id}"):
        document = await get_request(db=runtime.db, request_id=report.request_id)
        if document is None:
            raise MessageRefused(f"unknown request {report.request_id}")
        if document["family_id"] != str(report.family_id):
            raise MessageRefused(f"request {report.request_id} belongs to another family")
        task = next((t for t in document["tasks"] if t["task_id"] == str(report.task_id)), None)
        if task is None or task["agency"] != report.agency.value:
            raise MessageRefused(
                f"task {report.task_id} of request {report.request_id} is not the "
                f"{report.agency.value} agency's"
            )
        if str(report.event_id) in document.get("applied_reports", []):
            return
        update, events = _status_update(document, task, report)
        await runtime.outbox.update(REQUESTS, document["_id"], update, events)


def _status_update(
    document: Document, task: Document, report: AgencyTaskStatusReported
) -> tuple[Document, list[Message]]:
    flow = report.caused()
    version = document["version"] + 1
    mark_applied = {"$push": {"applied_reports": str(report.event_id)}}
    if not domain.can_move_task(task["status"], report.status):
        refused = AgencyTransitionRefused(
            **flow,
            request_id=report.request_id,
            task_id=report.task_id,
            agency=report.agency,
            current_status=task["status"],
            reported_status=report.status,
            reason=domain.refusal_reason(task["status"], report.status),
        )
        return {"$set": {"version": version}, **mark_applied}, [refused]
    note = report.question or report.result or report.reason
    task_states = [
        report.status.value if t["task_id"] == task["task_id"] else t["status"]
        for t in document["tasks"]
    ]
    previous = RequestStatus(document["status"])
    status = domain.request_status_of(task_states)
    events: list[Event] = [
        AgencyTaskStatusChanged(
            **flow,
            request_id=report.request_id,
            task_id=report.task_id,
            agency=report.agency,
            status=report.status,
            note=note,
        )
    ]
    if status != previous:
        events.append(
            RequestStatusChanged(
                **flow,
                request_id=report.request_id,
                version=version,
                previous_status=previous,
                status=status,
                category=document["category"],
                district=document.get("district"),
                curator_id=document.get("curator_id"),
                reason=note,
                changed_by=f"agency:{report.agency.value}",
            )
        )
    index = next(i for i, t in enumerate(document["tasks"]) if t["task_id"] == task["task_id"])
    update = {
        "$set": {
            "status": status.value,
            "version": version,
            f"tasks.{index}.status": report.status.value,
            f"tasks.{index}.note": note,
            f"tasks.{index}.updated_at": utc_now(),
        },
        **mark_applied,
    }
    return update, list(events)
