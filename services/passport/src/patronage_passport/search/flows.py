"""Keep the index in step with passports, and answer searches from it."""

import asyncio
import base64
from dataclasses import dataclass

from patronage_common.store import Database

from ..passports import service as passports
from ..passports.documents import Document
from . import service
from .keys import bucket_of, entry_of, family_of, search_keys

ALL = "all:"
RESTRICTED_KEYS = ("name:", "phone:")


def indexed_keys(document: Document) -> list[str]:
    """Keys a stored passport is indexed under (names and phones not after consent withdrawal)."""
    keys = [ALL, *search_keys(document)]
    if "personal_data" in (document.get("restricted_scopes") or []):
        keys = [k for k in keys if not k.startswith(RESTRICTED_KEYS)]
    return keys


async def reindex_family(*, db: Database, family_id: str) -> None:
    """Make the family's postings match its current passport (safe to repeat)."""
    document = await passports.get_document(db=db, family_id=family_id)
    state = await service.get_state(db=db, family_id=family_id) or {
        "entry": "",
        "keys": [],
        "version": 0,
    }
    if document is None or document["version"] < state["version"]:
        return
    entry, keys = entry_of(document), indexed_keys(document)
    old_entry, old_keys = state["entry"], state["keys"]
    for key in old_keys:
        if key not in keys or old_entry != entry:
            await service.remove_entry(db=db, key=key, bucket=bucket_of(old_entry), entry=old_entry)
    for key in keys:
        if key not in old_keys or old_entry != entry:
            await service.add_entry(db=db, key=key, bucket=bucket_of(entry), entry=entry)
    await service.save_state(
        db=db, family_id=family_id, entry=entry, keys=keys, version=document["version"]
    )


@dataclass(frozen=True)
class Found:
    """Family ids of one page, the cursor of the next, and the total when known."""

    family_ids: list[str]
    next_cursor: str | None
    total: int | None


def encode_cursor(entry: str) -> str:
    """Opaque cursor of a posting entry."""
    return base64.urlsafe_b64encode(entry.encode()).decode()


def decode_cursor(cursor: str) -> str:
    """Posting entry of a cursor (ValueError if it is not one)."""
    return base64.urlsafe_b64decode(cursor.encode()).decode()


async def search(*, db: Database, keys: list[str], after: str | None, limit: int) -> Found:
    """Passports found by every key, sorted by applicant name, ``limit`` after ``after``."""
    criteria = list(dict.fromkeys(keys)) or [ALL]
    summaries = await asyncio.gather(*(service.key_summary(db=db, key=k) for k in criteria))
    counts = [count for count, _ in summaries]
    if min(counts) == 0:
        return Found([], None, 0)
    # Drive by the rarest key, over the buckets it has; check the others bucket by bucket.
    ordered = [k for _, k in sorted(zip(counts, criteria, strict=True))]
    driver_buckets = sorted(summaries[criteria.index(ordered[0])][1])
    found: list[str] = []
    start = bucket_of(after) if after else ""
    for bucket in (b for b in driver_buckets if b >= start):
        entries = set(await service.bucket_entries(db=db, key=ordered[0], bucket=bucket))
        for key in ordered[1:]:
            if not entries:
                break
            entries &= set(await service.bucket_entries(db=db, key=key, bucket=bucket))
        found += sorted(e for e in entries if after is None or e > after)
        if len(found) > limit:
            break
    page = found[:limit]
    next_cursor = encode_cursor(page[-1]) if len(found) > limit else None
    total = counts[0] if len(criteria) == 1 else None
    return Found([family_of(e) for e in page], next_cursor, total)
