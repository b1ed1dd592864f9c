"""``GET /passports``: search by name, phone, district, HQ, curator, category, open need."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from patronage_common.access import enforce
from patronage_common.identity import IdentityDep
from patronage_common.runtime import RuntimeDep
from patronage_contracts import BeneficiaryCategory, NeedCategory

from ..passports import access
from ..passports.models import SearchPage
from ..passports.phones import normalize_phone
from . import flows
from .keys import name_tokens

router = APIRouter(tags=["search"])


@router.get("/passports", response_model=SearchPage)
async def search_passports(
    runtime: RuntimeDep,
    identity: IdentityDep,
    name: Annotated[str | None, Query(description="ФИО или его часть (целые слова)")] = None,
    phone: Annotated[str | None, Query(description="Телефон в любом написании")] = None,
    district: str | None = None,
    hq: str | None = None,
    curator_id: str | None = None,
    category: BeneficiaryCategory | None = None,
    open_need: Annotated[
        NeedCategory | None, Query(description="Есть открытая потребность")
    ] = None,
    after: Annotated[str | None, Query(description="Курсор следующей страницы")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Passports matching every given criterion, sorted by the applicant's name.

    A curator searches only their families, a district head or HQ coordinator only theirs.
    """
    scope = {"curator_id": curator_id, "district": district, "hq": hq}
    enforce(access.scoped_search(identity, scope))
    keys = [f"name:{t}" for t in name_tokens(name or "")]
    if phone:
        try:
            keys.append(f"phone:{normalize_phone(phone)}")
        except ValueError as exc:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                [{"loc": ["query", "phone"], "msg": str(exc), "type": "value_error"}],
            ) from exc
    keys += [
        f"{k}:{v}" for k, v in (("district", district), ("hq", hq), ("curator", curator_id)) if v
    ]
    if category:
        keys.append(f"category:{category.value}")
    if open_need:
        keys.append(f"need:{open_need.value}")
    try:
        cursor = flows.decode_cursor(after) if after else None
    except ValueError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["query", "after"], "msg": "неверный курсор", "type": "value_error"}],
        ) from exc
    found = await flows.search(db=runtime.db, keys=keys, after=cursor, limit=limit)
    return {"items": found.items, "next_cursor": found.next_cursor, "total": found.total}
