"""Proactive rules: loading the rules file and evaluating triggers, without I/O."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from patronage_contracts import ServicemanStatusChanged
from patronage_requests.proactive import evaluation
from patronage_requests.proactive.evaluation import FamilyFacts, MemberFacts
from patronage_requests.proactive.handlers import from_a_curator
from patronage_requests.proactive.rules import EventTrigger, Rule, RulesFileError, load_rules

RULES = load_rules()
FAMILY = str(uuid4())
TODAY = date(2026, 11, 23)


def rule(code: str) -> Rule:
    found = RULES.get(code)
    assert found is not None
    return found


def calendar(code: str) -> Any:
    trigger = rule(code).trigger
    assert not isinstance(trigger, EventTrigger)
    return trigger


def child(birth: date, **facts: Any) -> MemberFacts:
    return MemberFacts(member_id=str(uuid4()), relation="child", birth_date=birth, **facts)


def family(*members: MemberFacts, **facts: Any) -> FamilyFacts:
    return FamilyFacts(family_id=FAMILY, members=members, **facts)


def test_the_packaged_rules_cover_the_five_situations() -> None:
    assert [r.code for r in RULES.rules] == [
        "serviceman_wounded",
        "child_turns_3_no_kindergarten",
        "school_year_meals",
        "expected_birth_maternity",
        "no_contact_30_days",
    ]
    wounded = rule("serviceman_wounded")
    assert [a.request for a in wounded.actions] == ["psychological", "health"]  # type: ignore[union-attr]
    assert all(r.title and r.description for r in RULES.rules)


@pytest.mark.parametrize(
    ("yaml_rule", "complaint"),
    [
        ("trigger: {event: NoSuchEvent}", "неизвестное событие"),
        ("trigger: {event: ServicemanStatusChanged, when: {rank: x}}", "нет полей: rank"),
        ("trigger: {calendar: birthday, age: 3}\n    fact_key: '{family_id}:{year}'", "year"),
        ("trigger: {calendar: no_contact, days: 30}\n    fact_key: '{date}'", "{family_id}"),
    ],
)
def test_a_broken_rules_file_is_refused_with_the_reason(
    tmp_path: Path, yaml_rule: str, complaint: str
) -> None:
    text = (
        "rules:\n  - code: broken_rule\n    title: Сломанное\n    description: Проверка\n"
        f"    {yaml_rule}\n"
    )
    if "fact_key" not in yaml_rule:
        text += "    fact_key: '{family_id}'\n"
    text += "    actions: [{request: health, description: Помочь}]\n"
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesFileError, match="с ошибками") as error:
        load_rules(path)
    assert complaint in str(error.value)


def test_repeated_codes_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    one = (
        "  - code: same_rule\n    title: Правило\n    description: Проверка\n"
        "    trigger: {calendar: no_contact, days: 30}\n    fact_key: '{family_id}'\n"
        "    actions: [{curator_task: Позвонить, description: Позвонить семье}]\n"
    )
    path.write_text("rules:\n" + one + one, encoding="utf-8")
    with pytest.raises(RulesFileError, match="повторяются: same_rule"):
        load_rules(path)
    with pytest.raises(RulesFileError, match="PROACTIVE_RULES_FILE"):
        load_rules(tmp_path / "missing.yaml")


def wounded_event(status: str = "wounded", effective: date = TODAY) -> ServicemanStatusChanged:
    return ServicemanStatusChanged(
        family_id=FAMILY, status=status, previous_status="serving", effective_date=effective
    )


def test_wounded_fires_for_a_recent_wound_only() -> None:
    trigger = rule("serviceman_wounded").trigger
    assert isinstance(trigger, EventTrigger)
    assert evaluation.event_fires(trigger, wounded_event(), TODAY)
    assert evaluation.event_fires(trigger, wounded_event(effective=TODAY - timedelta(30)), TODAY)
    assert not evaluation.event_fires(trigger, wounded_event("returned"), TODAY)
    # A wound from long ago (the topic replayed from the start, say) opens nothing now.
    assert not evaluation.event_fires(
        trigger, wounded_event(effective=TODAY - timedelta(31)), TODAY
    )


def test_the_same_wound_reported_twice_is_one_fact_and_a_new_wound_another() -> None:
    wounded = rule("serviceman_wounded")
    first, repeated = wounded_event(), wounded_event()
    assert first.event_id != repeated.event_id
    key = evaluation.claim_id(wounded, evaluation.event_variables(first))
    assert key == f"proactive:serviceman_wounded:{FAMILY}:wounded:{TODAY}"
    assert key == evaluation.claim_id(wounded, evaluation.event_variables(repeated))
    later = wounded_event(effective=TODAY + timedelta(days=40))
    assert key != evaluation.claim_id(wounded, evaluation.event_variables(later))


def test_a_claim_plans_the_same_request_ids_for_the_same_fact() -> None:
    wounded = rule("serviceman_wounded")
    variables = evaluation.event_variables(wounded_event())
    claim = evaluation.new_claim(wounded, variables, today=TODAY)
    again = evaluation.new_claim(wounded, variables, today=TODAY)
    assert evaluation.request_ids_of(claim) == evaluation.request_ids_of(again)
    assert len(set(evaluation.request_ids_of(claim))) == 2
    assert [a["category"] for a in claim["actions"]] == ["psychological", "health"]
    assert f"ранен ({TODAY})" in claim["actions"][0]["description"]
    assert claim["status"] == "pending"


def test_a_child_without_kindergarten_is_due_on_the_third_birthday() -> None:
    trigger = calendar("child_turns_3_no_kindergarten")
    kid = child(date(2023, 11, 25))
    facts = family(kid)
    birthday = date(2026, 11, 25)
    assert [d.on for d in evaluation.future_dues(trigger, facts, TODAY)] == [birthday]
    assert evaluation.firing_dues(trigger, facts, TODAY) == []
    due = evaluation.firing_dues(trigger, facts, birthday)
    assert [d.variables["member_id"] for d in due] == [kid.member_id]
    assert evaluation.firing_dues(trigger, facts, birthday + timedelta(days=30))
    assert not evaluation.firing_dues(trigger, facts, birthday + timedelta(days=31))


def test_a_child_in_kindergarten_or_school_or_too_young_is_not_due() -> None:
    trigger = calendar("child_turns_3_no_kindergarten")
    birthday = date(2026, 11, 25)
    facts = family(
        child(date(2023, 11, 25), in_kindergarten=True),
        child(date(2023, 11, 25), pupil=True),
        MemberFacts(str(uuid4()), "applicant", date(2023, 11, 25)),
        child(date(2024, 11, 25)),
    )
    assert evaluation.firing_dues(trigger, facts, birthday) == []


def test_a_leap_day_child_turns_3_on_the_first_of_march() -> None:
    trigger = calendar("child_turns_3_no_kindergarten")
    facts = family(child(date(2024, 2, 29)))
    assert [d.on for d in evaluation.calendar_dues(trigger, facts, TODAY)] == [date(2027, 3, 1)]


def test_the_school_year_start_is_due_every_first_of_september_for_pupils() -> None:
    trigger = calendar("school_year_meals")
    facts = family(child(date(2016, 9, 1), pupil=True), child(date(2018, 1, 5), pupil=True))
    assert [d.on for d in evaluation.future_dues(trigger, facts, TODAY)] == [date(2027, 9, 1)]
    due = evaluation.firing_dues(trigger, facts, date(2027, 9, 1))
    assert [(d.variables["year"], d.variables["pupils"]) for d in due] == [("2027", "2")]
    claim = evaluation.new_claim(rule("school_year_meals"), due[0].variables, today=TODAY)
    assert claim["_id"] == f"proactive:school_year_meals:{FAMILY}:2027"
    assert "2027/2028" in claim["actions"][0]["description"]
    assert evaluation.firing_dues(trigger, family(child(date(2018, 1, 5))), date(2027, 9, 1)) == []


def test_maternity_is_due_30_days_before_the_expected_birth_even_if_registered_late() -> None:
    trigger = calendar("expected_birth_maternity")
    expected = TODAY + timedelta(days=40)
    mother = MemberFacts(str(uuid4()), "applicant", date(1995, 1, 1), expected_birth=expected)
    facts = family(mother)
    assert [d.on for d in evaluation.future_dues(trigger, facts, TODAY)] == [TODAY + timedelta(10)]
    assert evaluation.firing_dues(trigger, facts, TODAY + timedelta(days=9)) == []
    assert evaluation.firing_dues(trigger, facts, TODAY + timedelta(days=10))
    # Registered 5 days before the birth: fires at once (the fact arrives already due).
    assert evaluation.fires_on_arrival(trigger)
    assert evaluation.firing_dues(trigger, facts, expected - timedelta(days=5))
    assert not evaluation.firing_dues(trigger, facts, expected + timedelta(days=1))


def test_no_contact_is_due_30_days_after_the_last_contact_and_never_on_arrival() -> None:
    trigger = calendar("no_contact_30_days")
    assert not evaluation.fires_on_arrival(trigger)
    facts = family(last_contact=TODAY)
    assert [d.on for d in evaluation.future_dues(trigger, facts, TODAY)] == [TODAY + timedelta(30)]
    assert evaluation.firing_dues(trigger, facts, TODAY + timedelta(days=29)) == []
    due = evaluation.firing_dues(trigger, facts, TODAY + timedelta(days=30))
    claim = evaluation.new_claim(rule("no_contact_30_days"), due[0].variables, today=TODAY)
    assert claim["fact_key"] == f"{FAMILY}:{TODAY}"
    assert claim["actions"][0]["kind"] == "curator_task"
    # A later contact moves the due day: the old day's bucket finds nothing due.
    later = family(last_contact=TODAY + timedelta(days=10))
    assert evaluation.firing_dues(trigger, later, TODAY + timedelta(days=30)) == []
    assert evaluation.firing_dues(trigger, family(), TODAY) == []


def test_a_family_that_withdrew_consent_gets_no_calendar_firings() -> None:
    trigger = calendar("child_turns_3_no_kindergarten")
    facts = family(child(date(2023, 11, 25)), restricted=True)
    assert evaluation.firing_dues(trigger, facts, date(2026, 11, 25)) == []


def test_facts_come_from_the_passport_as_the_passport_service_shows_it() -> None:
    member_ids = [str(uuid4()) for _ in range(4)]
    passport = {
        "members": [
            {
                "member_id": member_ids[0],
                "relation": "applicant",
                "birth_date": "1995-05-17",
                "pregnancy": {"expected_date": "2027-01-10"},
            },
            {
                "member_id": member_ids[1],
                "relation": "child",
                "birth_date": "2016-09-01",
                "school": {"school": "СОШ № 5", "grade": 4},
            },
            {
                "member_id": member_ids[2],
                "relation": "child",
                "birth_date": "2022-02-11",
                "preschool": {"kindergarten": "Детский сад № 7"},
            },
            {
                "member_id": member_ids[3],
                "relation": "child",
                "birth_date": "2023-11-25",
                "preschool": {"needs_place": True},
            },
        ],
        "restricted_scopes": ["health_data"],
    }
    stored = evaluation.facts_of_passport(passport)
    facts = evaluation.family_facts(FAMILY, {**stored, "last_contact": "2026-11-01"})
    assert [(m.pupil, m.in_kindergarten) for m in facts.members] == [
        (False, False),
        (True, False),
        (False, True),
        (False, False),
    ]
    assert facts.members[0].expected_birth == date(2027, 1, 10)
    assert facts.last_contact == date(2026, 11, 1)
    assert not facts.restricted
    assert evaluation.facts_of_passport({**passport, "restricted_scopes": ["personal_data"]})[
        "restricted"
    ]


def test_only_a_curators_request_is_looked_at_as_a_contact_with_the_family() -> None:
    assert from_a_curator({"type": "RequestCreated", "channel": "curator"})
    for channel in ("chatbot", "dispatcher", "portal", "proactive_rule"):
        assert not from_a_curator({"type": "RequestCreated", "channel": channel})
    assert not from_a_curator({"type": "RequestCreated"})
