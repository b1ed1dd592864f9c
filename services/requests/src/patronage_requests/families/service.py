"""Family snapshots: what the requests service keeps of each family, keyed by family id.

Passport events keep district, HQ and curator current and tell which passport version is
the latest; the details agencies need (applicant contact, members, address) are fetched
from the passport service and refreshed when a newer passport version was announced.
"""

import functools
import ssl
import time
from typing import Any
from uuid import UUID

import httpx
from patronage_common.identity import service_identity_headers
from patronage_common.store import Database, Document, upsert_one

FAMILIES = "families"
SERVICE_NAME = "requests"

SHARE_WITH_AGENCIES = "share_with_agencies"
HEALTH_DATA = "health_data"


async def get_family(*, db: Database, family_id: UUID) -> Document | None:
    """The snapshot of a family, or None if the service has not heard of it."""
    return await db[FAMILIES].find_one({"_id": str(family_id)})


_recent: dict[tuple[str, str], tuple[float, Document]] = {}
RECENT_LIMIT = 10_000


async def get_recent_family(*, db: Database, family_id: UUID, max_age_s: float) -> Document | None:
    """The family's snapshot as read at most ``max_age_s`` ago by this process.

    For bulk intake, where one family's snapshot would otherwise be read once per request:
    a change made through this process is seen at once, one made by another replica
    within ``max_age_s`` (the lag of the passport events that bring it is of that order).
    """
    key = (db.name, str(family_id))
    now = time.monotonic()
    hit = _recent.get(key)
    if hit is not None and now - hit[0] <= max_age_s:
        return hit[1]
    family = await get_family(db=db, family_id=family_id)
    if family is not None and max_age_s > 0:
        if len(_recent) >= RECENT_LIMIT:
            _recent.clear()
        _recent[key] = (now, family)
    return family


def _forget(db: Database, family_id: UUID) -> None:
    """Drop the family's snapshot read before this process changed it."""
    _recent.pop((db.name, str(family_id)), None)


async def save_family(
    *, db: Database, family_id: UUID, district: str, hq: str, curator_id: str | None
) -> None:
    """Create or refresh a family snapshot."""
    await upsert_one(
        db[FAMILIES],
        {"_id": str(family_id)},
        {"$set": {"district": district, "hq": hq, "curator_id": curator_id}},
    )
    _forget(db, family_id)


async def note_passport_version(*, db: Database, family_id: UUID, version: int) -> None:
    """Remember that the passport reached ``version`` (the details may be older)."""
    await upsert_one(db[FAMILIES], {"_id": str(family_id)}, {"$max": {"latest_version": version}})
    _forget(db, family_id)


async def save_details(*, db: Database, family_id: UUID, details: Document) -> None:
    """Store what was fetched from the passport service in the snapshot."""
    await upsert_one(db[FAMILIES], {"_id": str(family_id)}, {"$set": details})
    _forget(db, family_id)


async def set_curator(*, db: Database, family_id: UUID, curator_id: str) -> None:
    """Record a family's new curator."""
    await upsert_one(db[FAMILIES], {"_id": str(family_id)}, {"$set": {"curator_id": curator_id}})
    _forget(db, family_id)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every fetch: httpx builds a new one per client otherwise, which
    loads the CA bundle (~0.1 s of CPU) each time a family's details are fetched."""
    return ssl.create_default_context()


async def fetch_passport(
    *, passport_url: str, family_id: UUID, identity_secret: str
) -> Document | None:
    """The family's passport from the passport service (as its consent allows), or None.

    The call states the service's own signed identity, so it works with IDENTITY_REQUIRED.
    """
    headers = service_identity_headers(SERVICE_NAME, identity_secret)
    async with httpx.AsyncClient(
        base_url=passport_url, timeout=5.0, verify=tls_context()
    ) as client:
        response = await client.get(f"/passports/{family_id}", headers=headers)
    if response.status_code == httpx.codes.NOT_FOUND:
        return None
    response.raise_for_status()
    passport: Document = response.json()
    return passport


def details_of(passport: Document) -> Document:
    """The part of a passport the requests service keeps (no serviceman data at all)."""
    members: list[dict[str, Any]] = passport["members"]
    applicant = next((m for m in members if m["relation"] == "applicant"), members[0])
    shared = _consented(passport, SHARE_WITH_AGENCIES)
    address = passport["address"]
    return {
        "district": address["district"],
        "hq": address["hq"],
        "curator_id": passport.get("curator_id"),
        "details_version": passport["version"],
        "share_with_agencies": shared,
        "categories": list(passport.get("categories") or []),
        "applicant_member_id": applicant["member_id"],
        "applicant_full_name": applicant["full_name"],
        "phone": ((passport.get("contacts") or {}).get("phones") or [None])[0],
        "address": {
            "locality": address["locality"],
            "street": address.get("street"),
            "house": address.get("house"),
            "apartment": address.get("apartment"),
        },
        "members": [_member(m, health=_consented(passport, HEALTH_DATA)) for m in members],
        "need_ids": [n["need_id"] for n in passport.get("needs") or []],
        "plan_item_ids": [p["plan_item_id"] for p in passport.get("plan_items") or []],
    }


def _consented(passport: Document, scope: str) -> bool:
    """Whether the family gave, and did not withdraw, consent for ``scope``."""
    given = (passport.get("consent") or {}).get("scope") or []
    return scope in given and scope not in (passport.get("restricted_scopes") or [])


def _member(member: Document, *, health: bool) -> Document:
    school = member.get("school") or {}
    preschool = member.get("preschool") or {}
    return {
        "member_id": member["member_id"],
        "relation": member["relation"],
        "full_name": member["full_name"],
        "birth_date": member["birth_date"],
        "school": school.get("school"),
        "grade": str(school["grade"]) if school.get("grade") is not None else None,
        "kindergarten": preschool.get("kindergarten"),
        # A health fact: kept only with consent to process health data.
        "has_disability": health and bool(member.get("disability")),
    }
