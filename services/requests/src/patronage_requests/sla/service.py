"""Data access of the SLA: clock records, due-time buckets, the scan cursor, overdue lists.

Every read and write goes by ``_id`` (FerretDB v1 looks nothing else up by index):

- ``sla_clocks``: one record per request, ``_id`` = request id;
- ``sla_schedule``: ``due:<YYYYMMDDHHMM>`` lists the requests to look at in that UTC
  minute; ``due-day:<YYYYMMDD>`` lists that day's non-empty minutes, so a scan reads one
  document per day plus the minutes that hold something; ``due:asap`` holds requests whose
  moment fell behind the scan cursor; ``cursor`` is the last minute scanned;
- ``sla_firings``: one claim per firing (``sla:<request>:<clock>:<level>``), carrying the
  event in its outbox;
- ``sla_overdue``: ``overdue:<district>`` lists ``<request>:<clock>`` breached there.
"""

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from patronage_common.store import Database, upsert_one
from patronage_contracts import SlaClock
from pymongo.errors import DuplicateKeyError

from .domain import LagMark, SlaRecord

CLOCKS = "sla_clocks"
SCHEDULE = "sla_schedule"
FIRINGS = "sla_firings"
OVERDUE = "sla_overdue"

CURSOR_ID = "cursor"
ASAP_ID = "due:asap"
MINUTE_FORMAT = "%Y%m%d%H%M"


def minute_key(instant: datetime) -> str:
    """``YYYYMMDDHHMM`` of the UTC minute holding ``instant``."""
    return instant.astimezone(UTC).strftime(MINUTE_FORMAT)


def minute_start(key: str) -> datetime:
    """The instant a minute key starts (UTC)."""
    return datetime.strptime(key, MINUTE_FORMAT).replace(tzinfo=UTC)


async def get_record(*, db: Database, request_id: UUID) -> SlaRecord | None:
    """The SLA record of a request, or None."""
    document = await db[CLOCKS].find_one({"_id": str(request_id)})
    if document is None:
        return None
    document.pop("_id")
    return SlaRecord.model_validate(document)


async def insert_record(*, db: Database, record: SlaRecord) -> bool:
    """Store a new record; False if the request already has one."""
    try:
        await db[CLOCKS].insert_one(
            {"_id": str(record.request_id), **record.model_dump(mode="json")}
        )
    except DuplicateKeyError:
        return False
    return True


async def save_record(*, db: Database, record: SlaRecord) -> None:
    """Store a changed record; ``fired`` and ``behind`` stay as the scheduler wrote them."""
    fields = record.model_dump(mode="json", exclude={"fired", "behind"})
    await db[CLOCKS].update_one({"_id": str(record.request_id)}, {"$set": fields})


async def mark_behind(*, db: Database, request_id: UUID, mark: LagMark) -> None:
    """Remember that (and how often) the scheduler found the record behind its request."""
    await db[CLOCKS].update_one(
        {"_id": str(request_id)}, {"$set": {"behind": mark.model_dump(mode="json")}}
    )


async def mark_fired(*, db: Database, request_id: UUID, keys: Iterable[str]) -> None:
    """Remember firings on the record (the claims are the authority; this saves reads)."""
    await db[CLOCKS].update_one(
        {"_id": str(request_id)}, {"$addToSet": {"fired": {"$each": list(keys)}}}
    )


async def get_cursor(*, db: Database) -> str | None:
    """The last minute the scheduler has scanned, or None before its first scan."""
    document = await db[SCHEDULE].find_one({"_id": CURSOR_ID})
    return None if document is None else str(document["minute"])


async def start_cursor(*, db: Database, minute: str) -> str:
    """Create the cursor at ``minute`` unless another replica did; return the cursor."""
    with contextlib.suppress(DuplicateKeyError):
        await db[SCHEDULE].insert_one({"_id": CURSOR_ID, "minute": minute})
    cursor = await get_cursor(db=db)
    assert cursor is not None
    return cursor


async def advance_cursor(*, db: Database, minute: str) -> None:
    """Move the cursor forward to ``minute`` (never back)."""
    current = await get_cursor(db=db)
    if current is None or minute > current:
        await db[SCHEDULE].update_one({"_id": CURSOR_ID}, {"$set": {"minute": minute}})


async def schedule(
    *, db: Database, request_id: UUID, times: Iterable[datetime], token: str
) -> None:
    """Have the scheduler look at the request at each of ``times``.

    A moment at or behind the cursor would never be scanned in its minute; it goes to the
    ``asap`` list, which every scan reads, as ``<request>|<token>``: a scan takes off only
    the entries it read, never one added since for a newer reason. Before the first scan
    (no cursor yet) every moment goes to both: the first cursor starts just before "now".
    """
    cursor = await get_cursor(db=db)
    minutes: dict[str, set[str]] = defaultdict(set)
    asap = False
    for instant in times:
        key = minute_key(instant)
        if cursor is None or key <= cursor:
            asap = True
        if cursor is None or key > cursor:
            minutes[key[:8]].add(key)
    rid = str(request_id)
    if asap:
        await upsert_one(db[SCHEDULE], {"_id": ASAP_ID}, {"$addToSet": {"items": f"{rid}|{token}"}})
    for day, keys in sorted(minutes.items()):
        # The bucket first: a scan that finds the minute in the day list finds it filled.
        for key in sorted(keys):
            await upsert_one(db[SCHEDULE], {"_id": f"due:{key}"}, {"$addToSet": {"items": rid}})
        await upsert_one(
            db[SCHEDULE],
            {"_id": f"due-day:{day}"},
            {"$addToSet": {"minutes": {"$each": sorted(k[8:] for k in keys)}}},
        )


async def look_again_soon(*, db: Database, request_id: UUID, token: str) -> None:
    """Have the next scan look at the request again (through the ``asap`` list).

    ``token`` must be new: a scan takes off exactly the entries it read, so the same
    entry added while it runs would be taken off with them.
    """
    await upsert_one(
        db[SCHEDULE], {"_id": ASAP_ID}, {"$addToSet": {"items": f"{request_id}|{token}"}}
    )


async def day_minutes(*, db: Database, day: str) -> list[str]:
    """Non-empty minute keys of a day (``YYYYMMDD``), in order."""
    document = await db[SCHEDULE].find_one({"_id": f"due-day:{day}"})
    return sorted(day + m for m in (document or {}).get("minutes", []))


async def bucket_items(*, db: Database, bucket_id: str) -> list[str]:
    """Request ids listed in a bucket document."""
    document = await db[SCHEDULE].find_one({"_id": bucket_id})
    return list((document or {}).get("items", []))


async def remove_asap(*, db: Database, items: list[str]) -> None:
    """Take handled entries off the ``asap`` list."""
    if items:
        await db[SCHEDULE].update_one({"_id": ASAP_ID}, {"$pullAll": {"items": items}})


def days_between(first: str, last: str) -> list[str]:
    """``YYYYMMDD`` of every day from the day of minute ``first`` to that of ``last``."""
    day, end = minute_start(first).date(), minute_start(last).date()
    days = []
    while day <= end:
        days.append(day.strftime("%Y%m%d"))
        day += timedelta(days=1)
    return days


def _overdue_id(district: str) -> str:
    return f"overdue:{district}"


def _overdue_item(request_id: UUID, clock: SlaClock) -> str:
    return f"{request_id}:{clock.value}"


async def add_overdue(
    *, db: Database, district: str | None, request_id: UUID, clock: SlaClock
) -> None:
    """List a breached clock under its district."""
    if district:
        await upsert_one(
            db[OVERDUE],
            {"_id": _overdue_id(district)},
            {"$addToSet": {"items": _overdue_item(request_id, clock)}},
        )


async def remove_overdue(
    *, db: Database, district: str | None, request_id: UUID, clocks: Iterable[SlaClock]
) -> None:
    """Take stopped clocks off their district's overdue list."""
    items = [_overdue_item(request_id, clock) for clock in clocks]
    if district and items:
        await db[OVERDUE].update_one({"_id": _overdue_id(district)}, {"$pullAll": {"items": items}})


async def overdue_items(*, db: Database, district: str) -> list[tuple[UUID, SlaClock]]:
    """Request and clock of everything listed overdue in a district."""
    document = await db[OVERDUE].find_one({"_id": _overdue_id(district)})
    items = []
    for item in (document or {}).get("items", []):
        request_id, clock = item.rsplit(":", 1)
        items.append((UUID(request_id), SlaClock(clock)))
    return items
