"""Data access for calls and the per-day call log; the passport service's family search."""

import asyncio
from datetime import date
from typing import Any
from uuid import UUID

import httpx
from patronage_common.store import Database, Document, upsert_one

from ..appointments.errors import FieldRefusedError, PassportUnavailableError
from ..families.service import tls_context

CALLS = "calls"
CALL_LOG = "call_log"
LOOKUP_LIMIT = 10


def day_log_id(day: date) -> str:
    """``day:2026-11-23``: the log document of one local day."""
    return f"day:{day.isoformat()}"


async def get_call(*, db: Database, call_id: UUID) -> Document | None:
    """The stored call, or None."""
    return await db[CALLS].find_one({"_id": str(call_id)}, {"outbox": 0})


async def log_call(*, db: Database, day: date, call_id: UUID) -> None:
    """List the call under its day (before the call is stored, so none is left out)."""
    await upsert_one(
        db[CALL_LOG], {"_id": day_log_id(day)}, {"$addToSet": {"call_ids": str(call_id)}}
    )


async def calls_of_day(*, db: Database, day: date) -> list[Document]:
    """The day's calls in the order they came."""
    log = await db[CALL_LOG].find_one({"_id": day_log_id(day)})
    ids: list[str] = (log or {}).get("call_ids") or []
    calls = await asyncio.gather(*(get_call(db=db, call_id=UUID(i)) for i in ids))
    # An id without a call: its writer stopped between the log and the call. Skip it.
    return sorted((c for c in calls if c is not None), key=lambda c: c["received_at"])


async def search_families(
    *, passport_url: str, phone: str | None, name: str | None
) -> list[dict[str, Any]]:
    """Families whose passport matches the phone and/or name (the passport service's search)."""
    params = {k: v for k, v in (("phone", phone), ("name", name)) if v}
    try:
        async with httpx.AsyncClient(
            base_url=passport_url, timeout=5.0, verify=tls_context()
        ) as client:
            response = await client.get("/passports", params={**params, "limit": LOOKUP_LIMIT})
    except httpx.HTTPError as exc:
        raise PassportUnavailableError(str(exc)) from exc
    if response.status_code == httpx.codes.UNPROCESSABLE_ENTITY:
        detail = response.json().get("detail")
        first = detail[0] if isinstance(detail, list) and detail else {}
        field = (first.get("loc") or ["query", "phone"])[-1]
        raise FieldRefusedError(("query", str(field)), first.get("msg") or "неверный запрос")
    if response.is_server_error:
        raise PassportUnavailableError(f"passport service answered {response.status_code}")
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def to_api(document: Document, outcome_label: str) -> dict[str, Any]:
    """API shape of a stored call."""
    hidden = {"_id", "outbox"}
    return {
        "call_id": document["_id"],
        "outcome_label": outcome_label,
        **{k: v for k, v in document.items() if k not in hidden},
    }
