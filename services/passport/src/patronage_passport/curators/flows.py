"""Curator use cases: register, workload."""

import asyncio
from datetime import date

from patronage_common.store import Database
from pymongo.errors import DuplicateKeyError

from ..passports import service as passports
from ..search.flows import decode_cursor, search
from ..search.keys import OPEN_NEED_STATUSES
from .models import CuratorIn, Workload
from .service import CURATORS

DONE_PLAN_STATUSES = {"done", "cancelled"}
PAGE = 100


class CuratorExistsError(Exception):
    """A curator with that id is already registered."""


async def register_curator(*, db: Database, data: CuratorIn) -> None:
    """Register a curator in a district."""
    try:
        await db[CURATORS].insert_one(
            {"_id": data.curator_id, **data.model_dump(exclude={"curator_id"}), "active": True}
        )
    except DuplicateKeyError as exc:
        raise CuratorExistsError(data.curator_id) from exc


async def curator_families(*, db: Database, curator_id: str) -> list[str]:
    """Ids of the families the curator is responsible for (from the search index)."""
    family_ids: list[str] = []
    after = None
    while True:
        found = await search(db=db, keys=[f"curator:{curator_id}"], after=after, limit=PAGE)
        family_ids += found.family_ids
        if found.next_cursor is None:
            return family_ids

        after = decode_cursor(found.next_cursor)


async def workload(*, db: Database, curator_id: str, today: date) -> Workload:
    """Families, open needs and overdue plan items of one curator."""
    family_ids = await curator_families(db=db, curator_id=curator_id)
    documents = await asyncio.gather(
        *(passports.get_document(db=db, family_id=f) for f in family_ids)
    )
    mine = [d for d in documents if d is not None and d.get("curator_id") == curator_id]
    return Workload(
        curator_id=curator_id,
        families=len(mine),
        open_needs=sum(1 for d in mine for n in d["needs"] if n["status"] in OPEN_NEED_STATUSES),
        overdue_plan_items=sum(
            1
            for d in mine
            for item in d["plan_items"]
            if item["status"] not in DONE_PLAN_STATUSES
            and date.fromisoformat(item["deadline"]) < today
        ),
        family_ids=[d["_id"] for d in mine],
    )
