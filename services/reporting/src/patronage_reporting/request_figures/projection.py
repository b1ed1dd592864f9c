"""The request projection: one event and the request's state in, the figure changes out.

Pure: no I/O. The live consumer and the replay both call ``project_request_event``; the
live one reads and writes the state under a per-request lock, the replay keeps states in
memory. The state records the last applied event ids, the request's version and each
clock's stop, so a redelivered event changes nothing.

Figures (fields of the documents named in ``figures.keys``):

- ``live|<geo>|-|<cat>``: ``status.<request status>`` — requests in each status now;
- ``live|<geo>|<agency>|<cat>``: ``status.<task status>`` — the agency's tasks by status;
- ``day:…``/``dec:…``/``month:…`` documents of the same scopes: ``created``, ``entered.<status>``,
  ``frt.<bucket>`` and ``ttr.<bucket>`` (time to first response and to resolution,
  counted on the day the clock stopped), ``sla.<clock>.<stopped|late|warned|breached>``,
  ``rating.<1..5>``, ``esc.<level>`` (RequestEscalated to the district head, the HQ
  coordinator or the regional coordinator, once per request, clock and level);
- ``curator:<id>``: ``open_requests``.

First response: the first status report of any agency on the request (per agency: of its
own task). Resolution: the first entry of the request into resolved, rejected or closed
(per agency: its task resolved or rejected). A request resolved without any agency report
gets its first response at the same moment.
"""

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from ..figures import keys
from ..figures.events import EventFields, already_applied, moment, remember
from ..figures.histogram import bucket_of
from ..figures.ops import Changes, DatedIds
from . import overdue
from .rules import RESOLUTION_STATUSES, TASK_FINAL, TASK_SENT, is_open

State = dict[str, Any]
FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"


def request_key(request_id: str) -> str:
    """``_id`` of a request's reporting state."""
    return f"request:{request_id}"


def scope_ids(state: State, period: str, agency: str = keys.ALL_AGENCIES) -> tuple[str, ...]:
    """Figure documents a fact of this request counts in, for one period and agency."""
    return _scope_ids(period, agency, state.get("cat"), state.get("d"), state.get("hq"))


@lru_cache(maxsize=65536)
def _scope_ids(
    period: str, agency: str, category: str | None, district: str | None, hq: str | None
) -> tuple[str, ...]:
    categories = [keys.ALL_CATEGORIES, *([category] if category else [])]
    return tuple(
        keys.figure_id(period, geo, agency, c)
        for geo in keys.geos(district, hq)
        for c in categories
    )


def _dated_ids(state: State, when: datetime, zone: ZoneInfo, agency: str) -> tuple[str, ...]:
    return _day_scope_ids(
        keys.local_day(when, zone), agency, state.get("cat"), state.get("d"), state.get("hq")
    )


@lru_cache(maxsize=65536)
def _day_scope_ids(
    day: date, agency: str, category: str | None, district: str | None, hq: str | None
) -> tuple[str, ...]:
    # Concatenated, not generated id by id: most tuples are built once (a day, agency,
    # category and place seldom meet twice), so building them is a good part of the fold.
    day_period, decade_period, month_period = keys.periods_of(day)
    return DatedIds(
        _scope_ids(day_period, agency, category, district, hq)
        + _scope_ids(decade_period, agency, category, district, hq)
        + _scope_ids(month_period, agency, category, district, hq),
        keys.year_month(day),
    )


def _inc_live(changes: Changes, state: State, path: str, n: int, agency: str) -> None:
    changes.inc_all(scope_ids(state, keys.LIVE, agency), path, n)


def _inc_dated(
    changes: Changes,
    state: State,
    when: datetime,
    zone: ZoneInfo,
    path: str,
    agency: str = keys.ALL_AGENCIES,
) -> None:
    changes.inc_all(_dated_ids(state, when, zone, agency), path)


def _seconds_since_creation(state: State, when: datetime) -> float | None:
    if not state.get("at"):
        return None
    return (when - moment(state["at"])).total_seconds()


def _count_open(changes: Changes, state: State, before: str | None, after: str | None) -> None:
    curator = state.get("cur")
    if not curator or is_open(before) == is_open(after):
        return
    changes.inc(keys.curator_id(curator), "open_requests", 1 if is_open(after) else -1)


def on_request_created(
    changes: Changes, state: State | None, event: EventFields, zone: ZoneInfo
) -> None:
    """A request was registered: count it as created and as new."""
    assert state is not None
    if state.get("at"):
        return
    when = moment(event["occurred_at"])
    state.update(
        cat=event["category"],
        urg=event.get("urgency"),
        d=event.get("district"),
        hq=event.get("hq"),
        cur=event.get("curator_id"),
        at=when.isoformat(),
    )
    state.setdefault("tasks", {})
    state.setdefault("sla", {})
    _inc_dated(changes, state, when, zone, "created")
    if state.get("st") is None:
        state["st"] = "new"
        state.setdefault("v", 0)
        _inc_live(changes, state, "status.new", 1, keys.ALL_AGENCIES)
        _count_open(changes, state, None, "new")
    if state.get("cur"):
        for geo in keys.geos(state.get("d"), state.get("hq")):
            changes.put(keys.curator_index_id(geo), f"ids.{keys.safe(state['cur'])}", 1)


def on_request_routed(
    changes: Changes, state: State | None, event: EventFields, zone: ZoneInfo
) -> None:
    """A request was split into agency tasks: each agency counts a task sent to it."""
    assert state is not None
    tasks = state.setdefault("tasks", {})
    when = moment(event["occurred_at"])
    for task in event["tasks"]:
        task_id = str(task["task_id"])
        if task_id in tasks:
            continue
        tasks[task_id] = {"a": task["agency"], "s": TASK_SENT}
        _inc_live(changes, state, f"status.{TASK_SENT}", 1, task["agency"])
        _inc_dated(changes, state, when, zone, "created", task["agency"])


def on_request_status_changed(
    changes: Changes, state: State | None, event: EventFields, zone: ZoneInfo
) -> None:
    """A request moved to another status: move its count; stop the resolution clock."""
    assert state is not None
    if state.get("v", 0) >= int(event["version"]):
        return
    state["v"] = int(event["version"])
    state.setdefault("cat", event["category"])
    if state.get("d") is None and event.get("district"):
        state["d"] = event["district"]
    if state.get("cur") is None and event.get("curator_id"):
        state["cur"] = event["curator_id"]
    before, after = state.get("st"), str(event["status"])
    if before == after:
        return
    when = moment(event["occurred_at"])
    if before is not None:
        _inc_live(changes, state, f"status.{before}", -1, keys.ALL_AGENCIES)
    _inc_live(changes, state, f"status.{after}", 1, keys.ALL_AGENCIES)
    _inc_dated(changes, state, when, zone, f"entered.{after}")
    _count_open(changes, state, before, after)
    state["st"] = after
    if after in RESOLUTION_STATUSES:
        if not state.get("fr"):
            _first_response(changes, state, when, zone)
        if not state.get("res"):
            state["res"] = when.isoformat()
            seconds = _seconds_since_creation(state, when)
            if seconds is not None:
                _inc_dated(changes, state, when, zone, f"ttr.{bucket_of(seconds)}")
            _stop_clock(changes, state, RESOLUTION, when, zone)
    if not is_open(after):
        overdue.leave_all(changes, state)


def on_agency_task_status_changed(
    changes: Changes, state: State | None, event: EventFields, zone: ZoneInfo
) -> None:
    """An agency reported on its task: move the task's count; stop first-response clocks."""
    assert state is not None
    when = moment(event["occurred_at"])
    agency, after = str(event["agency"]), str(event["status"])
    task = state.setdefault("tasks", {}).setdefault(str(event["task_id"]), {"a": agency, "s": None})
    before = task.get("s")
    if before != after:
        if before is not None:
            _inc_live(changes, state, f"status.{before}", -1, agency)
        _inc_live(changes, state, f"status.{after}", 1, agency)
        _inc_dated(changes, state, when, zone, f"entered.{after}", agency)
        task["s"] = after
    seconds = _seconds_since_creation(state, when)
    if not task.get("fr"):
        task["fr"] = True
        if seconds is not None:
            _inc_dated(changes, state, when, zone, f"frt.{bucket_of(seconds)}", agency)
    if after in TASK_FINAL and not task.get("res"):
        task["res"] = True
        if seconds is not None:
            _inc_dated(changes, state, when, zone, f"ttr.{bucket_of(seconds)}", agency)
    if not state.get("fr"):
        _first_response(changes, state, when, zone)


def _first_response(changes: Changes, state: State, when: datetime, zone: ZoneInfo) -> None:
    state["fr"] = when.isoformat()
    seconds = _seconds_since_creation(state, when)
    if seconds is not None:
        _inc_dated(changes, state, when, zone, f"frt.{bucket_of(seconds)}")
    _stop_clock(changes, state, FIRST_RESPONSE, when, zone)


def agencies_of(state: State) -> list[str]:
    """The agencies the request was routed to (each counts the request's SLA facts)."""
    return sorted({task["a"] for task in state.get("tasks", {}).values()})


def _inc_sla(
    changes: Changes, state: State, when: datetime, zone: ZoneInfo, clock: str, outcome: str
) -> None:
    for agency in (keys.ALL_AGENCIES, *agencies_of(state)):
        _inc_dated(changes, state, when, zone, f"sla.{clock}.{outcome}", agency)


def _stop_clock(changes: Changes, state: State, clock: str, when: datetime, zone: ZoneInfo) -> None:
    """A clock stopped: count it as stopped, and as late if it had been breached."""
    sla = state.setdefault("sla", {}).setdefault(clock, {})
    if sla.get("stopped"):
        return
    sla["stopped"] = True
    _inc_sla(changes, state, when, zone, clock, "stopped")
    if sla.get("breached"):
        _inc_sla(changes, state, when, zone, clock, "late")
    overdue.leave(changes, state, clock)


def on_sla_warning(
    state: State,
    *,
    clock: str,
    due_at: datetime,
    occurred_at: datetime,
    zone: ZoneInfo,
    changes: Changes | None = None,
) -> Changes:
    """A clock is close to its deadline: count the warning once per request and clock."""
    changes = Changes() if changes is None else changes
    sla = state.setdefault("sla", {}).setdefault(clock, {})
    sla["due"] = due_at.isoformat()
    if sla.get("warned") or sla.get("stopped"):
        return changes
    sla["warned"] = True
    _inc_sla(changes, state, occurred_at, zone, clock, "warned")
    return changes


def on_sla_breached(
    state: State,
    *,
    clock: str,
    due_at: datetime,
    occurred_at: datetime,
    zone: ZoneInfo,
    changes: Changes | None = None,
) -> Changes:
    """A clock passed its deadline: count the breach; the request joins the overdue list."""
    changes = Changes() if changes is None else changes
    sla = state.setdefault("sla", {}).setdefault(clock, {})
    sla["due"] = due_at.isoformat()
    if sla.get("breached"):
        return changes
    sla["breached"] = True
    _inc_sla(changes, state, occurred_at, zone, clock, "breached")
    if not sla.get("stopped") and is_open(state.get("st")):
        overdue.enter(changes, state, clock, due_at, zone)
    return changes


def on_feedback(
    state: State,
    *,
    rating: int,
    occurred_at: datetime,
    zone: ZoneInfo,
    changes: Changes | None = None,
) -> Changes:
    """The family rated the handling of the request; a new rating replaces the old one."""
    changes = Changes() if changes is None else changes
    before = state.get("rating")
    if before == rating:
        return changes
    state["rating"] = rating
    for agency in (keys.ALL_AGENCIES, *agencies_of(state)):
        if before is not None:
            # The earlier rating is taken back in the period it was counted in.
            counted = moment(state["rated_at"])
            for doc_id in _dated_ids(state, counted, zone, agency):
                changes.inc(doc_id, f"rating.{before}", -1)
        _inc_dated(changes, state, occurred_at, zone, f"rating.{rating}", agency)
    state["rated_at"] = occurred_at.isoformat()
    if state.get("cur"):
        curator = keys.curator_id(state["cur"])
        if before is not None:
            changes.inc(curator, f"rating.{before}", -1)
        changes.inc(curator, f"rating.{rating}")
    return changes


def on_request_escalated(
    changes: Changes, state: State, event: EventFields, zone: ZoneInfo
) -> None:
    """A breached request went up the chain: count it once per request, clock and level."""
    clock, level = str(event["clock"]), str(event["level"])
    escalated = state.setdefault("sla", {}).setdefault(clock, {}).setdefault("esc", [])
    if level in escalated:
        return
    escalated.append(level)
    when = moment(event["occurred_at"])
    for agency in (keys.ALL_AGENCIES, *agencies_of(state)):
        _inc_dated(changes, state, when, zone, f"esc.{level}", agency)


def on_sla_warning_event(
    changes: Changes, state: State, event: EventFields, zone: ZoneInfo
) -> None:
    """``SlaWarning`` of the requests service."""
    on_sla_warning(
        state,
        changes=changes,
        clock=str(event["clock"]),
        due_at=moment(event["due_at"]),
        occurred_at=moment(event["occurred_at"]),
        zone=zone,
    )


def on_sla_breached_event(
    changes: Changes, state: State, event: EventFields, zone: ZoneInfo
) -> None:
    """``SlaBreached`` of the requests service."""
    on_sla_breached(
        state,
        changes=changes,
        clock=str(event["clock"]),
        due_at=moment(event["due_at"]),
        occurred_at=moment(event["occurred_at"]),
        zone=zone,
    )


def on_feedback_event(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """``FeedbackReceived`` of the requests service."""
    on_feedback(
        state,
        changes=changes,
        rating=int(event["rating"]),
        occurred_at=moment(event["occurred_at"]),
        zone=zone,
    )


Projector = Any
PROJECTIONS: dict[str, Projector] = {
    "RequestCreated": on_request_created,
    "RequestRouted": on_request_routed,
    "RequestStatusChanged": on_request_status_changed,
    "AgencyTaskStatusChanged": on_agency_task_status_changed,
    "SlaWarning": on_sla_warning_event,
    "SlaBreached": on_sla_breached_event,
    "RequestEscalated": on_request_escalated,
    "FeedbackReceived": on_feedback_event,
}
"""Projections of the request events that exist in the contracts, by event type."""


def project_request_event(
    state: State | None, event: EventFields, zone: ZoneInfo, changes: Changes | None = None
) -> tuple[State | None, Changes]:
    """Apply one request event; return the new state (None: unchanged) and the changes.

    The changes are added to ``changes`` when given (the replay folds every event into
    one), else to a new ``Changes``.
    """
    if changes is None:
        changes = Changes()
    projector = PROJECTIONS.get(str(event["type"]))
    if projector is None or already_applied(state, event):
        return None, changes
    new_state: State = (
        {"_id": request_key(str(event["request_id"]))} if state is None else dict(state)
    )
    new_state.setdefault("fam", str(event["family_id"]))
    projector(changes, new_state, event, zone)
    remember(new_state, event)
    return new_state, changes
