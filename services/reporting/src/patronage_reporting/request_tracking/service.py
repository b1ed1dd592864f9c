"""The request-status projection: one document per request, one counter per status."""

from uuid import UUID

from patronage_common.locks import locked
from patronage_common.store import Database, upsert_one

REQUEST_STATES = "request_states"
STATUS_COUNTS = "status_counts"


async def record_status(*, db: Database, request_id: UUID, status: str, version: int) -> str | None:
    """Move a request to ``status`` at ``version`` if newer; return the status it left.

    Returns None when nothing changed (an older or repeated version). A brand-new request
    leaves the empty status "".
    """
    states = db[REQUEST_STATES]
    async with locked(db, f"{REQUEST_STATES}:{request_id}"):
        current = await states.find_one({"_id": str(request_id)})
        if current is not None and current["version"] >= version:
            return None
        await states.replace_one(
            {"_id": str(request_id)}, {"status": status, "version": version}, upsert=True
        )
        return "" if current is None else str(current["status"])


async def move_count(*, db: Database, left: str, entered: str) -> None:
    """Shift one request from the ``left`` status counter to the ``entered`` one."""
    if left:
        await upsert_one(db[STATUS_COUNTS], {"_id": left}, {"$inc": {"count": -1}})
    await upsert_one(db[STATUS_COUNTS], {"_id": entered}, {"$inc": {"count": 1}})


async def counts_by_status(*, db: Database) -> dict[str, int]:
    """Live number of requests in each status."""
    return {doc["_id"]: doc["count"] async for doc in db[STATUS_COUNTS].find({}) if doc["count"]}
