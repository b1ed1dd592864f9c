"""HTTP routes of proactive rules: what rules exist and what they fired."""

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from patronage_common.runtime import RuntimeDep

from . import service
from .engine import ProactiveEngine
from .models import FiringRead, firing_to_api
from .rules import Rule

router = APIRouter(prefix="/proactive-rules", tags=["proactive"])


async def get_engine(request: Request) -> ProactiveEngine:
    """The proactive engine of the app serving this request."""
    engine: ProactiveEngine = request.app.state.proactive
    return engine


EngineDep = Annotated[ProactiveEngine, Depends(get_engine)]


def _rule(engine: ProactiveEngine, code: str) -> Rule:
    rule = engine.rules.get(code)
    if rule is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"правило {code} не найдено")
    return rule


@router.get("", response_model=list[Rule])
async def list_rules(engine: EngineDep) -> list[Rule]:
    """Every proactive rule in force: trigger, fact key and actions."""
    return list(engine.rules.rules)


@router.get("/{code}", response_model=Rule)
async def read_rule(code: str, engine: EngineDep) -> Rule:
    """One proactive rule."""
    return _rule(engine, code)


@router.get("/{code}/firings", response_model=list[FiringRead])
async def list_firings(
    code: str,
    engine: EngineDep,
    runtime: RuntimeDep,
    family_id: Annotated[UUID | None, Query(description="Только по этой семье")] = None,
    days: Annotated[
        int, Query(ge=1, le=31, description="Без семьи: за сколько последних дней")
    ] = 7,
) -> list[dict[str, Any]]:
    """Firings of a rule: of one family, or of the last ``days`` days."""
    rule = _rule(engine, code)
    if family_id is not None:
        ids = await service.claim_ids_of_family(db=runtime.db, family_id=str(family_id))
        ids = [i for i in ids if i.startswith(f"proactive:{rule.code}:")]
    else:
        today = engine.today()
        ids = []
        for back in range(days):
            ids += await service.claim_ids_of_rule(
                db=runtime.db, rule_code=rule.code, day=today - timedelta(days=back)
            )
    return [firing_to_api(c) for c in await service.get_claims(db=runtime.db, claim_ids=ids)]
