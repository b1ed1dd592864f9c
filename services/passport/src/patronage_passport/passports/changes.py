"""Pure changes of a decrypted passport document; each returns the events it causes.

They run inside ``flows.change_passport``, which stores the result as a new version.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from patronage_contracts import (
    ConsentWithdrawn,
    CuratorAssigned,
    MeasureAssigned,
    MeasureProvided,
    Message,
    NeedClosed,
    NeedRecorded,
    PlanItemAdded,
    PlanItemStatusChanged,
    RequestStatus,
    ServicemanStatusChanged,
)

from .documents import Document
from .enums import MeasureStatus, NeedStatus, PlanItemStatus
from .models import (
    ConsentWithdrawal,
    CuratorAssignment,
    MeasureAssignment,
    NeedIn,
    NeedUpdate,
    PlanItemIn,
    PlanItemUpdate,
    ServicemanStatusChange,
)
from .validation import Problem

if TYPE_CHECKING:
    from ..measures.models import Measure
    from .flows import ChangeContext

CLOSED_NEED_STATUSES = {NeedStatus.MET.value, NeedStatus.CLOSED.value}


class ItemNotFoundError(LookupError):
    """A need, plan item or measure of the passport does not exist."""


class ChangeRefusedError(ValueError):
    """The change cannot be applied; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def replace_section(name: str, value: Any) -> "Any":
    """A change replacing one whole section."""

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        document[name] = value
        return []

    return change


def new_needs(document: Document, ctx: "ChangeContext", needs: Sequence[NeedIn]) -> list[Message]:
    """Append needs to the assessment; one NeedRecorded each."""
    events: list[Message] = []
    for need in needs:
        need_id = uuid4()
        document["needs"].append(
            {
                **need.model_dump(mode="json"),
                "need_id": str(need_id),
                "status": NeedStatus.OPEN.value,
                "assessed_by": ctx.actor,
                "assessed_at": ctx.now,
                "updated_at": ctx.now,
            }
        )
        events.append(
            NeedRecorded(
                **ctx.envelope(),
                need_id=need_id,
                category=need.category,
                district=document["address"]["district"],
                recorded_by=ctx.actor,
            )
        )
    return events


def record_needs(needs: Sequence[NeedIn]) -> Any:
    """A change recording new needs."""

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        return new_needs(document, ctx, needs)

    return change


def _find(items: list[Document], key: str, value: UUID, section: str) -> tuple[int, Document]:
    for index, item in enumerate(items):
        if item[key] == str(value):
            return index, item
    raise ItemNotFoundError(f"{section} {value}")


def update_need(need_id: UUID, update: NeedUpdate) -> Any:
    """A change of a need's status; closing it announces NeedClosed."""

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        _, need = _find(document["needs"], "need_id", need_id, "потребность")
        was_closed = need["status"] in CLOSED_NEED_STATUSES
        need.update(status=update.status.value, updated_at=ctx.now)
        if update.notes is not None:
            need["notes"] = update.notes
        if was_closed or update.status.value not in CLOSED_NEED_STATUSES:
            return []
        return [
            NeedClosed(
                **ctx.envelope(),
                need_id=need_id,
                category=need["category"],
                district=document["address"]["district"],
                outcome=update.status.value,
                closed_by=ctx.actor,
            )
        ]

    return change


def change_serviceman_status(update: ServicemanStatusChange) -> Any:
    """A change of the serviceman's status, kept in his dated history."""

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        serviceman = document.get("serviceman")
        if not serviceman:
            raise ChangeRefusedError(Problem(("serviceman",), "в паспорте нет военнослужащего"))
        previous = serviceman["status"]
        history = serviceman.setdefault("status_history", [])
        if history and update.since.isoformat() < history[-1]["since"]:
            raise ChangeRefusedError(
                Problem(("since",), "дата нового статуса раньше последней записи истории")
            )
        history.append(
            {"status": update.status.value, "since": update.since.isoformat(), "note": update.note}
        )
        serviceman.update(
            status=update.status.value,
            status_since=update.since.isoformat(),
            status_note=update.note,
        )
        if previous == update.status.value:
            return []
        return [
            ServicemanStatusChanged(
                **ctx.envelope(),
                status=update.status.value,
                previous_status=previous,
                effective_date=update.since,
            )
        ]

    return change


def withdraw_consent(withdrawal: ConsentWithdrawal) -> Any:
    """The family withdraws consent for some scopes: restrict them and tell the curator."""

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        scopes = [s.value for s in withdrawal.scope]
        document["restricted_scopes"] = sorted({*document.get("restricted_scopes", []), *scopes})
        document["consent"]["withdrawn"] = {
            "scope": scopes,
            "reason": withdrawal.reason,
            "recorded_by": ctx.actor,
            "at": ctx.now.isoformat(),
        }
        return [
            ConsentWithdrawn(
                **ctx.envelope(),
                scope=tuple(scopes),
                curator_id=document.get("curator_id"),
                recorded_by=ctx.actor,
            )
        ]

    return change


def assign_curator(assignment: CuratorAssignment, curator_district: str | None) -> Any:
    """Make another curator the one active curator; the old one's period ends.

    ``curator_district`` is the registered curator's district (None if not registered).
    """

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        previous = document.get("curator_id")
        district = document["address"]["district"]
        if curator_district is not None and curator_district != district:
            raise ChangeRefusedError(
                Problem(("curator_id",), f"куратор работает в другом районе ({curator_district})")
            )
        if previous == assignment.curator_id:
            raise ChangeRefusedError(
                Problem(("curator_id",), "этот куратор уже закреплён за семьёй")
            )
        for record in document["curator_history"]:
            if record.get("until") is None:
                record["until"] = ctx.now
        document["curator_history"].append(
            {
                "curator_id": assignment.curator_id,
                "assigned_at": ctx.now,
                "assigned_by": ctx.actor,
                "reason": assignment.reason,
                "until": None,
            }
        )
        document["curator_id"] = assignment.curator_id
        return [
            CuratorAssigned(
                **ctx.envelope(),
                curator_id=assignment.curator_id,
                previous_curator_id=previous,
                district=document["address"]["district"],
                reason=assignment.reason,
                assigned_by=ctx.actor,
            )
        ]

    return change


def add_plan_item(item: PlanItemIn, plan_item_id: UUID) -> Any:
    """Add an item to the interdepartmental support plan."""

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        if item.need_id is not None:
            try:
                _find(document["needs"], "need_id", item.need_id, "потребность")
            except LookupError as exc:
                raise ChangeRefusedError(Problem(("need_id",), str(exc))) from exc
        document["plan_items"].append(
            {
                **item.model_dump(mode="json"),
                "plan_item_id": str(plan_item_id),
                "status": "planned",
                "request_ids": [],
                "created_by": ctx.actor,
                "created_at": ctx.now,
                "updated_at": ctx.now,
            }
        )
        return [
            PlanItemAdded(
                **ctx.envelope(),
                plan_item_id=plan_item_id,
                agency=item.agency,
                deadline=item.deadline,
                need_id=item.need_id,
                measure_code=item.measure_code,
            )
        ]

    return change


def update_plan_item(plan_item_id: UUID, update: PlanItemUpdate) -> Any:
    """Change a plan item's status, notes or linked requests."""

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        _, item = _find(document["plan_items"], "plan_item_id", plan_item_id, "пункт плана")
        previous = item["status"]
        item.update(status=update.status.value, updated_at=ctx.now)
        if update.notes is not None:
            item["notes"] = update.notes
        linked = [str(r) for r in update.request_ids]
        item["request_ids"] = list(dict.fromkeys([*item.get("request_ids", []), *linked]))
        if previous == update.status.value:
            return []
        return [
            PlanItemStatusChanged(
                **ctx.envelope(),
                plan_item_id=plan_item_id,
                status=update.status.value,
                previous_status=previous,
            )
        ]

    return change


_PLAN_ITEM_STATUS_OF_REQUEST: dict[RequestStatus, PlanItemStatus] = {
    RequestStatus.ROUTED: PlanItemStatus.IN_PROGRESS,
    RequestStatus.ACCEPTED: PlanItemStatus.IN_PROGRESS,
    RequestStatus.IN_PROGRESS: PlanItemStatus.IN_PROGRESS,
    RequestStatus.NEEDS_INFO: PlanItemStatus.IN_PROGRESS,
    RequestStatus.RESOLVED: PlanItemStatus.DONE,
    # The plan still wants the item done: it goes back to planned for the curator.
    RequestStatus.REJECTED: PlanItemStatus.PLANNED,
    RequestStatus.CANCELLED: PlanItemStatus.PLANNED,
}


def plan_item_status_for(request_status: RequestStatus) -> PlanItemStatus | None:
    """The status a plan item takes when its help request moves (None: it stays)."""
    return _PLAN_ITEM_STATUS_OF_REQUEST.get(request_status)


def plan_item_needs_change(
    document: Document, plan_item_id: UUID, request_id: UUID, status: PlanItemStatus
) -> bool:
    """Whether linking the request and moving the item would change anything."""
    _, item = _find(document["plan_items"], "plan_item_id", plan_item_id, "пункт плана")
    return item["status"] != status.value or str(request_id) not in item.get("request_ids", [])


def assign_measure(measure: "Measure", data: "MeasureAssignment", assignment_id: UUID) -> Any:
    """Assign a catalogue measure to the family (or to one member, for per-member ones)."""

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        member_ids = {m["member_id"] for m in document["members"]}
        if measure.per_member and data.member_id is None:
            raise ChangeRefusedError(
                Problem(("member_id",), "мера назначается члену семьи: укажите member_id")
            )
        if data.member_id is not None and str(data.member_id) not in member_ids:
            raise ChangeRefusedError(Problem(("member_id",), "такого члена семьи нет"))
        duplicate = any(
            m["measure_code"] == measure.code
            and m.get("member_id") == (str(data.member_id) if data.member_id else None)
            for m in document["measures"]
        )
        if duplicate:
            raise ChangeRefusedError(Problem(("measure_code",), "эта мера уже назначена"))
        document["measures"].append(
            {
                "assignment_id": str(assignment_id),
                "measure_code": measure.code,
                "member_id": str(data.member_id) if data.member_id else None,
                "agency": measure.agency.value,
                "status": MeasureStatus.ASSIGNED.value,
                "assigned_by": ctx.actor,
                "assigned_at": ctx.now,
                "provided_at": None,
                "notes": data.notes,
            }
        )
        return [
            MeasureAssigned(
                **ctx.envelope(),
                measure_code=measure.code,
                agency=measure.agency.value,
                district=document["address"]["district"],
                member_id=data.member_id,
                assigned_by=ctx.actor,
            )
        ]

    return change


def provide_measure(assignment_id: UUID) -> Any:
    """Record that an assigned measure was provided."""

    def change(document: Document, ctx: "ChangeContext") -> Sequence[Message]:
        _, assigned = _find(document["measures"], "assignment_id", assignment_id, "мера")
        if assigned["status"] == MeasureStatus.PROVIDED.value:
            raise ChangeRefusedError(Problem(("assignment_id",), "мера уже предоставлена"))
        assigned.update(status=MeasureStatus.PROVIDED.value, provided_at=ctx.now)
        member_id = assigned.get("member_id")
        return [
            MeasureProvided(
                **ctx.envelope(),
                measure_code=assigned["measure_code"],
                district=document["address"]["district"],
                member_id=UUID(member_id) if member_id else None,
                provided_by=ctx.actor,
            )
        ]

    return change
