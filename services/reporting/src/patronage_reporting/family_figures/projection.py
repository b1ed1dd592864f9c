"""The family projection: one passport event and the family's state in, figure changes out.

Pure: no I/O (see ``request_figures.projection`` for how it is driven).

Coverage rule. A family is *eligible* when its passport is registered with at least one
beneficiary category of the programme (SVO participant's family, pregnant woman, large
family, elderly person): that is the population the region undertakes to support. It is
*connected* when, in addition, it has an active curator and its consent to personal-data
processing stands (a ConsentWithdrawn whose scope includes ``personal_data`` ends it).
A family whose consent was withdrawn stays eligible: it is part of the population, not
connected. Categories are taken from the registration (PassportUpdated carries no values).

Figures:

- ``live|<geo>|-|fam``: ``families``, ``eligible``, ``connected``, ``eligible_by.<category>``,
  ``connected_by.<category>``, ``needs_open.<need category>``,
  ``measures.<code>.assigned`` / ``.provided``; per agency (``live|<geo>|<agency>|fam``)
  the measures of that agency;
- ``day:…``/``dec:…``/``month:…`` of the same scopes: ``registered``, ``needs_recorded.<cat>``,
  ``needs_closed.<cat>``, ``measures_assigned.<code>``, ``measures_provided.<code>``;
- ``coverage|region`` and ``coverage|hq:<hq>``: ``d.<district>.{families,eligible,connected}``;
- ``curator:<id>``: ``families``, ``open_needs``, ``due.<deadline day>`` (open support-plan
  items by deadline; those before today are overdue when read), and ``curators|<geo>``
  lists the curators of a geo.
"""

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from ..figures import keys
from ..figures.events import EventFields, already_applied, moment, remember
from ..figures.ops import Changes, DatedIds

State = dict[str, Any]
FULL_CONSENT_SCOPE = "personal_data"
CLOSED_PLAN_ITEM = frozenset({"done", "cancelled"})


def family_key(family_id: str) -> str:
    """``_id`` of a family's reporting state."""
    return f"family:{family_id}"


def _fam_ids(state: State, period: str, agency: str = keys.ALL_AGENCIES) -> tuple[str, ...]:
    return _family_scope_ids(period, agency, state.get("d"), state.get("hq"))


@lru_cache(maxsize=65536)
def _family_scope_ids(
    period: str, agency: str, district: str | None, hq: str | None
) -> tuple[str, ...]:
    return tuple(
        keys.figure_id(period, geo, agency, keys.FAMILY_FIGURES) for geo in keys.geos(district, hq)
    )


@lru_cache(maxsize=65536)
def _family_day_ids(
    day: date, agency: str, district: str | None, hq: str | None
) -> tuple[str, ...]:
    day_period, decade_period, month_period = keys.periods_of(day)
    return DatedIds(
        _family_scope_ids(day_period, agency, district, hq)
        + _family_scope_ids(decade_period, agency, district, hq)
        + _family_scope_ids(month_period, agency, district, hq),
        keys.year_month(day),
    )


def _inc_live(changes: Changes, state: State, path: str, n: int = 1, agency: str = "-") -> None:
    changes.inc_all(_fam_ids(state, keys.LIVE, agency), path, n)


def _inc_dated(
    changes: Changes, state: State, when: datetime, zone: ZoneInfo, path: str, agency: str = "-"
) -> None:
    day = keys.local_day(when, zone)
    changes.inc_all(_family_day_ids(day, agency, state.get("d"), state.get("hq")), path)


def _inc_coverage(changes: Changes, state: State, path: str, n: int) -> None:
    if not state.get("d"):
        return
    field = f"d.{keys.safe(state['d'])}.{path}"
    changes.inc(keys.coverage_id(keys.REGION), field, n)
    if state.get("hq"):
        changes.inc(keys.coverage_id(keys.geo_hq(state["hq"])), field, n)


def is_eligible(state: State) -> bool:
    """Registered with at least one beneficiary category of the programme."""
    return bool(state.get("reg")) and bool(state.get("cats"))


def is_connected(state: State) -> bool:
    """Eligible, with an active curator and consent to personal-data processing."""
    return is_eligible(state) and bool(state.get("cur")) and state.get("consent", True)


def _count_status(changes: Changes, state: State, n: int) -> None:
    """Count (n=1) or uncount (n=-1) the family's eligibility and connection."""
    for flag, holds in (("eligible", is_eligible(state)), ("connected", is_connected(state))):
        if not holds:
            continue
        _inc_live(changes, state, flag, n)
        _inc_coverage(changes, state, flag, n)
        for category in state.get("cats", ()):
            _inc_live(changes, state, f"{flag}_by.{category}", n)


def _open_items_due(state: State) -> dict[str, int]:
    due: dict[str, int] = {}
    for item in state.get("items", {}).values():
        if item.get("open"):
            due[item["due"]] = due.get(item["due"], 0) + 1
    return due


def _count_curator(changes: Changes, state: State, n: int) -> None:
    """Add (n=1) or take away (n=-1) the family's workload from its curator."""
    curator = state.get("cur")
    if not curator:
        return
    doc_id = keys.curator_id(curator)
    changes.inc(doc_id, "families", n)
    changes.inc(doc_id, "open_needs", n * len(state.get("needs", {})))
    for day, count in _open_items_due(state).items():
        changes.inc(doc_id, f"due.{day}", n * count)
    if n > 0:
        for geo in keys.geos(state.get("d"), state.get("hq")):
            changes.put(keys.curator_index_id(geo), f"ids.{keys.safe(curator)}", 1)


def on_passport_registered(
    changes: Changes, state: State, event: EventFields, zone: ZoneInfo
) -> None:
    """A passport was registered: the family counts as registered, eligible, connected."""
    if state.get("reg"):
        return
    _count_status(changes, state, -1)
    _count_curator(changes, state, -1)
    state.update(
        reg=True,
        d=event["district"],
        hq=event["hq"],
        cats=sorted(str(c) for c in event["categories"]),
        consent=bool(event.get("consent_given", True)),
    )
    if event.get("curator_id"):
        state["cur"] = event["curator_id"]
    _inc_live(changes, state, "families")
    _inc_coverage(changes, state, "families", 1)
    _inc_dated(changes, state, moment(event["occurred_at"]), zone, "registered")
    _count_status(changes, state, 1)
    _count_curator(changes, state, 1)


def on_curator_assigned(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """A family got another curator: its workload moves; it may become connected."""
    if state.get("cur") == event["curator_id"]:
        return
    _count_status(changes, state, -1)
    _count_curator(changes, state, -1)
    state["cur"] = event["curator_id"]
    state.setdefault("d", event.get("district"))
    _count_status(changes, state, 1)
    _count_curator(changes, state, 1)


def on_consent_withdrawn(
    changes: Changes, state: State, event: EventFields, zone: ZoneInfo
) -> None:
    """Consent to personal-data processing withdrawn: the family is no longer connected."""
    if FULL_CONSENT_SCOPE not in event.get("scope", ()) or state.get("consent") is False:
        return
    _count_status(changes, state, -1)
    state["consent"] = False
    _count_status(changes, state, 1)


def on_need_recorded(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """A need was recorded: one more open need of its category and of the curator."""
    needs = state.setdefault("needs", {})
    need_id = str(event["need_id"])
    if need_id in needs or need_id in state.get("closed_needs", ()):
        return
    state.setdefault("d", event.get("district"))
    needs[need_id] = event["category"]
    _inc_live(changes, state, f"needs_open.{event['category']}")
    _inc_dated(
        changes, state, moment(event["occurred_at"]), zone, f"needs_recorded.{event['category']}"
    )
    if state.get("cur"):
        changes.inc(keys.curator_id(state["cur"]), "open_needs")


def on_need_closed(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """A need was met or dropped: one open need fewer."""
    need_id = str(event["need_id"])
    category = state.setdefault("needs", {}).pop(need_id, None)
    if category is None:
        return
    state.setdefault("closed_needs", []).append(need_id)
    _inc_live(changes, state, f"needs_open.{category}", -1)
    _inc_dated(changes, state, moment(event["occurred_at"]), zone, f"needs_closed.{category}")
    if state.get("cur"):
        changes.inc(keys.curator_id(state["cur"]), "open_needs", -1)


def _measure_key(event: EventFields) -> str:
    return f"{event['measure_code']}|{event.get('member_id') or '-'}"


def on_measure_assigned(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """A support measure was assigned to the family (or one member)."""
    measures = state.setdefault("measures", {})
    key = _measure_key(event)
    if key in measures:
        return
    code, agency = keys.safe(str(event["measure_code"])), str(event["agency"])
    measures[key] = {"a": agency, "s": "assigned"}
    when = moment(event["occurred_at"])
    for scope_agency in (keys.ALL_AGENCIES, agency):
        _inc_live(changes, state, f"measures.{code}.assigned", agency=scope_agency)
        _inc_dated(changes, state, when, zone, f"measures_assigned.{code}", scope_agency)


def on_measure_provided(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """An assigned support measure was provided."""
    measures = state.setdefault("measures", {})
    key = _measure_key(event)
    measure = measures.setdefault(key, {"a": None, "s": None})
    if measure["s"] == "provided":
        return
    measure["s"] = "provided"
    code = keys.safe(str(event["measure_code"]))
    when = moment(event["occurred_at"])
    agencies = [keys.ALL_AGENCIES] + ([measure["a"]] if measure["a"] else [])
    for scope_agency in agencies:
        _inc_live(changes, state, f"measures.{code}.provided", agency=scope_agency)
        _inc_dated(changes, state, when, zone, f"measures_provided.{code}", scope_agency)


def on_plan_item_added(changes: Changes, state: State, event: EventFields, zone: ZoneInfo) -> None:
    """A support-plan item with a deadline: the curator has one more open item due that day."""
    items = state.setdefault("items", {})
    item_id = str(event["plan_item_id"])
    if item_id in items:
        return
    due = str(event["deadline"])
    items[item_id] = {"due": due, "open": True}
    if state.get("cur"):
        changes.inc(keys.curator_id(state["cur"]), f"due.{due}")


def on_plan_item_status_changed(
    changes: Changes, state: State, event: EventFields, zone: ZoneInfo
) -> None:
    """A plan item done or cancelled is no longer due; reopened, it is due again."""
    item = state.setdefault("items", {}).get(str(event["plan_item_id"]))
    if item is None:
        return
    now_open = str(event["status"]) not in CLOSED_PLAN_ITEM
    if item["open"] == now_open:
        return
    item["open"] = now_open
    if state.get("cur"):
        changes.inc(keys.curator_id(state["cur"]), f"due.{item['due']}", 1 if now_open else -1)


Projector = Any
PROJECTIONS: dict[str, Projector] = {
    "PassportRegistered": on_passport_registered,
    "CuratorAssigned": on_curator_assigned,
    "ConsentWithdrawn": on_consent_withdrawn,
    "NeedRecorded": on_need_recorded,
    "NeedClosed": on_need_closed,
    "MeasureAssigned": on_measure_assigned,
    "MeasureProvided": on_measure_provided,
    "PlanItemAdded": on_plan_item_added,
    "PlanItemStatusChanged": on_plan_item_status_changed,
}


def project_family_event(
    state: State | None, event: EventFields, zone: ZoneInfo, changes: Changes | None = None
) -> tuple[State | None, Changes]:
    """Apply one passport event; return the new state (None: unchanged) and the changes.

    The changes are added to ``changes`` when given, else to a new ``Changes``.
    """
    if changes is None:
        changes = Changes()
    projector = PROJECTIONS.get(str(event["type"]))
    if projector is None or already_applied(state, event):
        return None, changes
    new_state: State = {"_id": family_key(str(event["family_id"]))} if state is None else state
    projector(changes, new_state, event, zone)
    remember(new_state, event)
    return new_state, changes
