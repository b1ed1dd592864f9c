"""Family snapshots: district, HQ and curator of each family, keyed by family id."""

from uuid import UUID

import httpx
from patronage_common.store import Database, Document, upsert_one

FAMILIES = "families"


async def get_family(*, db: Database, family_id: UUID) -> Document | None:
    """The snapshot of a family, or None if the service has not heard of it."""
    return await db[FAMILIES].find_one({"_id": str(family_id)})


async def save_family(
    *, db: Database, family_id: UUID, district: str, hq: str, curator_id: str | None
) -> None:
    """Create or refresh a family snapshot."""
    await upsert_one(
        db[FAMILIES],
        {"_id": str(family_id)},
        {"$set": {"district": district, "hq": hq, "curator_id": curator_id}},
    )


async def save_contact(
    *,
    db: Database,
    family_id: UUID,
    district: str,
    hq: str,
    curator_id: str | None,
    applicant_full_name: str,
    phone: str | None,
) -> None:
    """Store the applicant's contact (fetched from the passport service) in the snapshot."""
    await upsert_one(
        db[FAMILIES],
        {"_id": str(family_id)},
        {
            "$set": {
                "district": district,
                "hq": hq,
                "curator_id": curator_id,
                "applicant_full_name": applicant_full_name,
                "phone": phone,
            }
        },
    )


async def set_curator(*, db: Database, family_id: UUID, curator_id: str) -> None:
    """Record a family's new curator."""
    await upsert_one(db[FAMILIES], {"_id": str(family_id)}, {"$set": {"curator_id": curator_id}})


async def fetch_passport(*, passport_url: str, family_id: UUID) -> Document | None:
    """The family's passport as the passport service shows it (consent applied), or None."""
    async with httpx.AsyncClient(base_url=passport_url, timeout=5.0) as client:
        response = await client.get(f"/passports/{family_id}")
    if response.status_code == httpx.codes.NOT_FOUND:
        return None
    response.raise_for_status()
    passport: Document = response.json()
    return passport


async def fetch_family(*, passport_url: str, family_id: UUID) -> Document | None:
    """Ask the passport service for the family's district, curator and applicant contact."""
    passport = await fetch_passport(passport_url=passport_url, family_id=family_id)
    if passport is None:
        return None
    applicant = next(
        (m for m in passport["members"] if m["relation"] == "applicant"), passport["members"][0]
    )
    return {
        "district": passport["address"]["district"],
        "hq": passport["address"]["hq"],
        "curator_id": passport.get("curator_id"),
        "applicant_full_name": applicant["full_name"],
        "phone": ((passport.get("contacts") or {}).get("phones") or [None])[0],
    }
