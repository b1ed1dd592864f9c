from datetime import date
from pathlib import Path
from typing import Any

import pytest
from patronage_contracts import Agency, BeneficiaryCategory, NeedCategory
from patronage_passport.measures import (
    Catalogue,
    CatalogueError,
    EligibleMeasure,
    eligible_measures,
    load_catalogue,
)
from patronage_passport.passports.enums import Relation, ServiceKind, ServicemanStatus
from patronage_passport.passports.models import (
    Disability,
    Member,
    Pregnancy,
    Preschool,
    School,
    Serviceman,
)

pytestmark = pytest.mark.unit

TODAY = date(2025, 3, 15)
SVO = [BeneficiaryCategory.SVO_FAMILY]

EXPECTED_CODES = {
    "school_meals",
    "kindergarten_priority",
    "free_nanny",
    "employment_assistance",
    "social_worker_visits",
    "family_psychologist",
    "rehabilitation_support",
    "maternity_support",
    "social_legal_consultation",
    "large_family_material_aid",
    "missing_or_fallen_family_support",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def born(years_ago: int, month: int = 1, day: int = 10) -> date:
    return date(TODAY.year - years_ago, month, day)


def member(relation: Relation, name: str, birth_date: date, **facts: Any) -> Member:
    return Member(relation=relation, full_name=name, birth_date=birth_date, **facts)


def applicant(**facts: Any) -> Member:
    return member(Relation.APPLICANT, "Иванова Мария Петровна", born(35), **facts)


def serviceman(status: ServicemanStatus = ServicemanStatus.SERVING) -> Serviceman:
    return Serviceman(
        full_name="Иванов Сергей Петрович",
        birth_date=born(37),
        service_kind=ServiceKind.MOBILIZED,
        status=status,
    )


def run(
    catalogue: Catalogue,
    members: list[Member],
    *,
    categories: list[BeneficiaryCategory] | None = None,
    status: ServicemanStatus | None = ServicemanStatus.SERVING,
    today: date = TODAY,
) -> list[EligibleMeasure]:
    return eligible_measures(
        catalogue,
        categories=SVO if categories is None else categories,
        serviceman=None if status is None else serviceman(status),
        members=members,
        today=today,
    )


def only(results: list[EligibleMeasure], code: str) -> list[EligibleMeasure]:
    return [result for result in results if result.code == code]


def codes(results: list[EligibleMeasure]) -> set[str]:
    return {result.code for result in results}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "region.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MEASURE_YAML = """
- code: {code}
  title: Тестовая мера
  category: {category}
  agency: {agency}
  per_member: {per_member}
  rule:
{rule}
  description: Описание тестовой меры.
"""


def measure_yaml(
    code: str = "test_measure",
    *,
    category: str = "material",
    agency: str = "social_protection",
    per_member: bool = False,
    rule: str = "    category_any: [svo_family]",
) -> str:
    return MEASURE_YAML.format(
        code=code,
        category=category,
        agency=agency,
        per_member=str(per_member).lower(),
        rule=rule,
    )


# The packaged catalogue


def test_packaged_catalogue_loads_with_the_regional_measures(catalogue: Catalogue) -> None:
    assert 11 <= len(catalogue) <= 14
    assert {measure.code for measure in catalogue.measures} >= EXPECTED_CODES
    for measure in catalogue.measures:
        assert isinstance(measure.agency, Agency)
        assert isinstance(measure.category, NeedCategory)
        assert any("а" <= ch <= "я" for ch in measure.title.lower())
        assert measure.description.endswith(".")


def test_catalogue_get_returns_the_measure_or_names_the_missing_code(
    catalogue: Catalogue,
) -> None:
    meals = catalogue.get("school_meals")
    assert meals.agency is Agency.EDUCATION
    assert meals.per_member
    assert "school_meals" in catalogue
    with pytest.raises(KeyError, match="no_such_measure"):
        catalogue.get("no_such_measure")


def test_catalogue_is_immutable(catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match="frozen"):
        catalogue.get("school_meals").code = "other"  # type: ignore[misc]


# Education


def test_school_meals_only_for_pupils(catalogue: Catalogue) -> None:
    pupil = member(
        Relation.CHILD,
        "Иванов Пётр Сергеевич",
        born(9),
        school=School(school="школа № 5", grade=3),
    )
    toddler = member(Relation.CHILD, "Иванова Анна Сергеевна", born(3))
    (meals,) = only(run(catalogue, [applicant(), pupil, toddler]), "school_meals")
    assert meals.member_id == pupil.member_id
    assert meals.member_name == "Иванов Пётр Сергеевич"
    assert meals.agency is Agency.EDUCATION
    assert meals.category is NeedCategory.EDUCATION
    assert "семья участника СВО" in meals.reasons
    assert "Иванов Пётр Сергеевич — школьник (школа № 5, 3 класс)" in meals.reasons


def test_school_meals_not_for_a_family_outside_the_categories(catalogue: Catalogue) -> None:
    pupil = member(Relation.CHILD, "Иванов Пётр", born(9), school=School(school="№ 5", grade=3))
    results = run(catalogue, [applicant(), pupil], categories=[BeneficiaryCategory.ELDERLY_PERSON])
    assert not only(results, "school_meals")


def test_kindergarten_for_a_child_of_three_needing_a_place(catalogue: Catalogue) -> None:
    child = member(
        Relation.CHILD,
        "Иванова Анна Сергеевна",
        born(3),
        preschool=Preschool(needs_place=True, wanted_kindergarten="детский сад № 12"),
    )
    (place,) = only(run(catalogue, [applicant(), child]), "kindergarten_priority")
    assert place.member_id == child.member_id
    assert "Иванова Анна Сергеевна — 3 года (младше 7 лет)" in place.reasons
    assert "Иванова Анна Сергеевна — нужно место в детском саду (детский сад № 12)" in (
        place.reasons
    )


def test_kindergarten_for_a_preschooler_without_a_kindergarten(catalogue: Catalogue) -> None:
    child = member(Relation.CHILD, "Иванова Анна", born(4))
    (place,) = only(run(catalogue, [applicant(), child]), "kindergarten_priority")
    assert "Иванова Анна — не посещает детский сад" in place.reasons


@pytest.mark.parametrize(
    ("years", "facts"),
    [
        (8, {}),
        (8, {"school": School(school="школа № 5", grade=2)}),
        (4, {"preschool": Preschool(kindergarten="детский сад № 3")}),
        (0, {}),
    ],
    ids=["eight-years", "pupil", "attends-kindergarten", "baby"],
)
def test_no_kindergarten_measure(catalogue: Catalogue, years: int, facts: dict[str, Any]) -> None:
    child = member(Relation.CHILD, "Иванов Пётр", born(years, month=TODAY.month - 1), **facts)
    assert not only(run(catalogue, [applicant(), child]), "kindergarten_priority")


def test_nanny_is_a_family_measure_naming_the_preschool_children(catalogue: Catalogue) -> None:
    small = member(Relation.CHILD, "Иванова Анна", born(3))
    older = member(Relation.CHILD, "Иванов Пётр", born(9))
    (nanny,) = only(run(catalogue, [applicant(), older, small]), "free_nanny")
    assert nanny.member_id is None
    assert nanny.member_name is None
    assert nanny.category is NeedCategory.CHILDCARE
    assert nanny.reasons[0] == "семья участника СВО"
    assert "Иванова Анна — ребёнок" in nanny.reasons
    assert not any("Иванов Пётр" in reason for reason in nanny.reasons)


def test_no_nanny_without_preschool_children(catalogue: Catalogue) -> None:
    older = member(Relation.CHILD, "Иванов Пётр", born(9))
    assert not only(run(catalogue, [applicant(), older]), "free_nanny")


# Employment


def test_employment_for_an_unemployed_spouse_of_35(catalogue: Catalogue) -> None:
    spouse = member(Relation.SPOUSE, "Иванов Олег Петрович", born(35), employed=False)
    (job,) = only(run(catalogue, [applicant(employed=True), spouse]), "employment_assistance")
    assert job.member_id == spouse.member_id
    assert job.agency is Agency.EMPLOYMENT
    assert "Иванов Олег Петрович — не работает" in job.reasons
    assert "Иванов Олег Петрович — супруг(а)" in job.reasons
    assert "Иванов Олег Петрович — 35 лет (не младше 18 лет, младше 65 лет)" in job.reasons


@pytest.mark.parametrize("employed", [True, None], ids=["employed", "unknown"])
def test_no_employment_measure_unless_explicitly_unemployed(
    catalogue: Catalogue, employed: bool | None
) -> None:
    spouse = member(Relation.SPOUSE, "Иванов Олег", born(35), employed=employed)
    assert not only(run(catalogue, [applicant(), spouse]), "employment_assistance")


def test_no_employment_measure_for_an_unemployed_child(catalogue: Catalogue) -> None:
    teen = member(Relation.CHILD, "Иванов Пётр", born(19), employed=False)
    assert not only(run(catalogue, [applicant(), teen]), "employment_assistance")


# The elderly


def test_social_worker_for_a_grandparent_of_70_living_alone(catalogue: Catalogue) -> None:
    granny = member(Relation.GRANDPARENT, "Петрова Нина Ивановна", born(70), lives_alone=True)
    grandpa = member(Relation.GRANDPARENT, "Петров Иван Ильич", born(72))
    (visits,) = only(run(catalogue, [applicant(), granny, grandpa]), "social_worker_visits")
    assert visits.member_id == granny.member_id
    assert visits.category is NeedCategory.SOCIAL_DOMESTIC
    assert visits.agency is Agency.SOCIAL_PROTECTION
    assert "Петрова Нина Ивановна — живёт один (одна)" in visits.reasons
    assert "Петрова Нина Ивановна — 70 лет (не младше 60 лет)" in visits.reasons


# The serviceman


@pytest.mark.parametrize("status", [ServicemanStatus.WOUNDED, ServicemanStatus.IN_REHABILITATION])
def test_rehabilitation_when_the_serviceman_is_wounded(
    catalogue: Catalogue, status: ServicemanStatus
) -> None:
    (rehab,) = only(run(catalogue, [applicant()], status=status), "rehabilitation_support")
    assert rehab.member_id is None
    assert rehab.agency is Agency.HEALTH
    assert any(
        reason.startswith("военнослужащий Иванов Сергей Петрович") for reason in rehab.reasons
    )


def test_wounded_reason_text(catalogue: Catalogue) -> None:
    (rehab,) = only(
        run(catalogue, [applicant()], status=ServicemanStatus.WOUNDED), "rehabilitation_support"
    )
    assert rehab.reasons == ["военнослужащий Иванов Сергей Петрович — ранен"]


def test_serving_serviceman_gives_no_rehabilitation_or_loss_support(catalogue: Catalogue) -> None:
    found = codes(run(catalogue, [applicant()], status=ServicemanStatus.SERVING))
    assert "rehabilitation_support" not in found
    assert "missing_or_fallen_family_support" not in found


def test_no_serviceman_means_no_serviceman_measures(catalogue: Catalogue) -> None:
    found = codes(run(catalogue, [applicant()], categories=[], status=None))
    assert not found & {"rehabilitation_support", "missing_or_fallen_family_support"}


@pytest.mark.parametrize("status", [ServicemanStatus.MISSING, ServicemanStatus.DECEASED])
def test_help_for_families_of_missing_or_fallen(
    catalogue: Catalogue, status: ServicemanStatus
) -> None:
    (support,) = only(
        run(catalogue, [applicant()], status=status), "missing_or_fallen_family_support"
    )
    assert support.agency is Agency.PSYCHOLOGICAL_HELP


# Family-wide measures


def test_any_svo_family_gets_psychologist_and_legal_consultation(catalogue: Catalogue) -> None:
    results = run(catalogue, [applicant()])
    (psychologist,) = only(results, "family_psychologist")
    (legal,) = only(results, "social_legal_consultation")
    assert psychologist.agency is Agency.PSYCHOLOGICAL_HELP
    assert psychologist.reasons == ["семья участника СВО"]
    assert legal.category is NeedCategory.SOCIAL_LEGAL
    assert legal.agency is Agency.SOCIAL_PROTECTION


def test_family_outside_svo_gets_no_svo_measures(catalogue: Catalogue) -> None:
    found = codes(
        run(catalogue, [applicant()], categories=[BeneficiaryCategory.LARGE_FAMILY], status=None)
    )
    assert "family_psychologist" not in found
    assert "social_legal_consultation" not in found
    assert "large_family_material_aid" in found


def test_material_aid_only_for_large_families(catalogue: Catalogue) -> None:
    assert not only(run(catalogue, [applicant()]), "large_family_material_aid")
    (aid,) = only(
        run(catalogue, [applicant()], categories=[*SVO, BeneficiaryCategory.LARGE_FAMILY]),
        "large_family_material_aid",
    )
    assert aid.reasons == ["многодетная семья"]
    assert aid.category is NeedCategory.MATERIAL


def test_maternity_support_for_the_pregnant_member_only(catalogue: Catalogue) -> None:
    mother = applicant(pregnancy=Pregnancy(expected_date=date(2025, 7, 1)))
    sister = member(Relation.SIBLING, "Иванова Ольга Петровна", born(30))
    (maternity,) = only(
        run(
            catalogue,
            [sister, mother],
            categories=[BeneficiaryCategory.PREGNANT_WOMAN],
            status=None,
        ),
        "maternity_support",
    )
    assert maternity.member_id == mother.member_id
    assert maternity.reasons == ["Иванова Мария Петровна — беременность (ПДР 01.07.2025)"]


def test_disabled_child_rehabilitation(catalogue: Catalogue) -> None:
    child = member(Relation.CHILD, "Иванов Пётр", born(9), disability=Disability(group="child"))
    (rehab,) = only(run(catalogue, [applicant(), child]), "disabled_child_rehabilitation")
    assert "Иванов Пётр — ребёнок-инвалид" in rehab.reasons


# Ages at birthday boundaries


@pytest.mark.parametrize(
    ("today", "eligible"),
    [(date(2025, 3, 14), True), (date(2025, 3, 15), False)],
    ids=["day-before-7th-birthday", "on-7th-birthday"],
)
def test_kindergarten_age_boundary(catalogue: Catalogue, today: date, eligible: bool) -> None:
    child = member(Relation.CHILD, "Иванова Анна", date(2018, 3, 15))
    results = run(catalogue, [applicant(), child], today=today)
    assert bool(only(results, "kindergarten_priority")) is eligible


@pytest.mark.parametrize(
    ("today", "eligible"),
    [(date(2025, 3, 14), False), (date(2025, 3, 15), True)],
    ids=["day-before-60th-birthday", "on-60th-birthday"],
)
def test_elderly_age_boundary(catalogue: Catalogue, today: date, eligible: bool) -> None:
    granny = member(Relation.PARENT, "Петрова Нина", date(1965, 3, 15), lives_alone=True)
    results = run(catalogue, [applicant(), granny], today=today)
    assert bool(only(results, "social_worker_visits")) is eligible


@pytest.mark.parametrize(
    ("today", "eligible"),
    [(date(2025, 3, 14), True), (date(2025, 3, 15), False)],
    ids=["day-before-65th-birthday", "on-65th-birthday"],
)
def test_working_age_upper_boundary(catalogue: Catalogue, today: date, eligible: bool) -> None:
    spouse = member(Relation.SPOUSE, "Иванов Олег", date(1960, 3, 15), employed=False)
    results = run(catalogue, [applicant(), spouse], today=today)
    assert bool(only(results, "employment_assistance")) is eligible


# Order and family shape


def test_results_follow_catalogue_then_member_order(catalogue: Catalogue) -> None:
    first = member(Relation.CHILD, "Иванов Пётр", born(9), school=School(school="№ 5", grade=3))
    second = member(Relation.CHILD, "Иванов Павел", born(12), school=School(school="№ 5", grade=6))
    results = run(catalogue, [applicant(), first, second])
    order = [measure.code for measure in catalogue.measures]
    positions = [order.index(result.code) for result in results]
    assert positions == sorted(positions)
    assert [r.member_id for r in only(results, "school_meals")] == [
        first.member_id,
        second.member_id,
    ]
    assert results == run(catalogue, [applicant(), first, second])


def test_eligibility_does_not_require_an_applicant(catalogue: Catalogue) -> None:
    pupil = member(Relation.CHILD, "Иванов Пётр", born(9), school=School(school="№ 5", grade=3))
    assert only(run(catalogue, [pupil]), "school_meals")


# Region override files and errors


def test_override_file_replaces_the_catalogue(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        measure_yaml("regional_bonus", per_member=True, rule="    is_pupil: true")
        + measure_yaml("regional_help"),
    )
    catalogue = load_catalogue(path)
    assert [measure.code for measure in catalogue.measures] == ["regional_bonus", "regional_help"]
    pupil = member(Relation.CHILD, "Иванов Пётр", born(9), school=School(school="№ 5", grade=3))
    results = eligible_measures(
        catalogue, categories=[], serviceman=None, members=[pupil], today=TODAY
    )
    assert [(r.code, r.member_id) for r in results] == [("regional_bonus", pupil.member_id)]


def test_unknown_rule_key_names_the_measure_and_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, measure_yaml("bad_rule", rule="    is_student: true"))
    with pytest.raises(CatalogueError, match=r"«bad_rule».*rule\.is_student: неизвестный ключ"):
        load_catalogue(path)


def test_unknown_agency_names_the_measure_and_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, measure_yaml("bad_agency", agency="police"))
    with pytest.raises(
        CatalogueError, match=r"«bad_agency».*agency: недопустимое значение 'police'"
    ):
        load_catalogue(path)


def test_unknown_measure_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, measure_yaml("extra") + "  priority: 1\n")
    with pytest.raises(CatalogueError, match=r"«extra».*priority: неизвестный ключ"):
        load_catalogue(path)


def test_duplicate_codes_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, measure_yaml("twice") + measure_yaml("twice"))
    with pytest.raises(CatalogueError, match="«twice» повторяется"):
        load_catalogue(path)


@pytest.mark.parametrize(
    ("rule", "per_member", "message"),
    [
        ("    {}", False, "правило пустое"),
        ("    category_any: [svo_family]", True, "условия о члене семьи"),
        ("    age_min: 10\n    age_max_exclusive: 5", True, "age_min должен быть меньше"),
        ("    employed: true", True, r"rule\.employed"),
        ("    category_any: []", False, r"rule\.category_any"),
    ],
    ids=["empty", "per-member-without-member-condition", "ages", "employed-true", "empty-list"],
)
def test_invalid_rules_are_refused(
    tmp_path: Path, rule: str, per_member: bool, message: str
) -> None:
    path = write(tmp_path, measure_yaml("bad", rule=rule, per_member=per_member))
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(path)


@pytest.mark.parametrize("text", ["", "code: lonely", "- just a string", "- [unclosed"], ids=str)
def test_malformed_files_are_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(CatalogueError, match="каталог мер"):
        load_catalogue(write(tmp_path, text))


def test_missing_override_file_is_a_catalogue_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="не удалось прочитать"):
        load_catalogue(tmp_path / "absent.yaml")


def test_bad_code_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="code"):
        load_catalogue(write(tmp_path, measure_yaml("Bad-Code")))
