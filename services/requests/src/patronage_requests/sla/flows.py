"""SLA use cases: start the clocks, follow the request's statuses, fire what is due."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from patronage_common.batching import gather_limited
from patronage_common.locks import locked, release_many, try_lock_many
from patronage_common.logging import get_logger
from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Database, Document, projections_of
from patronage_contracts import RequestCreated, RequestStatus, RequestStatusChanged, SlaClock
from pymongo.errors import DuplicateKeyError

from ..help_requests import service as requests_service
from ..settings import RequestsSettings
from . import domain, service
from .deps import get_policy, scale_for
from .domain import FiringLevel, SlaRecord
from .working_time import TimeScale

log = get_logger(__name__)

SCAN_LAG = timedelta(minutes=2)
"""How far behind "now" the cursor stays, so a minute filled late is read again."""


def _settings(runtime: ServiceRuntime) -> RequestsSettings:
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    return settings


def _scale(runtime: ServiceRuntime, record: SlaRecord) -> TimeScale:
    return scale_for(business_time=record.business_time, settings=_settings(runtime))


ClockEvent = RequestCreated | RequestStatusChanged


async def follow_requests(*, runtime: ServiceRuntime, events: Sequence[ClockEvent]) -> None:
    """Start and move the clocks of a batch of request events (in topic order).

    A request created in the batch gets its record stored already moved by the batch's
    status changes — one insert for all the new records, no update, no lock. The other
    requests' records are read, moved by all their changes at once and saved once, under
    their locks taken together. Every moment to schedule goes in one ``schedule_many``.
    """
    created: dict[UUID, RequestCreated] = {}
    changes: dict[UUID, list[RequestStatusChanged]] = {}
    for event in events:
        if isinstance(event, RequestCreated):
            created.setdefault(event.request_id, event)
        else:
            changes.setdefault(event.request_id, []).append(event)
    settings = _settings(runtime)
    policy = get_policy(settings)
    grace = timedelta(hours=settings.sla_escalation_grace_hours)
    opened: list[SlaRecord] = []
    for request_id, event in created.items():
        record = domain.open_record(
            event,
            targets=policy.targets(event.category, event.urgency),
            warning_percent=policy.warning_percent,
            grace=grace,
        )
        record, _, _ = _moved(runtime, record, changes.get(request_id, []))
        opened.append(record)
    # Delivered again: the record exists. Its changes apply to the stored record, and its
    # moments are scheduled again in case a crash came between storing and scheduling.
    existing = await service.insert_records(db=runtime.db, records=opened)
    entries = [
        service.ScheduleEntry(
            r.request_id,
            domain.pending_times(r, _scale(runtime, r)),
            str(created[r.request_id].event_id),
        )
        for r in opened
        if r.request_id not in existing
    ]
    stored = [r for r in changes if r not in created or r in existing]
    stored += [r for r in existing if r not in changes]
    entries += await _follow_stored(
        runtime=runtime,
        changes={r: changes.get(r, []) for r in stored},
        reschedule={r: str(created[r].event_id) for r in existing},
    )
    await service.schedule_many(db=runtime.db, entries=entries)


def _moved(
    runtime: ServiceRuntime, record: SlaRecord, changes: Sequence[RequestStatusChanged]
) -> tuple[SlaRecord, bool, bool]:
    """The record after ``changes``; whether one of them was stale, whether one resumed it."""
    stale = resumed = False
    scale = _scale(runtime, record)
    for changed in changes:
        updated = domain.apply_status(
            record,
            status=changed.status,
            version=changed.version,
            at=changed.occurred_at,
            scale=scale,
        )
        if updated is None:
            stale = True
            continue
        resumed = resumed or (record.paused_since is not None and updated.paused_since is None)
        record = updated
    return record, stale, resumed


async def _follow_stored(
    *,
    runtime: ServiceRuntime,
    changes: dict[UUID, list[RequestStatusChanged]],
    reschedule: dict[UUID, str],
) -> list[service.ScheduleEntry]:
    """Move stored records by their changes; what to schedule for them.

    The records' locks are taken together; one another writer holds is waited for alone.
    """
    db = runtime.db
    keys = {f"{service.CLOCKS}:{r}": r for r in changes}
    owner, taken = await try_lock_many(projections_of(db), list(keys))
    entries: list[service.ScheduleEntry] = []

    async def follow(request_id: UUID) -> None:
        record = await service.get_record(db=db, request_id=request_id)
        if record is None:
            log.warning("status change of a request without SLA clocks", request=request_id)
            return
        updated, stale, resumed = _moved(runtime, record, changes[request_id])
        if updated != record:
            await service.save_record(db=db, record=updated)
        await _unlist_stopped(db=db, before=record, after=updated)
        token = reschedule.get(request_id)
        if resumed or stale or token is not None:
            # Resumed: the deadlines moved. Stale or repeated: schedule again in case the
            # first delivery stopped between saving and scheduling.
            last = changes[request_id][-1].event_id if changes[request_id] else None
            entries.append(
                service.ScheduleEntry(
                    request_id,
                    domain.pending_times(updated, _scale(runtime, updated)),
                    str(last or token),
                )
            )

    async def follow_locked(request_id: UUID) -> None:
        async with locked(projections_of(db), f"{service.CLOCKS}:{request_id}"):
            await follow(request_id)

    try:
        await gather_limited(follow(keys[k]) for k in taken)
    finally:
        await release_many(projections_of(db), taken, owner)
    busy = set(keys) - set(taken)
    await gather_limited(follow_locked(keys[k]) for k in busy)
    return entries


async def _unlist_stopped(*, db: Database, before: SlaRecord, after: SlaRecord | None) -> None:
    """Take the clocks a change stopped off their district's overdue list."""
    stopped = [
        clock
        for clock in SlaClock
        if after is not None
        and before.clocks[clock].stopped_at is None
        and after.clocks[clock].stopped_at is not None
    ]
    await service.remove_overdue(
        db=db, district=before.district, request_id=before.request_id, clocks=stopped
    )


async def fire_due(*, runtime: ServiceRuntime, request_id: UUID, now: datetime) -> int:
    """Fire what the request's clocks owe by ``now``, each firing once; return how many.

    The claim document (``_id`` = the firing) is inserted with the event in its outbox:
    of two replicas only one inserts it, and if the process dies before publishing, the
    outbox relay publishes the stored event.
    """
    db = runtime.db
    record = await service.get_record(db=db, request_id=request_id)
    if record is None:
        return 0
    scale = _scale(runtime, record)
    record, due = await _still_allowed(
        runtime=runtime, record=record, due=domain.due_firings(record, now, scale), now=now
    )
    published, done = 0, []
    for trigger in due:
        if trigger.level is FiringLevel.BREACH:
            await service.add_overdue(
                db=db, district=record.district, request_id=request_id, clock=trigger.clock
            )
        event = domain.firing_event(record, trigger, now, scale)
        claim = {
            "_id": domain.firing_id(request_id, trigger),
            "request_id": str(request_id),
            "clock": trigger.clock.value,
            "level": trigger.level.value,
            "due": trigger.at,
            "fired_at": now,
            "event_id": str(event.event_id),
        }
        try:
            await runtime.outbox.insert(service.FIRINGS, claim, [event])
            published += 1
            log.info(
                "SLA firing", request=str(request_id), clock=trigger.clock, level=trigger.level
            )
        except DuplicateKeyError:
            pass  # another replica (or an earlier run) fired it
        done.append(trigger.key)
    if done:
        # Locked like every other write of the record: an unguarded rewrite could undo a
        # status change the consumer saves meanwhile, leaving the record behind.
        async with locked(projections_of(db), f"{service.CLOCKS}:{request_id}"):
            await service.mark_fired(db=db, request_id=request_id, keys=done)
    return published


async def _still_allowed(
    *, runtime: ServiceRuntime, record: SlaRecord, due: list[domain.Trigger], now: datetime
) -> tuple[SlaRecord, list[domain.Trigger]]:
    """The record to fire from and the due firings the request's own document allows.

    One ``_id`` read of the request. A record behind its request fires nothing and is
    looked at again; after ``sla_lag_rechecks`` such looks at the same record version
    (its status events lost or stuck) it is caught up from the document instead, so no
    request is looked at forever and none fires from a status it has left. A request
    without a stored document (its events published by another writer) is judged by the
    record alone.
    """
    if not due:
        return record, due
    request = await requests_service.get_request(db=runtime.db, request_id=record.request_id)
    if request is None:
        return record, due
    current = RequestStatus(request["status"])
    history = domain.recorded_history(request.get("status_history"))
    check = domain.check_against_request(record, due, current, history)
    if check.look_again:
        mark = domain.next_lag_mark(record, now)
        if mark.checks > _settings(runtime).sla_lag_rechecks:
            record = await _reconcile(runtime=runtime, request=request, now=now, mark=mark)
            scale = _scale(runtime, record)
            due = domain.due_firings(record, now, scale)
            check = domain.check_against_request(record, due, current, history)
        else:
            # Locked: FerretDB v1 rewrites the whole record, and the consumer may be
            # saving the very status change this look is waiting for.
            async with locked(projections_of(runtime.db), f"{service.CLOCKS}:{record.request_id}"):
                await service.mark_behind(db=runtime.db, request_id=record.request_id, mark=mark)
    if len(check.fire) < len(due) or check.look_again:
        log.info(
            "SLA firings held back: the request moved on",
            request=str(record.request_id),
            status=current,
            clocks_seen_status=record.status,
            held=[t.key for t in due if t not in check.fire],
            look_again=check.look_again,
        )
    if check.look_again:
        await service.look_again_soon(
            db=runtime.db, request_id=record.request_id, token=f"behind:{uuid4()}"
        )
    return record, check.fire


async def _reconcile(
    *, runtime: ServiceRuntime, request: Document, now: datetime, mark: domain.LagMark
) -> SlaRecord:
    """Catch the clocks up from the request's document; the status events did not come."""
    db = runtime.db
    request_id = UUID(request["_id"])
    async with locked(projections_of(db), f"{service.CLOCKS}:{request_id}"):
        record = await service.get_record(db=db, request_id=request_id)
        assert record is not None  # records are never deleted
        scale = _scale(runtime, record)
        updated_at = request.get("updated_at")
        if isinstance(updated_at, datetime) and updated_at.tzinfo is None:
            updated_at = updated_at.replace(tzinfo=UTC)
        caught_up = domain.reconcile(
            record,
            current_status=RequestStatus(request["status"]),
            version=int(request.get("version", 0)),
            updated_at=updated_at if isinstance(updated_at, datetime) else None,
            history=domain.recorded_history(request.get("status_history")),
            now=now,
            scale=scale,
        )
        if caught_up != record:
            await service.save_record(db=db, record=caught_up)
    if caught_up != record:
        log.warning(
            "SLA clocks caught up from the request itself: its status events did not come",
            request=str(request_id),
            clocks_seen_status=record.status,
            clocks_seen_version=record.version,
            status=caught_up.status,
            version=caught_up.version,
            behind_since=mark.since,
            looks=mark.checks,
        )
    await _unlist_stopped(db=db, before=record, after=caught_up)
    await service.schedule(
        db=db,
        request_id=request_id,
        times=domain.pending_times(caught_up, scale),
        token=f"caught-up:{uuid4()}",
    )
    return caught_up


async def scan_due(*, runtime: ServiceRuntime, now: datetime) -> int:
    """Fire everything due by ``now``: the ``asap`` list, then the minutes since the cursor."""
    db = runtime.db
    now_key = service.minute_key(now)
    cursor = await service.get_cursor(db=db) or await service.start_cursor(
        db=db, minute=service.minute_key(now - SCAN_LAG)
    )
    handled: set[str] = set()
    published = 0

    async def look_at(request_id: str) -> None:
        nonlocal published
        if request_id not in handled:
            handled.add(request_id)
            published += await fire_due(runtime=runtime, request_id=UUID(request_id), now=now)

    asap = await service.bucket_items(db=db, bucket_id=service.ASAP_ID)
    for item in asap:
        await look_at(item.split("|", 1)[0])
    await service.remove_asap(db=db, items=asap)
    for day in service.days_between(cursor, now_key):
        for key in await service.day_minutes(db=db, day=day):
            if cursor < key <= now_key:
                for request_id in await service.minute_items(db=db, key=key):
                    await look_at(request_id)
    await service.advance_cursor(db=db, minute=service.minute_key(now - SCAN_LAG))
    return published
