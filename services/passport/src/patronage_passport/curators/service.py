"""Data access for curators."""

from patronage_common.store import Database, Document

CURATORS = "curators"


async def get_curator(*, db: Database, curator_id: str) -> Document | None:
    """A registered curator, or None."""
    return await db[CURATORS].find_one({"_id": curator_id})


async def list_curators(*, db: Database, district: str | None) -> list[Document]:
    """Registered curators, of one district if given (a small collection)."""
    query = {"district": district} if district else {}
    return [d async for d in db[CURATORS].find(query).sort("_id", 1)]
