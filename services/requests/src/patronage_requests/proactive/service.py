"""Data access of proactive rules. Every read and write is by ``_id``.

- ``proactive_families``: facts of each family (``_id`` = family id);
- ``proactive_calendar``: day buckets, ``<rule>:<YYYY-MM-DD>`` → family ids due that day,
  and the ``cursor`` of the last day the calendar run finished;
- ``proactive_firings``: one claim per rule and fact (``proactive:<rule>:<fact>``);
- ``proactive_unfinished``: markers of claims whose actions may not all be done yet
  (small: a marker lives from the claim until its last action);
- ``proactive_firing_index``: claim ids per family and per rule and day, for the API.
"""

from datetime import date, datetime, timedelta
from typing import Any

from patronage_common.store import Database, Document, upsert_one
from patronage_contracts import utc_now

FACTS = "proactive_families"
CALENDAR = "proactive_calendar"
FIRINGS = "proactive_firings"
UNFINISHED = "proactive_unfinished"
FIRING_INDEX = "proactive_firing_index"
CURSOR_ID = "cursor"


async def get_facts(*, db: Database, family_id: str) -> Document | None:
    """The stored facts of a family, or None."""
    return await db[FACTS].find_one({"_id": family_id})


async def save_facts(*, db: Database, family_id: str, facts: dict[str, Any]) -> None:
    """Replace what the passport says of the family (the last contact is kept)."""
    await upsert_one(db[FACTS], {"_id": family_id}, {"$set": facts})


async def record_contact(*, db: Database, family_id: str, day: date) -> None:
    """Remember a contact on ``day``, unless a later one is known."""
    await upsert_one(db[FACTS], {"_id": family_id}, {"$max": {"last_contact": day.isoformat()}})


def bucket_id(rule_code: str, day: date) -> str:
    """``_id`` of the bucket of a rule's facts due on ``day``."""
    return f"{rule_code}:{day.isoformat()}"


async def add_to_bucket(*, db: Database, rule_code: str, day: date, family_id: str) -> None:
    """Put the family in the rule's bucket of ``day``."""
    await upsert_one(
        db[CALENDAR], {"_id": bucket_id(rule_code, day)}, {"$addToSet": {"families": family_id}}
    )


async def bucket_families(*, db: Database, rule_code: str, day: date) -> list[str]:
    """Families in the rule's bucket of ``day``."""
    bucket = await db[CALENDAR].find_one({"_id": bucket_id(rule_code, day)})
    return list((bucket or {}).get("families") or [])


async def last_calendar_day(*, db: Database) -> date | None:
    """The last day the calendar run finished, or None before the first run."""
    cursor = await db[CALENDAR].find_one({"_id": CURSOR_ID})
    return date.fromisoformat(cursor["day"]) if cursor else None


async def finish_calendar_day(*, db: Database, day: date) -> None:
    """Record that the calendar run finished ``day`` (never moves back)."""
    await upsert_one(db[CALENDAR], {"_id": CURSOR_ID}, {"$max": {"day": day.isoformat()}})


async def mark_unfinished(*, db: Database, claim_id: str) -> None:
    """Note that the claim's actions may not all be done (before claiming)."""
    await upsert_one(db[UNFINISHED], {"_id": claim_id}, {"$set": {"at": utc_now()}})


async def unmark_unfinished(*, db: Database, claim_id: str) -> None:
    """The claim is finished."""
    await db[UNFINISHED].delete_one({"_id": claim_id})


async def unfinished_claims(*, db: Database, older_than_s: float) -> list[str]:
    """Ids of claims marked unfinished more than ``older_than_s`` seconds ago."""
    cutoff: datetime = utc_now() - timedelta(seconds=older_than_s)
    return [m["_id"] async for m in db[UNFINISHED].find({}) if m["at"] <= cutoff]


async def insert_claim(*, db: Database, claim: Document) -> None:
    """Claim a firing; ``DuplicateKeyError`` if the fact was claimed before."""
    await db[FIRINGS].insert_one({**claim, "fired_at": utc_now()})


async def get_claim(*, db: Database, claim_id: str) -> Document | None:
    """A claim without its outbox, or None."""
    return await db[FIRINGS].find_one({"_id": claim_id}, {"outbox": 0})


async def update_claim(*, db: Database, claim_id: str, fields: Document) -> None:
    """Set fields of a claim."""
    await db[FIRINGS].update_one({"_id": claim_id}, {"$set": fields})


async def get_claims(*, db: Database, claim_ids: list[str]) -> list[Document]:
    """Claims by id, in the given order (missing ones left out)."""
    found = []
    for claim_id in claim_ids:
        claim = await get_claim(db=db, claim_id=claim_id)
        if claim is not None:
            found.append(claim)
    return found


async def index_firing(
    *, db: Database, claim_id: str, family_id: str, rule_code: str, day: date
) -> None:
    """List the claim under its family and under its rule's day."""
    for index_id in (f"family:{family_id}", f"rule:{rule_code}:{day.isoformat()}"):
        await upsert_one(db[FIRING_INDEX], {"_id": index_id}, {"$addToSet": {"claims": claim_id}})


async def claim_ids_of_family(*, db: Database, family_id: str) -> list[str]:
    """Claim ids of a family's firings."""
    index = await db[FIRING_INDEX].find_one({"_id": f"family:{family_id}"})
    return list((index or {}).get("claims") or [])


async def claim_ids_of_rule(*, db: Database, rule_code: str, day: date) -> list[str]:
    """Claim ids of a rule's firings on ``day``."""
    index = await db[FIRING_INDEX].find_one({"_id": f"rule:{rule_code}:{day.isoformat()}"})
    return list((index or {}).get("claims") or [])
