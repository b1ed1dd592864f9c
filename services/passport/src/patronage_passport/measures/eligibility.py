"""The eligibility engine: which catalogued measures a family is due, and why.

Semantics of a rule (all set conditions must hold):

* family-level conditions (``category_any``, ``serviceman_status_any``) are checked once;
* a ``per_member`` measure yields one result per member satisfying all member conditions,
  in member order;
* a family-level measure yields one result for the family (``member_id`` is ``None``); its
  member conditions, if any, mean "at least one member satisfies all of them together", and
  its reasons name every such member.

Results come in catalogue order, then member order. Reasons are Russian texts for curators.
"""

from collections.abc import Sequence
from datetime import date

from patronage_contracts import BeneficiaryCategory

from ..passports.enums import Relation, ServicemanStatus
from ..passports.models import Member, Serviceman
from ..passports.validation import age_on
from .catalogue import Catalogue
from .models import EligibleMeasure, Measure, Rule

KINDERGARTEN_MIN_AGE = 1
KINDERGARTEN_MAX_AGE_EXCLUSIVE = 7

CATEGORY_REASONS: dict[BeneficiaryCategory, str] = {
    BeneficiaryCategory.SVO_FAMILY: "семья участника СВО",
    BeneficiaryCategory.PREGNANT_WOMAN: "в семье беременная женщина",
    BeneficiaryCategory.LARGE_FAMILY: "многодетная семья",
    BeneficiaryCategory.ELDERLY_PERSON: "в семье пожилой человек",
}

SERVICEMAN_STATUS_RU: dict[ServicemanStatus, str] = {
    ServicemanStatus.SERVING: "проходит службу",
    ServicemanStatus.WOUNDED: "ранен",
    ServicemanStatus.IN_REHABILITATION: "проходит реабилитацию",
    ServicemanStatus.RETURNED: "вернулся домой",
    ServicemanStatus.MISSING: "пропал без вести",
    ServicemanStatus.DECEASED: "погиб",
}

RELATION_RU: dict[Relation, str] = {
    Relation.APPLICANT: "заявитель",
    Relation.SPOUSE: "супруг(а)",
    Relation.CHILD: "ребёнок",
    Relation.PARENT: "родитель",
    Relation.GRANDPARENT: "бабушка или дедушка",
    Relation.GRANDCHILD: "внук или внучка",
    Relation.SIBLING: "брат или сестра",
    Relation.OTHER: "родственник",
}


def eligible_measures(
    catalogue: Catalogue,
    *,
    categories: Sequence[BeneficiaryCategory],
    serviceman: Serviceman | None,
    members: Sequence[Member],
    today: date,
) -> list[EligibleMeasure]:
    """Every measure the family or its members are eligible for on ``today``."""
    result: list[EligibleMeasure] = []
    for measure in catalogue.measures:
        rule = measure.rule
        family = family_reasons(rule, categories, serviceman)
        if family is None:
            continue
        if not rule.has_member_conditions:
            result.append(_eligible(measure, None, family))
            continue
        hits = [
            (member, reasons)
            for member in members
            if (reasons := member_reasons(rule, member, today)) is not None
        ]
        if measure.per_member:
            result.extend(_eligible(measure, member, family + reasons) for member, reasons in hits)
        elif hits:
            result.append(_eligible(measure, None, family + [r for _, rs in hits for r in rs]))
    return result


def family_reasons(
    rule: Rule, categories: Sequence[BeneficiaryCategory], serviceman: Serviceman | None
) -> list[str] | None:
    """Reasons the family-level conditions hold, or ``None`` when one of them fails."""
    reasons: list[str] = []
    if rule.category_any is not None:
        matched = [category for category in rule.category_any if category in categories]
        if not matched:
            return None
        reasons.extend(CATEGORY_REASONS[category] for category in matched)
    if rule.serviceman_status_any is not None:
        if serviceman is None or serviceman.status not in rule.serviceman_status_any:
            return None
        status = SERVICEMAN_STATUS_RU[serviceman.status]
        reasons.append(f"военнослужащий {serviceman.full_name} — {status}")
    return reasons


def member_reasons(rule: Rule, member: Member, today: date) -> list[str] | None:
    """Reasons one member satisfies all member-level conditions, or ``None``."""
    facts: list[str] = []
    age = age_on(member.birth_date, today)
    if rule.relation_any is not None:
        if member.relation not in rule.relation_any:
            return None
        facts.append(RELATION_RU[member.relation])
    if rule.age_min is not None or rule.age_max_exclusive is not None:
        if rule.age_min is not None and age < rule.age_min:
            return None
        if rule.age_max_exclusive is not None and age >= rule.age_max_exclusive:
            return None
        facts.append(f"{age} {_years(age)} ({_age_bounds(rule)})")
    if rule.is_pupil:
        if member.school is None:
            return None
        facts.append(f"школьник ({member.school.school}, {member.school.grade} класс)")
    if rule.needs_kindergarten:
        kindergarten = _kindergarten_need(member, age)
        if kindergarten is None:
            return None
        facts.append(kindergarten)
    if rule.employed is False:
        if member.employed is not False:
            return None
        facts.append("не работает")
    if rule.lives_alone:
        if not member.lives_alone:
            return None
        facts.append("живёт один (одна)")
    if rule.pregnant:
        if member.pregnancy is None:
            return None
        facts.append(f"беременность (ПДР {member.pregnancy.expected_date:%d.%m.%Y})")
    if rule.has_disability:
        if member.disability is None:
            return None
        group = member.disability.group
        facts.append("ребёнок-инвалид" if group == "child" else f"инвалидность {group} группы")
    return [f"{member.full_name} — {fact}" for fact in facts]


def _kindergarten_need(member: Member, age: int) -> str | None:
    preschool = member.preschool
    if preschool is not None and preschool.needs_place:
        wanted = preschool.wanted_kindergarten
        return "нужно место в детском саду" + (f" ({wanted})" if wanted else "")
    # A preschool-age child who goes to no kindergarten (and not to school yet) needs a place
    # even when the curator did not tick "needs place": that is what proactive work is for.
    no_kindergarten = preschool is None or preschool.kindergarten is None
    if (
        no_kindergarten
        and member.school is None
        and KINDERGARTEN_MIN_AGE <= age < KINDERGARTEN_MAX_AGE_EXCLUSIVE
    ):
        return "не посещает детский сад"
    return None


def _eligible(measure: Measure, member: Member | None, reasons: list[str]) -> EligibleMeasure:
    return EligibleMeasure(
        code=measure.code,
        title=measure.title,
        agency=measure.agency,
        category=measure.category,
        member_id=None if member is None else member.member_id,
        member_name=None if member is None else member.full_name,
        reasons=reasons,
    )


def _age_bounds(rule: Rule) -> str:
    bounds = []
    if rule.age_min is not None:
        bounds.append(f"не младше {rule.age_min} {_years_genitive(rule.age_min)}")
    if rule.age_max_exclusive is not None:
        limit = rule.age_max_exclusive
        bounds.append(f"младше {limit} {_years_genitive(limit)}")
    return ", ".join(bounds)


def _years(n: int) -> str:
    """«год», «года» or «лет» after a number (nominative)."""
    if n % 10 == 1 and n % 100 != 11:
        return "год"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "года"
    return "лет"


def _years_genitive(n: int) -> str:
    """«года» or «лет» after «младше N» (genitive)."""
    return "года" if n % 10 == 1 and n % 100 != 11 else "лет"
