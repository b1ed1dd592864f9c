"""Data access of the SLA: clock records, due-time buckets, the scan cursor, overdue lists.

Every read and write goes by ``_id`` (FerretDB v1 looks nothing else up by index):

- ``sla_clocks``: one record per request, ``_id`` = request id;
- ``sla_schedule``: the requests to look at in a UTC minute are listed in chunks written
  once and never updated — ``due:<YYYYMMDDHHMM>`` (chunk 0), ``due:<YYYYMMDDHHMM>:<n>``
  (chunk n) — one chunk per write, for every request that write scheduled in that minute;
  a scan reads a minute's chunks in order up to the first missing one. ``due-day:<YYYYMMDD>``
  lists that day's non-empty minutes, so a scan reads one document per day plus the minutes
  that hold something; ``due:asap`` holds requests whose moment fell behind the scan
  cursor; ``cursor`` is the last minute scanned. A request scheduled again (its clocks
  resumed) keeps its old entries: the scan recomputes what is due from the record, so a
  superseded moment fires nothing;
- ``sla_firings``: one claim per firing (``sla:<request>:<clock>:<level>``), carrying the
  event in its outbox;
- ``sla_overdue``: ``overdue:<district>`` lists ``<request>:<clock>`` breached there.
"""

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from patronage_common.batching import GROUP_LIMIT
from patronage_common.store import Database, projections_of, upsert_one
from patronage_contracts import SlaClock
from pymongo.errors import BulkWriteError, DuplicateKeyError

from .domain import LagMark, SlaRecord

CLOCKS = "sla_clocks"
SCHEDULE = "sla_schedule"
FIRINGS = "sla_firings"
OVERDUE = "sla_overdue"

CURSOR_ID = "cursor"
ASAP_ID = "due:asap"
MINUTE_FORMAT = "%Y%m%d%H%M"
DUPLICATE_KEY = 11000


def minute_key(instant: datetime) -> str:
    """``YYYYMMDDHHMM`` of the UTC minute holding ``instant``."""
    return instant.astimezone(UTC).strftime(MINUTE_FORMAT)


def minute_start(key: str) -> datetime:
    """The instant a minute key starts (UTC)."""
    return datetime.strptime(key, MINUTE_FORMAT).replace(tzinfo=UTC)


async def get_record(*, db: Database, request_id: UUID) -> SlaRecord | None:
    """The SLA record of a request, or None."""
    document = await projections_of(db)[CLOCKS].find_one({"_id": str(request_id)})
    if document is None:
        return None
    document.pop("_id")
    return SlaRecord.model_validate(document)


async def insert_records(*, db: Database, records: Sequence[SlaRecord]) -> set[UUID]:
    """Store new records; the request ids of those that already had one."""
    existing: set[UUID] = set()
    for start in range(0, len(records), GROUP_LIMIT):
        group = records[start : start + GROUP_LIMIT]
        try:
            await projections_of(db)[CLOCKS].insert_many(
                [{"_id": str(r.request_id), **r.model_dump(mode="json")} for r in group],
                ordered=False,
            )
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            existing |= {group[int(e["index"])].request_id for e in errors}
    return existing


async def save_record(*, db: Database, record: SlaRecord) -> None:
    """Store a changed record; ``fired`` and ``behind`` stay as the scheduler wrote them."""
    fields = record.model_dump(mode="json", exclude={"fired", "behind"})
    await projections_of(db)[CLOCKS].update_one({"_id": str(record.request_id)}, {"$set": fields})


async def mark_behind(*, db: Database, request_id: UUID, mark: LagMark) -> None:
    """Remember that (and how often) the scheduler found the record behind its request."""
    await projections_of(db)[CLOCKS].update_one(
        {"_id": str(request_id)}, {"$set": {"behind": mark.model_dump(mode="json")}}
    )


async def mark_fired(*, db: Database, request_id: UUID, keys: Iterable[str]) -> None:
    """Remember firings on the record (the claims are the authority; this saves reads)."""
    await projections_of(db)[CLOCKS].update_one(
        {"_id": str(request_id)}, {"$addToSet": {"fired": {"$each": list(keys)}}}
    )


async def get_cursor(*, db: Database) -> str | None:
    """The last minute the scheduler has scanned, or None before its first scan."""
    document = await projections_of(db)[SCHEDULE].find_one({"_id": CURSOR_ID})
    return None if document is None else str(document["minute"])


async def start_cursor(*, db: Database, minute: str) -> str:
    """Create the cursor at ``minute`` unless another replica did; return the cursor."""
    with contextlib.suppress(DuplicateKeyError):
        await projections_of(db)[SCHEDULE].insert_one({"_id": CURSOR_ID, "minute": minute})
    cursor = await get_cursor(db=db)
    assert cursor is not None
    return cursor


async def advance_cursor(*, db: Database, minute: str) -> None:
    """Move the cursor forward to ``minute`` (never back)."""
    current = await get_cursor(db=db)
    if current is None or minute > current:
        await projections_of(db)[SCHEDULE].update_one(
            {"_id": CURSOR_ID}, {"$set": {"minute": minute}}
        )


class ScheduleEntry(NamedTuple):
    """A request to look at at each of ``times``; ``token`` names why (see ``schedule``)."""

    request_id: UUID
    times: list[datetime]
    token: str


async def schedule(
    *, db: Database, request_id: UUID, times: Iterable[datetime], token: str
) -> None:
    """Have the scheduler look at the request at each of ``times``."""
    await schedule_many(db=db, entries=[ScheduleEntry(request_id, list(times), token)])


async def schedule_many(*, db: Database, entries: Sequence[ScheduleEntry]) -> None:
    """Have the scheduler look at each entry's request at each of its times.

    Insert-only on the hot path: one new chunk per minute for all the entries due in it
    (one ``insert_many`` for the lot), and the day's list of minutes updated only for a
    minute this process has not listed yet.

    A moment at or behind the cursor would never be scanned in its minute; it goes to the
    ``asap`` list, which every scan reads, as ``<request>|<token>``: a scan takes off only
    the entries it read, never one added since for a newer reason. Before the first scan
    (no cursor yet) every moment goes to both: the first cursor starts just before "now".
    """
    if not entries:
        return
    cursor = await get_cursor(db=db)
    minutes: dict[str, set[str]] = defaultdict(set)
    asap: set[str] = set()
    for entry in entries:
        rid = str(entry.request_id)
        for instant in entry.times:
            key = minute_key(instant)
            if cursor is None or key <= cursor:
                asap.add(f"{rid}|{entry.token}")
            if cursor is None or key > cursor:
                minutes[key].add(rid)
    if asap:
        await upsert_one(
            projections_of(db)[SCHEDULE],
            {"_id": ASAP_ID},
            {"$addToSet": {"items": {"$each": sorted(asap)}}},
        )
    # The chunks first: a scan that finds the minute in the day list finds it filled.
    await _insert_chunks(db=db, minutes=minutes)
    unlisted: dict[str, list[str]] = defaultdict(list)
    for key in sorted(minutes):
        if (db.name, key) not in _listed_minutes:
            unlisted[key[:8]].append(key)
    for day, keys in sorted(unlisted.items()):
        await upsert_one(
            projections_of(db)[SCHEDULE],
            {"_id": f"due-day:{day}"},
            {"$addToSet": {"minutes": {"$each": [k[8:] for k in keys]}}},
        )
        _remember(_listed_minutes, ((db.name, k) for k in keys))


_listed_minutes: set[tuple[str, str]] = set()
"""(database, minute) this process has put on its day's list: listed once, needs no repeat."""
_next_chunk: dict[tuple[str, str], int] = {}
"""(database, minute) → the chunk number this process expects to be free next."""
MEMORY_LIMIT = 100_000
"""Entries kept in either memory above; forgetting costs a repeat write or a retried insert."""


def _remember(memory: set[tuple[str, str]], keys: Iterable[tuple[str, str]]) -> None:
    if len(memory) > MEMORY_LIMIT:
        memory.clear()
    memory.update(keys)


def chunk_id(key: str, n: int) -> str:
    """``_id`` of chunk ``n`` of a minute's list (chunk 0 has the name whole lists had)."""
    return f"due:{key}" if n == 0 else f"due:{key}:{n}"


async def _insert_chunks(*, db: Database, minutes: dict[str, set[str]]) -> None:
    """Insert one chunk per minute, each at the first chunk number not taken yet.

    Another writer (a replica, or this process before a restart) may have taken the
    number expected: the insert of that chunk fails on its ``_id`` and is tried at the
    next number, so a minute's chunks stay numbered without a gap.
    """
    if len(_next_chunk) > MEMORY_LIMIT:
        _next_chunk.clear()
    pending = {key: sorted(ids) for key, ids in minutes.items()}
    while pending:
        keys = sorted(pending)
        for start in range(0, len(keys), GROUP_LIMIT):
            group = keys[start : start + GROUP_LIMIT]
            documents = [
                {"_id": chunk_id(k, _next_chunk.get((db.name, k), 0)), "items": pending[k]}
                for k in group
            ]
            taken: set[int] = set()
            try:
                await projections_of(db)[SCHEDULE].insert_many(documents, ordered=False)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                if any(e.get("code") != DUPLICATE_KEY for e in errors):
                    raise
                taken = {int(e["index"]) for e in errors}
            for n, key in enumerate(group):
                _next_chunk[(db.name, key)] = _next_chunk.get((db.name, key), 0) + 1
                if n not in taken:
                    del pending[key]


async def look_again_soon(*, db: Database, request_id: UUID, token: str) -> None:
    """Have the next scan look at the request again (through the ``asap`` list).

    ``token`` must be new: a scan takes off exactly the entries it read, so the same
    entry added while it runs would be taken off with them.
    """
    await upsert_one(
        projections_of(db)[SCHEDULE],
        {"_id": ASAP_ID},
        {"$addToSet": {"items": f"{request_id}|{token}"}},
    )


async def day_minutes(*, db: Database, day: str) -> list[str]:
    """Non-empty minute keys of a day (``YYYYMMDD``), in order."""
    document = await projections_of(db)[SCHEDULE].find_one({"_id": f"due-day:{day}"})
    return sorted(day + m for m in (document or {}).get("minutes", []))


async def minute_items(*, db: Database, key: str) -> list[str]:
    """Request ids listed in a minute's chunks (a request may be listed more than once)."""
    items: list[str] = []
    n = 0
    while (
        document := await projections_of(db)[SCHEDULE].find_one({"_id": chunk_id(key, n)})
    ) is not None:
        items += document.get("items", [])
        n += 1
    return items


async def bucket_items(*, db: Database, bucket_id: str) -> list[str]:
    """Request ids listed in a bucket document."""
    document = await projections_of(db)[SCHEDULE].find_one({"_id": bucket_id})
    return list((document or {}).get("items", []))


async def remove_asap(*, db: Database, items: list[str]) -> None:
    """Take handled entries off the ``asap`` list."""
    if items:
        await projections_of(db)[SCHEDULE].update_one(
            {"_id": ASAP_ID}, {"$pullAll": {"items": items}}
        )


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
            projections_of(db)[OVERDUE],
            {"_id": _overdue_id(district)},
            {"$addToSet": {"items": _overdue_item(request_id, clock)}},
        )


async def remove_overdue(
    *, db: Database, district: str | None, request_id: UUID, clocks: Iterable[SlaClock]
) -> None:
    """Take stopped clocks off their district's overdue list."""
    items = [_overdue_item(request_id, clock) for clock in clocks]
    if district and items:
        await projections_of(db)[OVERDUE].update_one(
            {"_id": _overdue_id(district)}, {"$pullAll": {"items": items}}
        )


async def overdue_items(*, db: Database, district: str) -> list[tuple[UUID, SlaClock]]:
    """Request and clock of everything listed overdue in a district."""
    document = await projections_of(db)[OVERDUE].find_one({"_id": _overdue_id(district)})
    items = []
    for item in (document or {}).get("items", []):
        request_id, clock = item.rsplit(":", 1)
        items.append((UUID(request_id), SlaClock(clock)))
    return items
