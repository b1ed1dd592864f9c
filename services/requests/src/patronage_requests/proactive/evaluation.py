"""When a proactive rule fires, and for which fact: pure functions of facts and dates.

Family facts come from the passport (as the passport service shows it, consent applied):
each member's relation, birth date, kindergarten or school, expected birth date; and from
the bus: the day of the last contact with the family.

Variables each calendar trigger gives its templates:

- ``birthday``: member_id, birth_date, date (the birthday);
- ``school_year_start``: year, next_year, pupils (how many), date (the first school day);
- ``expected_birth``: member_id, expected_date, date (``days_before`` it);
- ``no_contact``: last_contact, date (``days`` after it).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from patronage_contracts import Message

from .rules import (
    BirthdayTrigger,
    CalendarTrigger,
    CuratorTaskAction,
    EventTrigger,
    ExpectedBirthTrigger,
    NoContactTrigger,
    RequestAction,
    Rule,
    SchoolYearStartTrigger,
)

PROACTIVE_NAMESPACE = uuid5(NAMESPACE_URL, "https://patronage.example/proactive")
PERSONAL_DATA_SCOPE = "personal_data"
CHILD = "child"

Variables = Mapping[str, str]


@dataclass(frozen=True)
class MemberFacts:
    """What the rules need to know of one family member."""

    member_id: str
    relation: str
    birth_date: date
    in_kindergarten: bool = False
    pupil: bool = False
    expected_birth: date | None = None


@dataclass(frozen=True)
class FamilyFacts:
    """What the rules need to know of a family."""

    family_id: str
    members: tuple[MemberFacts, ...] = ()
    restricted: bool = False
    last_contact: date | None = None


@dataclass(frozen=True)
class Due:
    """A dated fact a calendar rule may fire for."""

    on: date
    variables: Variables = field(default_factory=dict)


def facts_of_passport(passport: Mapping[str, Any]) -> dict[str, Any]:
    """The stored facts of a passport (from ``GET /passports/{id}``)."""
    members = []
    for member in passport.get("members") or []:
        preschool = member.get("preschool") or {}
        pregnancy = member.get("pregnancy") or {}
        members.append(
            {
                "member_id": str(member["member_id"]),
                "relation": member["relation"],
                "birth_date": str(member["birth_date"]),
                "in_kindergarten": bool(preschool.get("kindergarten")),
                "pupil": member.get("school") is not None,
                "expected_birth": pregnancy.get("expected_date"),
            }
        )
    restricted = PERSONAL_DATA_SCOPE in (passport.get("restricted_scopes") or [])
    return {"members": members, "restricted": restricted}


def family_facts(family_id: str, document: Mapping[str, Any] | None) -> FamilyFacts:
    """Facts from their stored form (a family not heard of yet has none)."""
    if document is None:
        return FamilyFacts(family_id=family_id)
    members = tuple(
        MemberFacts(
            member_id=m["member_id"],
            relation=m["relation"],
            birth_date=date.fromisoformat(m["birth_date"]),
            in_kindergarten=m.get("in_kindergarten", False),
            pupil=m.get("pupil", False),
            expected_birth=date.fromisoformat(m["expected_birth"])
            if m.get("expected_birth")
            else None,
        )
        for m in document.get("members") or []
    )
    last = document.get("last_contact")
    return FamilyFacts(
        family_id=family_id,
        members=members,
        restricted=bool(document.get("restricted")),
        last_contact=date.fromisoformat(last) if last else None,
    )


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def calendar_dues(trigger: CalendarTrigger, facts: FamilyFacts, today: date) -> list[Due]:
    """Every dated fact of the family the trigger looks at, past or future."""
    family = {"family_id": facts.family_id}
    match trigger:
        case BirthdayTrigger():
            return [
                Due(
                    on,
                    {
                        **family,
                        "member_id": m.member_id,
                        "birth_date": m.birth_date.isoformat(),
                        "date": on.isoformat(),
                    },
                )
                for m in facts.members
                if m.relation == CHILD
                and not (trigger.without_kindergarten and (m.in_kindergarten or m.pupil))
                for on in [add_years(m.birth_date, trigger.age)]
            ]
        case SchoolYearStartTrigger():
            pupils = sum(1 for m in facts.members if m.pupil)
            if not pupils:
                return []
            # Last year's start too: its window may reach into January.
            return [
                Due(
                    on,
                    {
                        **family,
                        "year": str(on.year),
                        "next_year": str(on.year + 1),
                        "pupils": str(pupils),
                        "date": on.isoformat(),
                    },
                )
                for year in (today.year - 1, today.year, today.year + 1)
                for on in [date(year, trigger.month, trigger.day)]
            ]
        case ExpectedBirthTrigger():
            return [
                Due(
                    on,
                    {
                        **family,
                        "member_id": m.member_id,
                        "expected_date": m.expected_birth.isoformat(),
                        "date": on.isoformat(),
                    },
                )
                for m in facts.members
                if m.expected_birth is not None
                for on in [m.expected_birth - timedelta(days=trigger.days_before)]
            ]
        case NoContactTrigger():
            if facts.last_contact is None:
                return []
            on = facts.last_contact + timedelta(days=trigger.days)
            return [
                Due(
                    on,
                    {
                        **family,
                        "last_contact": facts.last_contact.isoformat(),
                        "date": on.isoformat(),
                    },
                )
            ]
    raise TypeError(f"unknown calendar trigger {trigger!r}")


def fires_on_arrival(trigger: CalendarTrigger) -> bool:
    """Whether a fact that arrives already due fires at once, without waiting for its day.

    A contact never makes the no-contact rule fire: while history is replayed an old
    contact looks overdue until the later ones arrive. That rule fires from its day
    bucket only, after the last contact it knows of.
    """
    return not isinstance(trigger, NoContactTrigger)


def firing_dues(trigger: CalendarTrigger, facts: FamilyFacts, today: date) -> list[Due]:
    """The facts the trigger fires for today: due, and not longer ago than its window."""
    if facts.restricted:
        return []
    window = timedelta(days=trigger.window_days)
    return [d for d in calendar_dues(trigger, facts, today) if d.on <= today <= d.on + window]


def future_dues(trigger: CalendarTrigger, facts: FamilyFacts, today: date) -> list[Due]:
    """The facts that become due after today (to be put in their day's bucket)."""
    return [d for d in calendar_dues(trigger, facts, today) if d.on > today]


def event_variables(event: Message) -> dict[str, str]:
    """An event's fields as template variables."""
    dumped = event.model_dump(mode="json")
    return {k: str(v) for k, v in dumped.items() if isinstance(v, str | int | bool)}


def event_fires(trigger: EventTrigger, event: Message, today: date) -> bool:
    """Whether the event is the trigger's kind, matches ``when`` and is recent enough."""
    dumped = event.model_dump(mode="json")
    if dumped.get("type") != trigger.event:
        return False
    if any(dumped.get(name) != value for name, value in trigger.when.items()):
        return False
    if trigger.date_field is not None and trigger.within_days is not None:
        value = dumped.get(trigger.date_field)
        if not isinstance(value, str):
            return False
        happened = date.fromisoformat(value[:10])
        if happened < today - timedelta(days=trigger.within_days):
            return False
    return True


def claim_id(rule: Rule, variables: Variables) -> str:
    """The ``_id`` that makes the rule fire once for the fact: ``proactive:<rule>:<fact>``."""
    return f"proactive:{rule.code}:{rule.fact_key.format_map(dict(variables))}"


def new_claim(
    rule: Rule, variables: Variables, *, today: date, cause: Message | None = None
) -> dict[str, Any]:
    """The claim of one firing with its planned actions, not yet done.

    Request and task ids derive from the claim's id, so a retry after a crash creates
    the same request (the store refuses it twice) instead of a second one.
    """
    key = claim_id(rule, variables)
    actions: list[dict[str, Any]] = []
    for index, action in enumerate(rule.actions):
        action_id = str(uuid5(PROACTIVE_NAMESPACE, f"{key}#{index}"))
        description = action.description.format_map(dict(variables))
        if isinstance(action, RequestAction):
            actions.append(
                {
                    "kind": "request",
                    "category": action.request.value,
                    "urgency": action.urgency.value,
                    "description": description,
                    "request_id": action_id,
                    "done": False,
                }
            )
        elif isinstance(action, CuratorTaskAction):
            actions.append(
                {
                    "kind": "curator_task",
                    "title": action.curator_task,
                    "description": description,
                    "task_id": action_id,
                    "done": False,
                }
            )
    return {
        "_id": key,
        "rule": rule.code,
        "family_id": variables["family_id"],
        "fact_key": rule.fact_key.format_map(dict(variables)),
        "fired_on": today.isoformat(),
        "status": "pending",
        "actions": actions,
        "correlation_id": str(cause.correlation_id) if cause else None,
        "causation_id": str(cause.event_id) if cause else None,
        "error": None,
    }


def request_ids_of(claim: Mapping[str, Any]) -> list[UUID]:
    """Ids of the requests a firing opens."""
    return [UUID(a["request_id"]) for a in claim["actions"] if a["kind"] == "request"]
