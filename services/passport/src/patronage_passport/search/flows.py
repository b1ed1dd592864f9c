"""Keep the index in step with passports, and answer searches from it."""

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass

from patronage_common.store import Database

from ..passports import service as passports
from ..passports.documents import Document, applicant_of
from . import service
from .keys import (
    OPEN_NEED_STATUSES,
    entry_of,
    family_of,
    group_of,
    is_fine,
    leaf_for,
    search_keys,
)

ALL = "all:"
RESTRICTED_KEYS = ("name:", "phone:")


def indexed_keys(document: Document) -> list[str]:
    """Keys a stored passport is indexed under (names and phones not after consent withdrawal)."""
    keys = [ALL, *search_keys(document)]
    if "personal_data" in (document.get("restricted_scopes") or []):
        keys = [k for k in keys if not k.startswith(RESTRICTED_KEYS)]
    return keys


def summary_of(document: Document) -> Document:
    """The search-result line of a stored passport, kept with its index state."""
    restricted = "personal_data" in (document.get("restricted_scopes") or [])
    return {
        "family_id": document["_id"],
        "applicant_full_name": "скрыто" if restricted else applicant_of(document)["full_name"],
        "phone": None
        if restricted
        else ((document.get("contacts") or {}).get("phones") or [None])[0],
        "district": document["address"]["district"],
        "hq": document["address"]["hq"],
        "curator_id": document.get("curator_id"),
        "categories": document["categories"],
        "open_needs": sorted(
            {n["category"] for n in document["needs"] if n["status"] in OPEN_NEED_STATUSES}
        ),
    }


def state_of(document: Document) -> Document:
    """What the index keeps for a passport: entry, keys, version and result line."""
    return {
        "entry": entry_of(document),
        "keys": indexed_keys(document),
        "version": document["version"],
        "summary": summary_of(document),
    }


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
    new_state = state_of(document)
    entry, keys = new_state["entry"], new_state["keys"]
    old_entry, old_keys = state["entry"], state["keys"]
    await service.move_entries(
        db=db,
        removed=[(k, old_entry) for k in old_keys if k not in keys or old_entry != entry],
        added=[(k, entry) for k in keys if k not in old_keys or old_entry != entry],
    )
    await service.save_state(db=db, family_id=family_id, state=new_state)


@dataclass(frozen=True)
class Found:
    """Result lines of one page, the cursor of the next, and the total when known."""

    items: list[Document]
    next_cursor: str | None
    total: int | None

    @property
    def family_ids(self) -> list[str]:
        """Family ids of the page, in order."""
        return [str(item["family_id"]) for item in self.items]


def encode_cursor(entry: str) -> str:
    """Opaque cursor of a posting entry."""
    return base64.urlsafe_b64encode(entry.encode()).decode()


def decode_cursor(cursor: str) -> str:
    """Posting entry of a cursor (ValueError if it is not one)."""
    return base64.urlsafe_b64decode(cursor.encode()).decode()


async def _states(db: Database, entries: list[str]) -> list[Document]:
    found = await asyncio.gather(
        *(service.get_state(db=db, family_id=family_of(e)) for e in entries)
    )
    return [state for state in found if state is not None]


LEAVES_AT_ONCE = 12


async def _driver_entries(
    db: Database, key: str, groups: list[str], after: str | None
) -> AsyncIterator[list[str]]:
    """The driving key's entries after ``after``, in name order, a few leaves at a time."""
    start = leaf_for(key, after) if after else ""
    for group in (g for g in groups if g >= group_of(start)):
        if is_fine(key):
            leaves = await service.group_leaves(db=db, key=key, group=group)
        else:
            leaves = [group]  # a two-letter leaf is its own group
        leaves = [leaf for leaf in leaves if leaf >= start]
        for offset in range(0, len(leaves), LEAVES_AT_ONCE):
            batch = await asyncio.gather(
                *(
                    service.leaf_entries(db=db, key=key, leaf=leaf)
                    for leaf in leaves[offset : offset + LEAVES_AT_ONCE]
                )
            )
            entries = sorted(e for leaf in batch for e in leaf if after is None or e > after)
            if entries:
                yield entries


async def search(*, db: Database, keys: list[str], after: str | None, limit: int) -> Found:
    """Passports found by every key, sorted by applicant name, ``limit`` after ``after``.

    The rarest key drives, leaf by leaf in name order; its candidates are checked against
    the other keys through their small per-family index states (read by ``_id``,
    concurrently), never through the other keys' postings, which may be large.
    """
    criteria = list(dict.fromkeys(keys)) or [ALL]
    summaries = await asyncio.gather(*(service.key_summary(db=db, key=k) for k in criteria))
    counts = [count for count, _ in summaries]
    if min(counts) == 0:
        return Found([], None, 0)
    driver = criteria[counts.index(min(counts))]
    others = set(criteria) - {driver}
    found: list[Document] = []
    groups = summaries[criteria.index(driver)][1]
    async for entries in _driver_entries(db, driver, groups, after):
        # Read candidates' states a chunk at a time: enough for the page, rarely more.
        for offset in range(0, len(entries), limit + 1):
            chunk = entries[offset : offset + limit + 1]
            states = await _states(db, chunk)
            found += [s for s in states if others <= set(s["keys"]) and s["entry"] in chunk]
            if len(found) > limit:
                break
        if len(found) > limit:
            break
    page = found[:limit]
    next_cursor = encode_cursor(page[-1]["entry"]) if len(found) > limit else None
    total = counts[0] if len(criteria) == 1 else None
    return Found([s["summary"] for s in page], next_cursor, total)
