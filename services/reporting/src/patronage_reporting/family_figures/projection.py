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
- ``day:…``/``month:…`` of the same scopes: ``registered``, ``needs_recorded.<cat>``,
  ``needs_closed.<cat>``, ``measures_assigned.<code>``, ``measures_provided.<code>``;
- ``coverage|region`` and ``coverage|hq:<hq>``: ``d.<district>.{families,eligible,connected}``;
- ``curator:<id>``: ``families``, ``open_needs``, ``due.<deadline day>`` (open support-plan
  items by deadline; those before today are overdue when read), and ``curators|<geo>``
  lists the curators of a geo.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..figures import keys
from ..figures.events import EventFields, already_applied, moment, remember
from ..figures.ops import Changes

State = dict[str, Any]
FULL_CONSENT_SCOPE = "personal_data"
CLOSED_PLAN_ITEM = frozenset({"done", "cancelled"})


def family_key(family_id: str) -> str:
    """``_id`` of a family's reporting state."""
    return f"family:{family_id}"


def _fam_ids(state: State, period: str, agency: str = keys.ALL_AGENCIES) -> list[str]:
    return [
        keys.figure_id(period, geo, agency, keys.FAMILY_FIGURES)
        for geo in keys.geos(state.get("d"), state.get("hq"))
    ]


def _inc_live(changes: Changes, state: State, path: str, n: int = 1, agency: str = "-") -> None:
    for doc_id in _fam_ids(state, keys.LIVE, agency):
        changes.inc(doc_id, path, n)


def _inc_dated(
    changes: Changes, state: State, when: datetime, zone: ZoneInfo, path: str, agency: str = "-"
) -> None:
    for period in keys.periods_of(keys.local_day(when, zone)):
        for doc_id in _fam_ids(state, period, agency):
            changes.inc(doc_id, path)


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


def on_passport_registered(state: State, event: EventFields, zone: ZoneInfo) -> Changes:
    """A passport was registered: the family counts as registered, eligible, connected."""
    changes = Changes()
    if state.get("reg"):
        return changes
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
    return changes


def on_curator_assigned(state: State, event: EventFields, zone: ZoneInfo) -> Changes:
    """A family got another curator: its workload moves; it may become connected."""
    changes = Changes()
    if state.get("cur") == event["curator_id"]:
        return changes
    _count_status(changes, state, -1)
    _count_curator(changes, state, -1)
    state["cur"] = event["curator_id"]
    state.setdefault("d", event.get("district"))
    _count_status(changes, state, 1)
    _count_curator(changes, state, 1)
    return changes


def on_consent_withdrawn(state: State, event: EventFields, zone: ZoneInfo) -> Changes:
    """Consent to personal-data processing withdrawn: the family is no longer connected."""
    changes = Changes()
    if FULL_CONSENT_SCOPE not in event.get("scope", ()) or state.get("consent") is False:
        return changes
    _count_status(changes, state, -1)
    state["consent"] = False
    _count_status(changes, state, 1)
    return changes


def on_need_recorded(state: State, event: EventFields, zone: ZoneInfo) -> Changes:
    """A need was recorded: one more open need of its category and of the curator."""
    changes = Changes()
    needs = state.setdefault("needs", {})
    need_id = str(event["need_id"])
    if need_id in needs or need_id in state.get("closed_needs", ()):
        return changes
    state.setdefault("d", event.get("district"))
    needs[need_id] = event["category"]
    _inc_live(changes, state, f"needs_open.{event['category']}")
    _inc_dated(
        changes, state, moment(event["occurred_at"]), zone, f"needs_recorded.{event['category']}"
    )
    if state.get("cur"):
        changes.inc(keys.curator_id(state["cur"]), "open_needs")
    return changes


def on_need_closed(state: State, event: EventFields, zone: ZoneInfo) -> Changes:
    """A need was met or dropped: one open need fewer."""
    changes = Changes()
    need_id = str(event["need_id"])
    category = state.setdefault("needs", {}).pop(need_id, None)
    if category is None:
        return changes
    state.setdefault("closed_needs", []).append(need_id)
    _inc_live(changes, state, f"needs_open.{category}", -1)
    _inc_dated(changes, state, moment(event["occurred_at"]), zone, f"needs_closed.{category}")
    if state.get("cur"):
        changes.inc(keys.curator_id(state["cur"]), "open_needs", -1)
    return changes


def _measure_key(event: EventFields) -> str:
    return f"{event['measure_code']}|{event.get('member_id') or '-'}"


def on_measure_assigned(state: State, event: EventFields, zone: ZoneInfo) -> Changes:
    """A support measure was assigned to the family (or one member)."""
    changes = Changes()
    measures = state.setdefault("measures", {})
    key = _measure_key(event)
    if key in measures:
        return changes
    code, agency = keys.safe(str(event["measure_code"])), str(event["agency"])
    measures[key] = {"a": agency, "s": "assigned"}
    when = moment(event["occurred_at"])
    for scope_agency in (keys.ALL_AGENCIES, agency):
        _inc_live(changes, state, f"measures.{code}.assigned", agency=scope_agency)
        _inc_dated(changes, state, when, zone, f"measures_assigned.{code}", scope_agency)
    return changes


def on_measure_provided(state: State, event: EventFields, zone: ZoneInfo) -> Changes:
    """An assigned support measure was provided."""
    changes = Changes()
    measures = state.setdefault("measures", {})
    key = _measure_key(event)
    measure = measures.setdefault(key, {"a": None, "s": None})
    if measure["s"] == "provided":
        return changes
    measure["s"] = "provided"
    code = keys.safe(str(event["measure_code"]))
    when = moment(event["occurred_at"])
    agencies = [keys.ALL_AGENCIES] + ([measure["a"]] if measure["a"] else [])
    for scope_agency in agencies:
        _inc_live(changes, state, f"measures.{code}.provided", agency=scope_agency)
        _inc_dated(changes, state, when, zone, f"measures_provided.{code}", scope_agency)
    return changes


def on_plan_item_added(state: State, event: EventFields, zone: ZoneInfo) -> Changes:
    """A support-plan item with a deadline: the curator has one more open item due that day."""
    changes = Changes()
    items = state.setdefault("items", {})
    item_id = str(event["plan_item_id"])
    if item_id in items:
        return changes
    due = str(event["deadline"])
    items[item_id] = {"due": due, "open": True}
    if state.get("cur"):
        changes.inc(keys.curator_id(state["cur"]), f"due.{due}")
    return changes


def on_plan_item_status_changed(state: State, event: EventFields, zone: ZoneInfo) -> Changes:
    """A plan item done or cancelled is no longer due; reopened, it is due again."""
    changes = Changes()
    item = state.setdefault("items", {}).get(str(event["plan_item_id"]))
    if item is None:
        return changes
    now_open = str(event["status"]) not in CLOSED_PLAN_ITEM
    if item["open"] == now_open:
        return changes
    item["open"] = now_open
    if state.get("cur"):
        changes.inc(keys.curator_id(state["cur"]), f"due.{item['due']}", 1 if now_open else -1)
    return changes


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
    state: State | None, event: EventFields, zone: ZoneInfo
) -> tuple[State | None, Changes]:
    """Apply one passport event; return the new state (None: unchanged) and the changes."""
    projector = PROJECTIONS.get(str(event["type"]))
    if projector is None or already_applied(state, event):
        return None, Changes()
    new_state: State = {"_id": family_key(str(event["family_id"]))} if state is None else state
    changes: Changes = projector(new_state, event, zone)
    remember(new_state, event)
    return new_state, changes
