"""HTTP routes of the social passport."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Query, status
from patronage_common.access import Caller, CallerDep, enforce
from patronage_common.outbox import GROUP_FIELD
from patronage_common.runtime import RuntimeDep

from ..curators import service as curators
from . import access, changes, flows
from .documents import Document, restrict
from .models import (
    Address,
    CategoriesUpdate,
    ConsentWithdrawal,
    Contacts,
    CuratorAssignment,
    HistoryEntry,
    MembersUpdate,
    NeedIn,
    NeedUpdate,
    Passport,
    PassportCreate,
    PlanItemIn,
    PlanItemUpdate,
    PlanReview,
    Serviceman,
    ServicemanStatusChange,
)

router = APIRouter(prefix="/passports", tags=["passports"])


def to_api(document: Document) -> dict[str, Any]:
    """API shape of a decrypted passport, restricted as the family's consent requires."""
    shown = restrict(dict(document))
    internal = {"_id", "outbox", GROUP_FIELD, "version_log", "identity_keys", "changes"}
    return {"family_id": shown["_id"], **{k: v for k, v in shown.items() if k not in internal}}


async def change_as(
    runtime: RuntimeDep, family_id: UUID, who: Caller, sections: list[str], change: Any
) -> dict[str, Any]:
    document = await flows.change_passport(
        runtime=runtime,
        family_id=family_id,
        actor=who.actor,
        sections=sections,
        change=change,
        authorize=lambda stored: enforce(access.may_change(who.identity, stored)),
    )
    return access.view_for(who.identity, to_api(document))


async def read_as(runtime: RuntimeDep, family_id: UUID, who: Caller, **kwargs: Any) -> Document:
    document = await flows.read_passport(runtime=runtime, family_id=family_id, **kwargs)
    enforce(access.may_read(who.identity, document))
    return document


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Passport)
async def create_passport(
    data: PassportCreate, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Register a family's social passport (409 if the family is already registered)."""
    enforce(access.may_register(who.identity, data.curator_id))
    document = await flows.register_passport(runtime=runtime, data=data, actor=who.actor)
    return to_api(document)


@router.get("/{family_id}", response_model=Passport)
async def read_passport(
    family_id: UUID,
    runtime: RuntimeDep,
    who: CallerDep,
    as_of: Annotated[datetime | None, Query(description="Паспорт на момент времени")] = None,
) -> dict[str, Any]:
    """A family's passport, now or as it was at ``as_of`` (as much as the caller may see)."""
    document = await read_as(runtime, family_id, who, as_of=as_of)
    return access.view_for(who.identity, to_api(document))


async def history_of(runtime: RuntimeDep, who: Caller, document: Document) -> list[dict[str, Any]]:
    """Every version of a passport, oldest first: who changed which sections and fields, when."""
    history = await flows.passport_history(runtime=runtime, stored=document)
    return [
        {**v, "changes": access.history_view(who.identity, v["changes"], document)} for v in history
    ]


@router.get("/{family_id}/history", response_model=list[HistoryEntry])
async def passport_history(
    family_id: UUID, runtime: RuntimeDep, who: CallerDep
) -> list[dict[str, Any]]:
    """Every version of the passport: who changed which sections and fields, when."""
    return await history_of(runtime, who, await read_as(runtime, family_id, who))


@router.put("/{family_id}/serviceman", response_model=Passport)
async def replace_serviceman(
    family_id: UUID, data: Serviceman, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Replace the serviceman section."""
    value = data.model_dump(mode="json")
    return await change_as(
        runtime, family_id, who, ["serviceman"], changes.replace_section("serviceman", value)
    )


@router.put("/{family_id}/contacts", response_model=Passport)
async def replace_contacts(
    family_id: UUID, data: Contacts, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Replace the contacts section."""
    value = data.model_dump(mode="json")
    return await change_as(
        runtime, family_id, who, ["contacts"], changes.replace_section("contacts", value)
    )


@router.put("/{family_id}/address", response_model=Passport)
async def replace_address(
    family_id: UUID, data: Address, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Replace the address section (district and HQ included)."""
    value = data.model_dump(mode="json")
    return await change_as(
        runtime, family_id, who, ["address"], changes.replace_section("address", value)
    )


@router.put("/{family_id}/members", response_model=Passport)
async def replace_members(
    family_id: UUID, data: MembersUpdate, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Replace the list of family members."""
    value = [m.model_dump(mode="json") for m in data.members]
    return await change_as(
        runtime, family_id, who, ["members"], changes.replace_section("members", value)
    )


@router.put("/{family_id}/categories", response_model=Passport)
async def replace_categories(
    family_id: UUID, data: CategoriesUpdate, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Replace the family's beneficiary categories."""
    value = [c.value for c in data.categories]
    return await change_as(
        runtime, family_id, who, ["categories"], changes.replace_section("categories", value)
    )


@router.post("/{family_id}/serviceman/status", response_model=Passport)
async def change_serviceman_status(
    family_id: UUID,
    data: ServicemanStatusChange,
    runtime: RuntimeDep,
    who: CallerDep,
) -> dict[str, Any]:
    """Record a new status of the serviceman (kept in his dated history)."""
    return await change_as(
        runtime, family_id, who, ["serviceman"], changes.change_serviceman_status(data)
    )


@router.post("/{family_id}/consent/withdrawal", response_model=Passport)
async def withdraw_consent(
    family_id: UUID, data: ConsentWithdrawal, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """The family withdraws (part of) its consent: data is restricted, the curator told."""
    return await change_as(runtime, family_id, who, ["consent"], changes.withdraw_consent(data))


@router.post("/{family_id}/needs", response_model=Passport, status_code=status.HTTP_201_CREATED)
async def record_needs(
    family_id: UUID,
    needs: Annotated[list[NeedIn], Body(min_length=1)],
    runtime: RuntimeDep,
    who: CallerDep,
) -> dict[str, Any]:
    """Record needs of the family (needs assessment)."""
    return await change_as(runtime, family_id, who, ["needs"], changes.record_needs(needs))


@router.patch("/{family_id}/needs/{need_id}", response_model=Passport)
async def update_need(
    family_id: UUID,
    need_id: UUID,
    data: NeedUpdate,
    runtime: RuntimeDep,
    who: CallerDep,
) -> dict[str, Any]:
    """Change a need's status or notes."""
    return await change_as(runtime, family_id, who, ["needs"], changes.update_need(need_id, data))


@router.put("/{family_id}/curator", response_model=Passport)
async def assign_curator(
    family_id: UUID, data: CuratorAssignment, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Make another curator the family's one active curator, saying why."""
    curator = await curators.get_curator(db=runtime.db, curator_id=data.curator_id)
    district = curator["district"] if curator else None
    return await change_as(
        runtime, family_id, who, ["curator"], changes.assign_curator(data, district)
    )


@router.post(
    "/{family_id}/plan/items", response_model=Passport, status_code=status.HTTP_201_CREATED
)
async def add_plan_item(
    family_id: UUID, data: PlanItemIn, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Add an item to the interdepartmental support plan."""
    return await change_as(runtime, family_id, who, ["plan"], changes.add_plan_item(data, uuid4()))


@router.patch("/{family_id}/plan/items/{plan_item_id}", response_model=Passport)
async def update_plan_item(
    family_id: UUID,
    plan_item_id: UUID,
    data: PlanItemUpdate,
    runtime: RuntimeDep,
    who: CallerDep,
) -> dict[str, Any]:
    """Change a plan item's status, notes or linked requests."""
    return await change_as(
        runtime, family_id, who, ["plan"], changes.update_plan_item(plan_item_id, data)
    )


@router.put("/{family_id}/plan/review-date", response_model=Passport)
async def set_plan_review(
    family_id: UUID, data: PlanReview, runtime: RuntimeDep, who: CallerDep
) -> dict[str, Any]:
    """Set when the support plan is next reviewed."""
    value = data.review_date.isoformat()
    return await change_as(
        runtime, family_id, who, ["plan"], changes.replace_section("plan_review_date", value)
    )
