"""List storage: per scope (a curator or an agency) one bucket per creation day, by ``_id``.

``curator:<login>`` and ``agency:<agency>`` list the days that have requests; the bucket
``<scope>:<YYYY-MM-DD>`` maps each request id to its line (creation time, the request's
status, each agency's task status). ``task:<task id>`` names the request a task belongs
to (an agency knows its tasks by id). ``placed:<request id>`` remembers which scopes hold
the request's line and what the line said, so a refresh moves it between curators and
writes nothing when nothing changed. Lines are derived from the stored request, so a
repeated or late refresh can only make a line more current, never older — except a new
request's first line, taken from its creation events (the request is not read): only while
the request is not placed yet, so the line it writes is the first.

A refresh does not rewrite the day bucket (a document that grows with the day): it inserts
the line's change into ``request_list_lines``, and ``fold_lines`` moves the changes into
their buckets behind, one update per bucket. A page reads the scope's changes not folded yet
with the buckets; a line carries its request's version (``v``), so the newer one wins.

A bucket keeps its lines in one text, a row ``<request id>|<packed line>`` each
(``folded_bucket``, ``packed_line``): FerretDB reads and writes a document whole, and its
cost grows with the document's fields — a bucket of 2,000 lines kept as a map of request id
to line took 18 ms to read and 20 ms to change one line, as one text 3.5 ms each
(``bench/bucket_shapes.py``).
A line that cannot be packed safely stays in the bucket's ``lines`` map, where earlier
versions kept every line (as a document, then as a packed string); both are read.
"""

import asyncio
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from patronage_common.batching import GROUP_LIMIT, gather_limited
from patronage_common.locks import locked, release_many, try_lock_many
from patronage_common.logging import get_logger
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Database, Document, projections_of, upsert_many, upsert_one
from patronage_contracts import (
    Event,
    RequestCreated,
    RequestRouted,
    RequestStatusChanged,
    utc_now,
)
from pymongo import DeleteOne
from pymongo.errors import BulkWriteError

from ..families.service import get_family
from ..help_requests.access import curator_of
from ..help_requests.domain import TASK_SENT
from ..help_requests.service import get_request
from ..settings import RequestsSettings

log = get_logger(__name__)

LISTS = "request_lists"
LINES = "request_list_lines"
"""Line changes not yet in their day buckets: one document each, inserted once, folded into
the buckets every few seconds by ``fold_lines`` (one update per bucket) and then deleted."""
FOLD_LIMIT = 5000
DUPLICATE_KEY = 11000


def curator_scope(curator_id: str) -> str:
    """``_id`` of the list of a curator's families' requests."""
    return f"curator:{curator_id}"


def agency_scope(agency: str) -> str:
    """``_id`` of the list of requests with a task for ``agency``."""
    return f"agency:{agency}"


def bucket_id(scope: str, day: str) -> str:
    """``_id`` of one day's bucket of a list."""
    return f"{scope}:{day}"


PLACED = "placed:"


def placement_id(request_id: str) -> str:
    """``_id`` of the note of where a request's line is listed."""
    return f"{PLACED}{request_id}"


def task_index_id(task_id: str) -> str:
    """``_id`` of the note of which request a task belongs to."""
    return f"task:{task_id}"


async def request_of_task(*, db: Database, task_id: UUID | str) -> str | None:
    """The id of the request a task belongs to (None if the task is not listed yet)."""
    found = await projections_of(db)[LISTS].find_one({"_id": task_index_id(str(task_id))})
    return str(found["request_id"]) if found else None


def line_of(request: Document) -> Document:
    """A request's line: what listing, filtering and ordering need."""
    tasks: dict[str, str] = {}
    for task in request["tasks"]:  # a later task of the same agency (a hand-back) wins
        tasks[task["agency"]] = task["status"]
    return {"created_at": request["created_at"], "status": request["status"], "tasks": tasks}


def scopes_of(line: Document, curator_id: str | None) -> list[str]:
    """The lists a line belongs in."""
    scopes = [agency_scope(a) for a in sorted(line["tasks"])]
    return [*scopes, curator_scope(curator_id)] if curator_id else scopes


@dataclass(frozen=True)
class Listing:
    """What a refresh needs of a request: its line, version, curator and task ids."""

    line: Document
    version: int
    curator_id: str | None
    task_ids: tuple[str, ...]


def listing_of(request: Document, family: Document | None) -> Listing:
    """The listing of a stored request (``family``: its family's snapshot)."""
    return Listing(
        line=line_of(request),
        version=int(request.get("version", 0)),
        curator_id=curator_of(request, family),
        task_ids=tuple(t["task_id"] for t in request["tasks"]),
    )


def listings_of_new_requests(events: Sequence[Event]) -> dict[str, Listing]:
    """The listings of the requests created in ``events``, from the events alone.

    Only for a request whose events here are exactly its creation (``RequestCreated``,
    ``RequestRouted`` and the ``RequestStatusChanged`` to version 1): then they say all
    that the stored request would — its creation time (the ``RequestCreated``'s moment, to
    the store's millisecond), status, tasks (each just sent) and the family's curator.
    Any other event of the request in the batch, and it is read from the store instead.
    """
    by_request: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        request_id = getattr(event, "request_id", None)
        if request_id is not None:
            by_request[str(request_id)].append(event)
    listings: dict[str, Listing] = {}
    for request_id, its in by_request.items():
        created = [e for e in its if isinstance(e, RequestCreated)]
        routed = [e for e in its if isinstance(e, RequestRouted)]
        changed = [e for e in its if isinstance(e, RequestStatusChanged)]
        if len(its) != 3 or len(created) != 1 or len(routed) != 1 or len(changed) != 1:
            continue
        if changed[0].version != 1:
            continue
        at = created[0].occurred_at
        tasks = {t.agency.value: TASK_SENT for t in routed[0].tasks}
        listings[request_id] = Listing(
            # The store keeps milliseconds: the line equals the one read back later.
            line={
                "created_at": at.replace(microsecond=at.microsecond // 1000 * 1000),
                "status": changed[0].status.value,
                "tasks": tasks,
            },
            version=changed[0].version,
            curator_id=created[0].curator_id,
            task_ids=tuple(str(t.task_id) for t in routed[0].tasks),
        )
    return listings


async def refresh_line(*, db: Database, request_id: UUID | str) -> None:
    """Put the request's current line in every list it belongs in (and out of the others)."""
    await refresh_lines(db=db, request_ids=[str(request_id)])


async def refresh_lines(
    *, db: Database, request_ids: Sequence[str], created: Mapping[str, Listing] | None = None
) -> None:
    """Refresh the lines of several requests together.

    ``created``: listings of new requests taken from their events
    (``listings_of_new_requests``); such a request is not read from the store, nor is its
    placement: its placement is inserted, and only if one exists already (a redelivery, or
    a refresh that got there first) is the request refreshed again from the store.

    Their locks are taken at once (one another writer holds is waited for alone), and the
    writes of all the lines go together: one update per day bucket however many of its
    lines changed, task notes inserted once, the placements written last.
    """
    created = created or {}
    keys = {f"{LISTS}:{r}": r for r in dict.fromkeys(request_ids)}
    owner, taken = await try_lock_many(projections_of(db), list(keys))
    try:
        await _refresh(db=db, request_ids=[keys[k] for k in taken], created=created)
    finally:
        await release_many(projections_of(db), taken, owner)
    for key in keys.keys() - set(taken):
        async with locked(projections_of(db), key):
            await _refresh(db=db, request_ids=[keys[key]], created=created)


async def _placements(*, db: Database, request_ids: Sequence[str]) -> list[Document | None]:
    return await gather_limited(
        projections_of(db)[LISTS].find_one({"_id": placement_id(r)}) for r in request_ids
    )


async def _stored_listings(*, db: Database, request_ids: Sequence[str]) -> dict[str, Listing]:
    """The listings of stored requests (a request not stored is left out)."""
    requests = [
        r for r in await gather_limited(get_request(db=db, request_id=i) for i in request_ids) if r
    ]
    family_ids = {r["family_id"] for r in requests}
    families = dict(
        zip(
            family_ids,
            await gather_limited(get_family(db=db, family_id=UUID(f)) for f in family_ids),
            strict=True,
        )
    )
    return {str(r["_id"]): listing_of(r, families[r["family_id"]]) for r in requests}


async def _refresh(
    *,
    db: Database,
    request_ids: Sequence[str],
    created: Mapping[str, Listing],
    also_in: Mapping[str, Sequence[str]] | None = None,
    first_n: int = 0,
) -> None:
    """``also_in``: lists a request's line may have been written to beyond what its
    placement says (a listing from events whose placement turned out to exist): the line
    is written again, and taken out of those it no longer belongs in. ``first_n``: the
    changes are numbered from it (to order after those written just before)."""
    also_in = also_in or {}
    # A new request's listing comes from its events, and it is taken as not placed yet: no
    # read. Its placement is inserted; if one exists after all, it is refreshed again below.
    listings = {r: created[r] for r in request_ids if r in created}
    stored = await _stored_listings(
        db=db, request_ids=[r for r in request_ids if r not in listings]
    )
    placements = dict(zip(stored, await _placements(db=db, request_ids=list(stored)), strict=True))
    listings.update(stored)
    tasks: list[Document] = []
    days: dict[str, set[str]] = defaultdict(set)
    changes: list[Document] = []
    placed: list[tuple[Document, Document]] = []
    first_placed: list[Document] = []
    now = utc_now()
    for key in request_ids:
        listing = listings.get(key)
        if listing is None:
            continue  # not stored (yet)
        placement = placements.get(key)
        line = listing.line
        scopes = scopes_of(line, listing.curator_id)
        before = (placement or {}).get("scopes", [])
        if key in also_in:
            before = [*before, *(s for s in also_in[key] if s not in before)]
        elif (placement or {}).get("line") == line and before == scopes:
            continue
        known_tasks = (placement or {}).get("task_ids", [])
        tasks += [
            {"_id": task_index_id(t), "request_id": key}
            for t in listing.task_ids
            if t not in known_tasks
        ]
        day = f"{line['created_at']:%Y-%m-%d}"
        version = listing.version
        for scope in [*scopes, *(set(before) - set(scopes))]:
            if scope in scopes and scope not in before:
                days[scope].add(day)
            changes.append(
                {
                    "_id": uuid4().hex,
                    "bucket": bucket_id(scope, day),
                    "scope": scope,
                    "request_id": key,
                    # None: the line leaves this list.
                    "line": {**line, "v": version} if scope in scopes else None,
                    "v": version,
                    "at": now,
                    "n": first_n + len(changes),
                }
            )
        placement_fields = {"line": line, "scopes": scopes, "task_ids": list(listing.task_ids)}
        if key in stored:
            placed.append(({"_id": placement_id(key)}, {"$set": placement_fields}))
        else:
            first_placed.append({"_id": placement_id(key), **placement_fields})
    await _insert_new(db=db, documents=tasks)
    await upsert_many(
        projections_of(db)[LISTS],
        [({"_id": s}, {"$addToSet": {"days": {"$each": sorted(d)}}}) for s, d in days.items()],
    )
    for start in range(0, len(changes), GROUP_LIMIT):
        await projections_of(db)[LINES].insert_many(
            changes[start : start + GROUP_LIMIT], ordered=False
        )
    # Written last: a crash before this point repeats the whole refresh on redelivery.
    await upsert_many(projections_of(db)[LISTS], placed)
    placed_before = await _insert_new(db=db, documents=first_placed)
    if placed_before:
        # Listed already (a redelivery, or a refresh that came first): the stored request
        # decides, and the lists the events' line went to are put right.
        await _refresh(
            db=db,
            request_ids=[r.removeprefix(PLACED) for r in placed_before],
            created={},
            also_in={
                d["_id"].removeprefix(PLACED): d["scopes"]
                for d in first_placed
                if d["_id"] in placed_before
            },
            first_n=first_n + len(changes),
        )


async def _insert_new(*, db: Database, documents: list[Document]) -> list[str]:
    """Insert new documents; one whose ``_id`` is there already is left as it is. The
    ``_id``s of those that were there."""
    there: list[str] = []
    for start in range(0, len(documents), GROUP_LIMIT):
        group = documents[start : start + GROUP_LIMIT]
        try:
            await projections_of(db)[LISTS].insert_many(group, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            there += [str(group[int(e["index"])]["_id"]) for e in errors]
    return there


def _change_order(change: Document) -> tuple[int, Any, int]:
    return (int(change.get("v", 0)), change["at"], int(change.get("n", 0)))


LINE_FIELDS = ("created_at", "status", "tasks", "v")
_SEPARATORS = ("|", ",", "=")


def packed_line(line: Document) -> str | Document:
    """A line as stored in a day bucket: ``<created_at>|<status>|<agency>=<status>,…|<v>``,
    or the line itself if it has other fields or a value with a separator in it."""
    at, tasks = line.get("created_at"), line.get("tasks")
    if tuple(sorted(line)) != LINE_FIELDS or not isinstance(tasks, dict):
        return line
    if not isinstance(at, datetime) or at.tzinfo is None:
        return line
    words = [str(line["status"]), *(str(w) for kv in tasks.items() for w in kv)]
    if any(sep in word for word in words for sep in _SEPARATORS):
        return line
    packed_tasks = ",".join(f"{agency}={status}" for agency, status in tasks.items())
    moment = at.astimezone(UTC).isoformat(timespec="milliseconds")
    return f"{moment}|{line['status']}|{packed_tasks}|{int(line['v'])}"


def unpacked_line(stored: str | Document) -> Document:
    """A day bucket's line as ``packed_line`` got it (a line stored as a document, as an
    earlier version stored them all, is returned as it is)."""
    if not isinstance(stored, str):
        return stored
    at, status, tasks, version = stored.split("|")
    return {
        "created_at": datetime.fromisoformat(at),
        "status": status,
        "tasks": dict(pair.split("=", 1) for pair in tasks.split(",") if pair),
        "v": int(version),
    }


ROW_SEPARATOR = "\n"
Stored = str | Document
"""A line as a bucket stores it: packed (``packed_line``), or a document."""


def _version(stored: Stored | None) -> int:
    """The request version of a stored line, without unpacking it (the last field)."""
    if stored is None:
        return 0
    if isinstance(stored, str):
        return int(stored.rsplit("|", 1)[1])
    return int(stored.get("v", 0))


def bucket_rows(bucket: Document | None) -> dict[str, Stored]:
    """A day bucket's stored lines by request id, as stored: the rows of its text and the
    lines of its map (an earlier version's; where both hold a request, its newer line)."""
    rows: dict[str, Stored] = dict((bucket or {}).get("lines") or {})
    for request_id, row in _text_rows(bucket).items():
        if _version(row) >= _version(rows.get(request_id)):
            rows[request_id] = row[len(request_id) + 1 :]
    return rows


def bucket_lines(bucket: Document | None) -> dict[str, Document]:
    """A day bucket's lines by request id, unpacked."""
    return {r: unpacked_line(stored) for r, stored in bucket_rows(bucket).items()}


def folded_bucket(bucket: Document | None, changes: Mapping[str, Document]) -> Document | None:
    """A day bucket's fields with its line changes (request id → the latest change) folded
    in: one text of the lines that pack safely (``packed``), the others as they are
    (``lines``); None if no change alters a line. A change older than the
    bucket's line is dropped: another replica folded a newer one meanwhile.

    Only the changed lines are unpacked and packed; the others stay the rows of text they
    are. A busy scope's bucket holds thousands of lines, and the fold runs on the event loop
    that routes requests: taking every line apart and back at each fold held it up to 45 ms.
    """
    text = _text_rows(bucket)
    others: dict[str, Stored] = {}
    for request_id, stored in ((bucket or {}).get("lines") or {}).items():
        if _version(stored) >= _version(text.get(request_id)):  # the newer form wins
            _put(text, others, request_id, stored)
    changed = False
    for request_id, change in changes.items():
        if int(change.get("v", 0)) < _version(text.get(request_id, others.get(request_id))):
            continue
        if change["line"] is None:
            changed |= (text.pop(request_id, None) or others.pop(request_id, None)) is not None
        else:
            _put(text, others, request_id, packed_line(change["line"]))
            changed = True
    if not changed:
        return None
    return {"packed": ROW_SEPARATOR.join(text.values()), "lines": others}


def _text_rows(bucket: Document | None) -> dict[str, str]:
    """The rows of a bucket's text by request id, whole (``<request id>|<packed line>``)."""
    rows = str((bucket or {}).get("packed") or "").split(ROW_SEPARATOR)
    return {row.partition("|")[0]: row for row in rows if row}


def _put(text: dict[str, str], others: dict[str, Stored], request_id: str, stored: Stored) -> None:
    """Keep a line as a row of the text if it packs safely, otherwise in the map."""
    packed = stored if isinstance(stored, str) else packed_line(stored)
    if isinstance(packed, str) and "|" not in request_id and ROW_SEPARATOR not in request_id:
        text[request_id] = f"{request_id}|{packed}"
        others.pop(request_id, None)
    else:
        others[request_id] = stored
        text.pop(request_id, None)


def latest_changes(changes: list[Document]) -> dict[str, dict[str, Document]]:
    """Bucket → request → the latest of its line changes."""
    latest: dict[str, dict[str, Document]] = defaultdict(dict)
    for change in sorted(changes, key=_change_order):
        latest[change["bucket"]][change["request_id"]] = change
    return latest


async def fold_lines(*, db: Database, limit: int = FOLD_LIMIT) -> int:
    """Move up to ``limit`` line changes into their day buckets; return how many moved.

    One update per bucket however many of its lines changed meanwhile, under the bucket's
    lock (concurrent updates of one document can lose one in FerretDB v1); the changes
    are deleted (by ``_id``) once their bucket holds them. Locks are taken together; a
    bucket another writer holds is folded alone, waiting for it.

    The buckets are read and written one at a time: a busy day's bucket is hundreds of KB,
    and read and rewritten together they took FerretDB's two cores from the routing for
    tens of milliseconds every fold.
    """
    changes = [c async for c in projections_of(db)[LINES].find({}).limit(limit)]
    latest = latest_changes(changes)
    keys = {f"{LISTS}:bucket:{b}": b for b in latest}
    owner, taken = await try_lock_many(projections_of(db), list(keys))
    try:
        await _fold(db=db, latest={keys[k]: latest[keys[k]] for k in taken}, changes=changes)
    finally:
        await release_many(projections_of(db), taken, owner)
    for key in keys.keys() - set(taken):
        async with locked(projections_of(db), key):
            await _fold(db=db, latest={keys[key]: latest[keys[key]]}, changes=changes)
    return len(changes)


async def _fold(
    *, db: Database, latest: dict[str, dict[str, Document]], changes: list[Document]
) -> None:
    buckets = projections_of(db)[LISTS]
    for bucket, by_request in latest.items():
        document = await buckets.find_one({"_id": bucket}, {"_id": 0})
        if (fields := folded_bucket(document, by_request)) is not None:
            await upsert_one(buckets, {"_id": bucket}, {"$set": fields})
    deletes = [DeleteOne({"_id": c["_id"]}) for c in changes if c["bucket"] in latest]
    for start in range(0, len(deletes), GROUP_LIMIT):
        await projections_of(db)[LINES].bulk_write(
            deletes[start : start + GROUP_LIMIT], ordered=False
        )


async def fold_lines_forever(runtime: ServiceRuntime) -> None:
    """Fold the line changes every few seconds while the service runs."""
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    while True:
        try:
            await fold_lines(db=runtime.db)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("folding request list lines failed; retrying")
        await asyncio.sleep(settings.list_lines_fold_interval_s)


def lines_with_changes(lines: dict[str, Any], changes: dict[str, Document]) -> dict[str, Any]:
    """A bucket's lines with its changes not folded yet (each only if newer than the line)."""
    merged = dict(lines)
    for request_id, change in changes.items():
        if int(change.get("v", 0)) < int(merged.get(request_id, {}).get("v", 0)):
            continue  # folded meanwhile, and a newer change with it
        if change["line"] is None:
            merged.pop(request_id, None)
        else:
            merged[request_id] = change["line"]
    return merged


def _newest_first(lines: dict[str, Any]) -> list[tuple[str, Document]]:
    return sorted(lines.items(), key=lambda kv: (kv[1]["created_at"], kv[0]), reverse=True)


async def page_of(
    *,
    db: Database,
    scope: str,
    statuses: Collection[str],
    agency: str | None,
    offset: int,
    limit: int,
) -> list[str]:
    """Ids of one page of a list, newest first; ``statuses`` (if any) filter by the request's
    status, or by ``agency``'s task status when ``agency`` is given."""
    # Changes first: one folded and deleted meanwhile is in its bucket when that is read.
    pending = latest_changes([c async for c in projections_of(db)[LINES].find({"scope": scope})])
    directory = await projections_of(db)[LISTS].find_one({"_id": scope}) or {}
    found: list[str] = []
    skipped = 0
    for day in sorted(directory.get("days", []), reverse=True):
        key = bucket_id(scope, day)
        bucket = await projections_of(db)[LISTS].find_one({"_id": key})
        lines = lines_with_changes(bucket_lines(bucket), pending.get(key, {}))
        for request_id, line in _newest_first(lines):
            status = line["tasks"].get(agency) if agency else line["status"]
            if statuses and status not in statuses:
                continue
            if skipped < offset:
                skipped += 1
                continue
            found.append(request_id)
            if len(found) == limit:
                return found
    return found
