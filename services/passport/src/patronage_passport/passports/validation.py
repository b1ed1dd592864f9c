"""Checks across a passport's sections, with messages for people (in Russian).

Each problem names the field it is about, so the UI can show it next to that field.
"""

from dataclasses import dataclass
from datetime import date

from patronage_contracts import BeneficiaryCategory

from .enums import Relation
from .models import Member, Serviceman

Loc = tuple[str | int, ...]

ELDERLY_AGE = 60
LARGE_FAMILY_CHILDREN = 3
ADULT_AGE = 18

_OLDER_THAN_APPLICANT = {Relation.PARENT, Relation.GRANDPARENT}
_YOUNGER_THAN_APPLICANT = {Relation.CHILD, Relation.GRANDCHILD}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a passport."""

    loc: Loc
    message: str


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_members(members: list[Member]) -> list[Problem]:
    """One applicant; children younger and parents older than the applicant and spouse."""
    problems: list[Problem] = []
    applicants = [i for i, m in enumerate(members) if m.relation is Relation.APPLICANT]
    if len(applicants) != 1:
        problems.append(
            Problem(("members",), "в семье должен быть ровно один заявитель (relation=applicant)")
        )
        return problems
    applicant = members[applicants[0]]
    adults = [applicant] + [m for m in members if m.relation is Relation.SPOUSE]
    ids = [m.member_id for m in members]
    if len(set(ids)) != len(ids):
        problems.append(Problem(("members",), "у членов семьи повторяются идентификаторы"))
    for i, member in enumerate(members):
        if member.relation in _YOUNGER_THAN_APPLICANT:
            older = [a for a in adults if a.birth_date >= member.birth_date]
            if older:
                problems.append(
                    Problem(
                        ("members", i, "birth_date"),
                        f"ребёнок должен быть младше родителя ({older[0].full_name})",
                    )
                )
        if member.relation in _OLDER_THAN_APPLICANT and member.birth_date >= applicant.birth_date:
            problems.append(
                Problem(("members", i, "birth_date"), "родитель должен быть старше заявителя")
            )
        if member.pregnancy is not None and member.pregnancy.expected_date < date.today():
            problems.append(
                Problem(
                    ("members", i, "pregnancy", "expected_date"),
                    "предполагаемая дата родов уже прошла",
                )
            )
    return problems


def check_categories(
    categories: list[BeneficiaryCategory],
    serviceman: Serviceman | None,
    members: list[Member],
    today: date,
) -> list[Problem]:
    """Each category must be backed by the facts in the passport."""
    problems: list[Problem] = []
    if BeneficiaryCategory.SVO_FAMILY in categories and serviceman is None:
        problems.append(
            Problem(("serviceman",), "для семьи участника СВО нужны сведения о военнослужащем")
        )
    if BeneficiaryCategory.PREGNANT_WOMAN in categories and not any(m.pregnancy for m in members):
        problems.append(
            Problem(("categories",), "категория «беременная женщина»: укажите беременность")
        )
    children = [m for m in members if age_on(m.birth_date, today) < ADULT_AGE]
    if BeneficiaryCategory.LARGE_FAMILY in categories and len(children) < LARGE_FAMILY_CHILDREN:
        problems.append(
            Problem(
                ("categories",), "многодетная семья: нужно не менее трёх несовершеннолетних детей"
            )
        )
    if BeneficiaryCategory.ELDERLY_PERSON in categories and not any(
        age_on(m.birth_date, today) >= ELDERLY_AGE for m in members
    ):
        problems.append(
            Problem(
                ("categories",),
                f"категория «пожилой человек»: нет члена семьи старше {ELDERLY_AGE} лет",
            )
        )
    return problems


def check_serviceman(serviceman: Serviceman | None) -> list[Problem]:
    """Dates of the serviceman's status history run forward."""
    if serviceman is None:
        return []
    dates = [entry.since for entry in serviceman.status_history]
    if dates != sorted(dates):
        return [Problem(("serviceman", "status_history"), "история статусов должна идти по датам")]
    return []


def check_passport(
    *,
    categories: list[BeneficiaryCategory],
    serviceman: Serviceman | None,
    members: list[Member],
    today: date,
) -> list[Problem]:
    """Every cross-section problem of a passport (empty when it may be stored)."""
    return (
        check_members(members)
        + check_categories(categories, serviceman, members, today)
        + check_serviceman(serviceman)
    )
