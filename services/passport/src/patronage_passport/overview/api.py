"""HTTP route of the passport overview: what the family page shows, in one scoped read."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from patronage_common.access import CallerDep
from patronage_common.identity import Role
from patronage_common.runtime import RuntimeDep
from pydantic import BaseModel, Field

from ..measures.api import eligible_for
from ..measures.models import EligibleMeasure
from ..passports import access
from ..passports.api import history_of, read_as, to_api
from ..passports.models import HistoryEntry, Passport

router = APIRouter(tags=["passports"])


class PassportOverview(BaseModel):
    """A passport, the measures the family is eligible for and the passport's history."""

    passport: Passport
    eligible_measures: list[EligibleMeasure] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list, description="Oldest first")


@router.get("/passports/{family_id}/overview", response_model=PassportOverview)
async def passport_overview(family_id: UUID, runtime: RuntimeDep, who: CallerDep) -> dict[str, Any]:
    """The passport with its eligible measures and history: one read, one scoping decision.

    The same as ``GET /passports/{id}``, ``…/eligible-measures`` and ``…/history`` together;
    a medical organization gets the health view and neither measures nor history.
    """
    document = await read_as(runtime, family_id, who)
    passport = access.view_for(who.identity, to_api(document))
    if who.identity is not None and who.identity.role is Role.MEDICAL_ORGANIZATION:
        return {"passport": passport}
    return {
        "passport": passport,
        "eligible_measures": eligible_for(runtime, document),
        "history": await history_of(runtime, who, document),
    }
