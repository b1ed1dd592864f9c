"""Data access for help requests and the per-family request index (all by ``_id``)."""

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from patronage_common.batching import GROUP_LIMIT
from patronage_common.locks import locked, release_many, try_lock_many
from patronage_common.logging import get_logger
from patronage_common.outbox import GROUP_FIELD, OUTBOX_FIELD
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Database, Document, upsert_many
from patronage_contracts import Agency, utc_now
from pymongo import DeleteOne
from pymongo.errors import BulkWriteError

from ..families.views import family_view
from ..settings import RequestsSettings
from . import domain

log = get_logger(__name__)

REQUESTS = "help_requests"
FAMILY_REQUESTS = "family_requests"
"""One document per family (``_id`` = family id) listing its request ids, oldest first."""
FAMILY_REQUEST_LINKS = "family_request_links"
"""One document per new request (``_id`` = request id) not yet folded into its family's
index; kept small by ``fold_family_links``, so looking one family's up scans little."""
FOLD_LIMIT = 5000
DUPLICATE_KEY = 11000


async def get_request(*, db: Database, request_id: UUID | str) -> Document | None:
    """The stored request, or None."""
    return await db[REQUESTS].find_one({"_id": str(request_id)}, {OUTBOX_FIELD: 0, GROUP_FIELD: 0})


async def add_to_family_indexes(*, db: Database, documents: Sequence[Document]) -> None:
    """List new requests under their families: one insert of a link per request.

    Updating each family's index here would cost one whole-document rewrite per family
    (FerretDB v1 updates ten times slower than it inserts), so the links are inserted and
    ``fold_family_links`` moves them into the indexes later. A link already there (a
    redelivered command) is left as it is.
    """
    if not documents:
        return
    now = utc_now()
    links = [
        {"_id": d["_id"], "family_id": d["family_id"], "at": now, "n": n}
        for n, d in enumerate(documents)
    ]
    try:
        await db[FAMILY_REQUEST_LINKS].insert_many(links, ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise


async def fold_family_links(*, db: Database, limit: int = FOLD_LIMIT) -> int:
    """Move up to ``limit`` links into their families' indexes; return how many moved.

    One update per family however many of its requests came meanwhile, under the
    family index's lock (two concurrent ``$addToSet`` on one document can lose one in
    FerretDB v1); each link is deleted (by ``_id``) once its family's index lists it.
    The families' locks are taken together and their updates and deletes sent in bulk;
    a family whose lock another writer holds is folded alone, waiting for it.
    """
    links = [link async for link in db[FAMILY_REQUEST_LINKS].find({}).limit(limit)]
    by_family: dict[str, list[Document]] = {}
    for link in sorted(links, key=_link_order):
        by_family.setdefault(link["family_id"], []).append(link)
    keys = {f"{FAMILY_REQUESTS}:{f}": f for f in by_family}
    owner, taken = await try_lock_many(db, list(keys))
    try:
        await _fold(db=db, by_family={keys[k]: by_family[keys[k]] for k in taken})
    finally:
        await release_many(db, taken, owner)
    for key in keys.keys() - set(taken):
        async with locked(db, key):
            await _fold(db=db, by_family={keys[key]: by_family[keys[key]]})
    return len(links)


async def _fold(*, db: Database, by_family: dict[str, list[Document]]) -> None:
    """Add the links to their (locked) families' indexes, then delete them."""
    await upsert_many(
        db[FAMILY_REQUESTS],
        [
            ({"_id": f}, {"$addToSet": {"request_ids": {"$each": [link["_id"] for link in ls]}}})
            for f, ls in by_family.items()
        ],
    )
    deletes = [DeleteOne({"_id": link["_id"]}) for ls in by_family.values() for link in ls]
    for start in range(0, len(deletes), GROUP_LIMIT):
        await db[FAMILY_REQUEST_LINKS].bulk_write(
            deletes[start : start + GROUP_LIMIT], ordered=False
        )


async def fold_family_links_forever(runtime: ServiceRuntime) -> None:
    """Fold the family links every few seconds while the service runs."""
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    while True:
        try:
            await fold_family_links(db=runtime.db)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("folding family request links failed; retrying")
        await asyncio.sleep(settings.family_links_fold_interval_s)


def _link_order(link: Document) -> tuple[Any, int]:
    return (link["at"], link.get("n", 0))


async def request_ids_of_family(*, db: Database, family_id: UUID) -> list[str]:
    """Ids listed under the family, oldest first (some may never have been stored)."""
    # Links first: one deleted meanwhile was in the index before it was deleted.
    links = [link async for link in db[FAMILY_REQUEST_LINKS].find({"family_id": str(family_id)})]
    index = await db[FAMILY_REQUESTS].find_one({"_id": str(family_id)})
    listed = list((index or {}).get("request_ids", []))
    known = set(listed)
    return listed + [
        link["_id"] for link in sorted(links, key=_link_order) if link["_id"] not in known
    ]


async def requests_of_family(*, db: Database, family_id: UUID) -> list[Document]:
    """The family's requests, newest first (ids whose request was never stored are skipped)."""
    ids = reversed(await request_ids_of_family(db=db, family_id=family_id))
    documents = await asyncio.gather(*(get_request(db=db, request_id=i) for i in ids))
    return [d for d in documents if d is not None]


LINE_FIELDS = {"category": 1, "status": 1, "created_at": 1}
"""What a family's list shows of each request (and what its visibility depends on)."""


async def request_lines_of_family(*, db: Database, family_id: UUID) -> list[Document]:
    """The family's requests, newest first, each read by ``_id`` for ``LINE_FIELDS`` only
    (ids whose request was never stored are skipped): as current as the requests are."""
    ids = reversed(await request_ids_of_family(db=db, family_id=family_id))
    documents = await asyncio.gather(*(db[REQUESTS].find_one({"_id": i}, LINE_FIELDS) for i in ids))
    return [d for d in documents if d is not None]


def to_line(document: Document) -> dict[str, Any]:
    """API shape of a request's line in a family's list."""
    return {
        "request_id": document["_id"],
        "category": document["category"],
        "status": document["status"],
        "created_at": document["created_at"],
    }


def to_api(document: Document) -> dict[str, Any]:
    """API shape of a stored request."""
    hidden = {"_id", OUTBOX_FIELD, GROUP_FIELD, "applied_reports", "correlation_id"}
    return {"request_id": document["_id"], **{k: v for k, v in document.items() if k not in hidden}}


def to_agency_view(document: Document, family: Document | None, agency: Agency) -> dict[str, Any]:
    """What a worker of ``agency`` sees of a request: their tasks and the family data their
    agency receives with its tasks (AGENCY_VIEWS), nothing more."""
    own = [t for t in document["tasks"] if t["agency"] == agency.value]
    member_id = document.get("member_id")
    return {
        "request_id": document["_id"],
        "category": document["category"],
        "description": document["description"],
        "urgency": document["urgency"],
        "status": document["status"],
        "district": document.get("district"),
        "created_at": document["created_at"],
        "updated_at": document.get("updated_at"),
        "tasks": [
            {
                "task_id": t["task_id"],
                "agency": t["agency"],
                "status": t["status"],
                "note": t.get("note"),
                "question": t.get("question"),
                "next_statuses": domain.next_statuses(t["status"]),
                "updated_at": t["updated_at"],
            }
            for t in own
        ],
        **family_view(agency, family or {}, member_id=UUID(member_id) if member_id else None),
    }
