"""The rules of SLA clocks, free of I/O.

A help request has two clocks: first response (until an agency accepts it) and
resolution (until it is resolved, rejected, closed or cancelled). Both start when the
request is created, keep running across hand-offs between agencies and pause only while
the request waits for information from the family (``needs_info``); a pause moves the
deadlines by the paused time. Each clock fires a warning at ``warning_percent`` of its
budget, a breach at 100 %, and then, while nobody changes the request's status, one
escalation per grace period up the chain: district head, HQ coordinator, regional
coordinator.

Every firing time follows from the record alone, so the scheduler can recompute what is
due at any moment, and a late scheduler still fires what came due while it was away —
unless the request itself has since moved to a status that stops or pauses the clock.

The record follows the request's status events. When it lags the request's own document
(the document's ``status_history`` holds changes the record has not seen, or, for a
document without a history, its status differs), nothing fires until it has caught up;
if the events do not come within a bounded number of looks, the record is caught up from
the document itself (``reconcile``), pauses included, so nothing waits forever.
"""

import math
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple
from uuid import NAMESPACE_URL, UUID, uuid5

from patronage_contracts import (
    Event,
    NeedCategory,
    RecipientRole,
    RequestCreated,
    RequestEscalated,
    RequestStatus,
    SlaBreached,
    SlaClock,
    SlaWarning,
    Urgency,
)
from pydantic import BaseModel, ConfigDict

from .policy import ClockTargets
from .working_time import TimeScale

FIRST_RESPONSE_GIVEN = frozenset(
    {
        RequestStatus.ACCEPTED,
        RequestStatus.IN_PROGRESS,
        RequestStatus.RESOLVED,
        RequestStatus.REJECTED,
        RequestStatus.CLOSED,
        RequestStatus.CANCELLED,
    }
)
"""Statuses that mean an agency took the request up (or it ended)."""

FINISHED = frozenset(
    {RequestStatus.RESOLVED, RequestStatus.REJECTED, RequestStatus.CLOSED, RequestStatus.CANCELLED}
)
"""Statuses that stop the resolution clock."""


class FiringLevel(StrEnum):
    """What a clock fires, in the order it fires them."""

    WARNING = "warning"
    BREACH = "breach"
    DISTRICT_HEAD = "district_head"
    HQ_COORDINATOR = "hq_coordinator"
    REGIONAL_COORDINATOR = "regional_coordinator"


ESCALATION_CHAIN: tuple[FiringLevel, ...] = (
    FiringLevel.DISTRICT_HEAD,
    FiringLevel.HQ_COORDINATOR,
    FiringLevel.REGIONAL_COORDINATOR,
)


class ClockState(StrEnum):
    """How a clock stands, as people see it."""

    RUNNING = "running"
    AT_RISK = "at_risk"
    PAUSED = "paused"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"


CLOCK_STATE_RU: dict[ClockState, str] = {
    ClockState.RUNNING: "идёт",
    ClockState.AT_RISK: "срок на исходе",
    ClockState.PAUSED: "на паузе: запрошены сведения",
    ClockState.BREACHED: "срок нарушен",
    ClockState.MET: "выполнено в срок",
    ClockState.MISSED: "выполнено с нарушением срока",
}


class ClockRecord(BaseModel):
    """One clock of a request."""

    model_config = ConfigDict(frozen=True)

    budget_s: int
    started_at: datetime
    paused_s: float = 0.0
    stopped_at: datetime | None = None

    @property
    def budget(self) -> timedelta:
        """Time the clock allows."""
        return timedelta(seconds=self.budget_s)

    @property
    def paused(self) -> timedelta:
        """Time of the pauses that ended, counted on the clock's scale."""
        return timedelta(seconds=self.paused_s)


class LagMark(BaseModel):
    """The scheduler found the record behind its request: at which version, since, how often."""

    model_config = ConfigDict(frozen=True)

    version: int
    since: datetime
    checks: int = 1


class SlaRecord(BaseModel):
    """Everything the SLA of one request depends on."""

    model_config = ConfigDict(frozen=True)

    request_id: UUID
    family_id: UUID
    correlation_id: UUID
    created_event_id: UUID
    category: NeedCategory
    urgency: Urgency
    district: str | None = None
    hq: str | None = None
    curator_id: str | None = None
    business_time: bool
    warning_percent: int
    grace_s: int
    status: RequestStatus = RequestStatus.NEW
    version: int = 0
    paused_since: datetime | None = None
    status_changes: tuple[datetime, ...] = ()
    fired: frozenset[str] = frozenset()
    clocks: dict[SlaClock, ClockRecord]
    behind: LagMark | None = None


class StatusEntry(NamedTuple):
    """One status change as the request's own document recorded it."""

    version: int
    status: RequestStatus
    at: datetime


class Trigger(NamedTuple):
    """A moment a clock fires something."""

    clock: SlaClock
    level: FiringLevel
    at: datetime

    @property
    def key(self) -> str:
        """Name of the firing within its request."""
        return f"{self.clock.value}:{self.level.value}"


class ClockView(NamedTuple):
    """A clock at one instant."""

    clock: SlaClock
    due_at: datetime
    budget: timedelta
    elapsed: timedelta
    percent: int
    paused: bool
    state: ClockState


def open_record(
    created: RequestCreated, *, targets: ClockTargets, warning_percent: int, grace: timedelta
) -> SlaRecord:
    """Both clocks of a new request, started when it was created."""
    return SlaRecord(
        request_id=created.request_id,
        family_id=created.family_id,
        correlation_id=created.correlation_id,
        created_event_id=created.event_id,
        category=created.category,
        urgency=created.urgency,
        district=created.district,
        hq=created.hq,
        curator_id=created.curator_id,
        business_time=created.urgency is Urgency.NORMAL,
        warning_percent=warning_percent,
        grace_s=int(grace.total_seconds()),
        clocks={
            clock: ClockRecord(
                budget_s=int(targets.budget(clock).total_seconds()),
                started_at=created.occurred_at,
            )
            for clock in SlaClock
        },
    )


def apply_status(
    record: SlaRecord, *, status: RequestStatus, version: int, at: datetime, scale: TimeScale
) -> SlaRecord | None:
    """The record after the request moved to ``status``; None if the change is stale."""
    if version <= record.version:
        return None
    clocks = dict(record.clocks)
    paused_since = record.paused_since
    if paused_since is not None and status is not RequestStatus.NEEDS_INFO:
        pause = max(scale.between(paused_since, at), timedelta(0))
        clocks = {
            name: c if c.stopped_at else c.model_copy(update={"paused_s": c.paused_s + _s(pause)})
            for name, c in clocks.items()
        }
        paused_since = None
    if status is RequestStatus.NEEDS_INFO and paused_since is None:
        paused_since = at
    stopping = set()
    if status in FIRST_RESPONSE_GIVEN:
        stopping.add(SlaClock.FIRST_RESPONSE)
    if status in FINISHED:
        stopping.add(SlaClock.RESOLUTION)
    for name in stopping:
        if clocks[name].stopped_at is None:
            clocks[name] = clocks[name].model_copy(update={"stopped_at": at})
    return record.model_copy(
        update={
            "status": status,
            "version": version,
            "paused_since": paused_since,
            "status_changes": (*record.status_changes, at),
            "clocks": clocks,
        }
    )


def due_at(record: SlaRecord, clock: SlaClock, scale: TimeScale) -> datetime:
    """The clock's deadline, shifted by the pauses so far."""
    c = record.clocks[clock]
    return scale.add(c.started_at, c.budget + c.paused)


def triggers(record: SlaRecord, clock: SlaClock, scale: TimeScale) -> list[Trigger]:
    """Every moment the clock fires something, in order (the breach is ``due_at``)."""
    c = record.clocks[clock]
    warning = c.budget * record.warning_percent / 100
    grace = timedelta(seconds=record.grace_s)
    warned = scale.add(c.started_at, warning + c.paused)
    # Each moment counted on from the one before: adding working time is associative, so
    # the calendar is walked once, not once per moment from the clock's start.
    due = (
        scale.add(warned, c.budget - warning)
        if warning <= c.budget
        else due_at(record, clock, scale)
    )
    fired = [Trigger(clock, FiringLevel.WARNING, warned), Trigger(clock, FiringLevel.BREACH, due)]
    at = due
    for level in ESCALATION_CHAIN:
        at = scale.add(at, grace)
        fired.append(Trigger(clock, level, at))
    return fired


def _acted_on_since_breach(record: SlaRecord, due: datetime, until: datetime) -> bool:
    return any(due < change <= until for change in record.status_changes)


def due_firings(record: SlaRecord, now: datetime, scale: TimeScale) -> list[Trigger]:
    """What should have fired by ``now`` and has not yet."""
    due: list[Trigger] = []
    for clock, c in record.clocks.items():
        limits = [now, c.stopped_at, None if c.stopped_at else record.paused_since]
        limit = min(x for x in limits if x is not None)
        moments = triggers(record, clock, scale)
        deadline = next(t.at for t in moments if t.level is FiringLevel.BREACH)
        for trigger in moments:
            if trigger.key in record.fired or trigger.at > limit:
                continue
            if trigger.level in ESCALATION_CHAIN and _acted_on_since_breach(
                record, deadline, trigger.at
            ):
                continue
            due.append(trigger)
    return sorted(due, key=lambda t: t.at)


def clock_runs(clock: SlaClock, status: RequestStatus) -> bool:
    """Whether ``clock`` runs while the request is in ``status``."""
    if status is RequestStatus.NEEDS_INFO:
        return False
    if clock is SlaClock.FIRST_RESPONSE:
        return status not in FIRST_RESPONSE_GIVEN
    return status not in FINISHED


class FiringCheck(NamedTuple):
    """What to do with due firings once the request's current status is known."""

    fire: list[Trigger]
    look_again: bool


def recorded_history(raw: object) -> tuple[StatusEntry, ...]:
    """A request document's ``status_history``, oldest first (empty if it keeps none)."""
    if not isinstance(raw, list):
        return ()
    entries = [
        StatusEntry(int(e["version"]), RequestStatus(e["status"]), datetime.fromisoformat(e["at"]))
        for e in raw
    ]
    return tuple(sorted(entries, key=lambda e: e.version))


def lags_behind(
    record: SlaRecord, current_status: RequestStatus, history: tuple[StatusEntry, ...] = ()
) -> bool:
    """Whether the request changed status in ways the record has not seen yet.

    With the request's recorded history this is exact: a pause that began and ended
    unseen counts, though the status is the same again. A document without a history
    (stored before it was kept) shows only a different current status.
    """
    if history and history[-1].version > record.version:
        return True
    return current_status is not record.status


def check_against_request(
    record: SlaRecord,
    due: list[Trigger],
    current_status: RequestStatus,
    history: tuple[StatusEntry, ...] = (),
) -> FiringCheck:
    """Hold back firings the request's current status no longer allows.

    The record follows the status events, which may lag the request itself (after a
    restart or a first deploy the scheduler can scan before the consumer caught up). A
    firing of a clock the current status stops or pauses is dropped. While the record
    has not seen every status change of the request, nothing fires: a clock that still
    runs may have been paused meanwhile (its deadlines move) or acted on (no
    escalation); look again once the record has caught up — or, if it never does, once
    ``reconcile`` caught it up from the document.
    """
    if lags_behind(record, current_status, history):
        return FiringCheck(fire=[], look_again=True)
    return FiringCheck(
        fire=[t for t in due if clock_runs(t.clock, current_status)], look_again=False
    )


def next_lag_mark(record: SlaRecord, now: datetime) -> LagMark:
    """The record's lag mark after one more look found it behind its request."""
    mark = record.behind
    if mark is None or mark.version != record.version:
        return LagMark(version=record.version, since=now)
    return mark.model_copy(update={"checks": mark.checks + 1})


def reconcile(
    record: SlaRecord,
    *,
    current_status: RequestStatus,
    version: int,
    updated_at: datetime | None,
    history: tuple[StatusEntry, ...],
    now: datetime,
    scale: TimeScale,
) -> SlaRecord:
    """The record caught up from the request's own document, its status events not come.

    Changes the history holds and the record has not seen are applied as their events
    would have been, pauses included. What no history tells (a document stored before it
    was kept) comes from the current status: stopped if final, paused if waiting for the
    family, as of the document's last update — never before what the record already
    knows, never after ``now``.
    """
    result = record
    for entry in history:
        if entry.version > result.version:
            result = (
                apply_status(
                    result, status=entry.status, version=entry.version, at=entry.at, scale=scale
                )
                or result
            )
    if result.status is not current_status:
        known = max((*result.status_changes, *(c.started_at for c in result.clocks.values())))
        at = min(max(updated_at or known, known), now)
        result = (
            apply_status(
                result,
                status=current_status,
                version=max(version, result.version + 1),
                at=at,
                scale=scale,
            )
            or result
        )
    return result


def pending_times(record: SlaRecord, scale: TimeScale) -> list[datetime]:
    """When the scheduler must look at the request again (running clocks only)."""
    if record.paused_since is not None:
        return []  # nothing runs while paused; resuming schedules again
    times: list[datetime] = []
    for clock, c in record.clocks.items():
        if c.stopped_at is not None:
            continue
        moments = triggers(record, clock, scale)
        deadline = next(t.at for t in moments if t.level is FiringLevel.BREACH)
        acted = any(change > deadline for change in record.status_changes)
        times += [
            t.at
            for t in moments
            if t.key not in record.fired and not (t.level in ESCALATION_CHAIN and acted)
        ]
    return sorted(set(times))


def elapsed(record: SlaRecord, clock: SlaClock, at: datetime, scale: TimeScale) -> timedelta:
    """Time the clock has used by ``at`` (pauses excluded)."""
    c = record.clocks[clock]
    end = min(at, c.stopped_at) if c.stopped_at else at
    if record.paused_since is not None and c.stopped_at is None:
        end = min(end, record.paused_since)
    return max(scale.between(c.started_at, end) - c.paused, timedelta(0))


def percent_of(used: timedelta, budget: timedelta) -> int:
    """``used`` as a whole percentage of ``budget`` (rounded down)."""
    return math.floor(used / budget * 100) if budget else 100


def view(record: SlaRecord, clock: SlaClock, now: datetime, scale: TimeScale) -> ClockView:
    """The clock as it stands at ``now``."""
    c = record.clocks[clock]
    deadline = due_at(record, clock, scale)
    used = elapsed(record, clock, now, scale)
    percent = percent_of(used, c.budget)
    paused = c.stopped_at is None and record.paused_since is not None
    if c.stopped_at is not None:
        state = ClockState.MET if c.stopped_at <= deadline else ClockState.MISSED
    elif used >= c.budget:
        state = ClockState.BREACHED
    elif paused:
        state = ClockState.PAUSED
    elif percent >= record.warning_percent:
        state = ClockState.AT_RISK
    else:
        state = ClockState.RUNNING
    return ClockView(clock, deadline, c.budget, used, percent, paused, state)


def firing_id(request_id: UUID, trigger: Trigger) -> str:
    """``_id`` of the claim that makes a firing happen once: ``sla:<request>:<clock>:<level>``."""
    return f"sla:{request_id}:{trigger.key}"


def firing_event(record: SlaRecord, trigger: Trigger, now: datetime, scale: TimeScale) -> Event:
    """The event a firing publishes; its id is derived from the firing, so repeats match."""
    c = record.clocks[trigger.clock]
    used = elapsed(record, trigger.clock, trigger.at, scale)
    fields = {
        "event_id": uuid5(NAMESPACE_URL, firing_id(record.request_id, trigger)),
        "occurred_at": now,
        "correlation_id": record.correlation_id,
        "causation_id": record.created_event_id,
        "family_id": record.family_id,
        "request_id": record.request_id,
        "clock": trigger.clock,
        "due_at": due_at(record, trigger.clock, scale),
        "budget_s": c.budget_s,
        "elapsed_s": _s(used),
        "percent": percent_of(used, c.budget),
        "business_time": record.business_time,
        "category": record.category,
        "urgency": record.urgency,
        "district": record.district,
        "hq": record.hq,
        "curator_id": record.curator_id,
    }
    if trigger.level is FiringLevel.WARNING:
        return SlaWarning(**fields)
    if trigger.level is FiringLevel.BREACH:
        return SlaBreached(**fields)
    return RequestEscalated(
        **fields,
        level=RecipientRole(trigger.level.value),
        step=ESCALATION_CHAIN.index(trigger.level) + 1,
        overdue_s=max(_s(used - c.budget), 0),
    )


def _s(delta: timedelta) -> int:
    return round(delta.total_seconds())
