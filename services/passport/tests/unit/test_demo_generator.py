import json
from collections import Counter
from datetime import date, timedelta

import httpx
import pytest
from patronage_contracts import BeneficiaryCategory, NeedCategory
from patronage_passport.demo import LIPETSK_OBLAST, curators, generate_families
from patronage_passport.demo.load import ACTOR, load_families
from patronage_passport.demo.names import patronymic, surname
from patronage_passport.passports.enums import Relation
from patronage_passport.passports.models import Member, PassportCreate
from patronage_passport.passports.validation import age_on, check_passport

pytestmark = pytest.mark.unit

COUNT = 3000
TODAY = date.today()
# Needs that are about one member.
PER_MEMBER = {
    NeedCategory.CHILDCARE,
    NeedCategory.EDUCATION,
    NeedCategory.SOCIAL_DOMESTIC,
    NeedCategory.EMPLOYMENT,
}


@pytest.fixture(scope="module")
def families() -> list[PassportCreate]:
    return list(generate_families(COUNT, seed=7, today=TODAY))


def _age(member: Member) -> int:
    return age_on(member.birth_date, TODAY)


def _female(full_name: str) -> bool:
    return full_name.split()[2].endswith("на")


def _male_surname(full_name: str) -> str:
    last = full_name.split()[0]
    if not _female(full_name):
        return last
    if last.endswith("ая"):
        return last[:-2] + ("ой" if last in ("Толстая", "Луговая") else "ий")
    if last.endswith(("ова", "ева", "ёва", "ина", "ына")):
        return last[:-1]
    return last


def test_the_same_seed_gives_the_same_families() -> None:
    first = [f.model_dump(mode="json") for f in generate_families(200, seed=3, today=TODAY)]
    again = [f.model_dump(mode="json") for f in generate_families(200, seed=3, today=TODAY)]
    other = [f.model_dump(mode="json") for f in generate_families(200, seed=4, today=TODAY)]
    assert first == again
    assert first != other


def test_a_bigger_set_starts_with_the_same_people() -> None:
    def people(count: int) -> list[object]:
        families = generate_families(count, seed=3, today=TODAY)
        # Curators differ: the roster grows with the number of families.
        return [
            f.model_dump(exclude={"curator_id": True, "consent": {"recorded_by"}}) for f in families
        ]

    assert people(300)[:50] == people(50)


def test_every_family_passes_the_api_model_and_the_cross_checks(
    families: list[PassportCreate],
) -> None:
    for family in families:
        # What the loader sends must validate again on the server side.
        again = PassportCreate.model_validate(json.loads(family.model_dump_json()))
        problems = check_passport(
            categories=again.categories,
            serviceman=again.serviceman,
            members=again.members,
            today=TODAY,
        )
        assert problems == [], (problems, family.model_dump(mode="json"))


def test_categories_follow_the_regional_shares(families: list[PassportCreate]) -> None:
    primary = Counter(f.categories[0] for f in families)
    expected = {
        BeneficiaryCategory.SVO_FAMILY: 0.70,
        BeneficiaryCategory.PREGNANT_WOMAN: 0.10,
        BeneficiaryCategory.LARGE_FAMILY: 0.12,
        BeneficiaryCategory.ELDERLY_PERSON: 0.08,
    }
    for category, share in expected.items():
        assert abs(primary[category] / COUNT - share) < 0.04, (category, primary)
    several = sum(1 for f in families if len(f.categories) > 1) / COUNT
    assert 0.03 < several < 0.35


def test_phones_and_people_are_unique_across_the_set(families: list[PassportCreate]) -> None:
    phones = [phone for f in families for phone in f.contacts.phones]
    assert len(phones) == len(set(phones))
    assert all(p.startswith("+79") and len(p) == 12 for p in phones)
    people = [(m.full_name, m.birth_date) for f in families for m in f.members]
    people += [(f.serviceman.full_name, f.serviceman.birth_date) for f in families if f.serviceman]
    keys = {(name.lower().replace("ё", "е"), born) for name, born in people}
    assert len(keys) == len(people)
    snils = [m.snils for f in families for m in f.members if m.snils]
    assert len(snils) == len(set(snils))


def test_large_families_have_three_minors(families: list[PassportCreate]) -> None:
    large = [f for f in families if BeneficiaryCategory.LARGE_FAMILY in f.categories]
    assert large
    for family in large:
        assert sum(1 for m in family.members if _age(m) < 18) >= 3


def test_category_facts(families: list[PassportCreate]) -> None:
    for family in families:
        if BeneficiaryCategory.PREGNANT_WOMAN in family.categories:
            (pregnant,) = [m for m in family.members if m.pregnancy]
            assert pregnant.pregnancy is not None
            assert TODAY < pregnant.pregnancy.expected_date <= TODAY + timedelta(days=275)
            assert _female(pregnant.full_name)
            assert 18 <= _age(pregnant) <= 45
        if BeneficiaryCategory.ELDERLY_PERSON in family.categories:
            assert any(_age(m) >= 60 for m in family.members)
        assert (family.serviceman is not None) == (
            BeneficiaryCategory.SVO_FAMILY in family.categories
        )


def test_names_agree_in_gender_and_children_carry_the_fathers_name(
    families: list[PassportCreate],
) -> None:
    for family in families:
        people = [m.full_name for m in family.members]
        if family.serviceman:
            people.append(family.serviceman.full_name)
        for name in people:
            last, _, middle = name.split()
            female = _female(name)
            assert middle.endswith(("вна", "чна")) if female else middle.endswith("ич")
            assert surname(_male_surname(name), female=female) == last
        by_relation = {m.relation: m for m in family.members}
        spouse, applicant = by_relation.get(Relation.SPOUSE), by_relation[Relation.APPLICANT]
        if spouse is not None:
            assert _male_surname(spouse.full_name) == _male_surname(applicant.full_name)
        father = None
        if spouse is not None and not _female(spouse.full_name):
            father = spouse.full_name.split()[1]
        elif not _female(applicant.full_name):
            father = applicant.full_name.split()[1]
        elif family.serviceman is not None:
            father = family.serviceman.full_name.split()[1]
        children = [m for m in family.members if m.relation is Relation.CHILD]
        if father is None or not children:
            continue
        fathers = {patronymic(father, female=False)}
        if family.serviceman is not None:
            # A serviceman's young siblings share his patronymic.
            fathers.add(family.serviceman.full_name.split()[2])
        for child in children:
            middle = child.full_name.split()[2]
            assert patronymic_root(middle) in {patronymic_root(p) for p in fathers}, family


def patronymic_root(middle: str) -> str:
    for ending in ("инична", "ична", "евна", "овна", "евич", "ович", "ич"):
        if middle.endswith(ending):
            return middle[: -len(ending)]
    return middle


def test_children_study_where_their_age_says(families: list[PassportCreate]) -> None:
    pupils = preschoolers = 0
    for family in families:
        for member in family.members:
            age = _age(member)
            if member.school is not None:
                pupils += 1
                assert 7 <= age <= 17
                assert member.school.grade == age - 6
            if member.preschool is not None:
                preschoolers += 1
                assert 1 <= age <= 6
            if member.relation is Relation.CHILD:
                assert member.employed is None
    assert pupils > COUNT / 2
    assert preschoolers > COUNT / 10


def test_serviceman_history_runs_forward_to_the_current_status(
    families: list[PassportCreate],
) -> None:
    statuses: Counter[str] = Counter()
    for family in families:
        serviceman = family.serviceman
        if serviceman is None:
            continue
        history = serviceman.status_history
        assert history[0].status == "serving"
        assert [e.since for e in history] == sorted(e.since for e in history)
        assert (serviceman.status, serviceman.status_since) == (
            history[-1].status,
            history[-1].since,
        )
        assert 18 <= age_on(serviceman.birth_date, TODAY) <= 60
        lost = [e.since for e in history if e.status in ("missing", "deceased")]
        if lost:
            # Children are born at most nine months after the father went missing or died.
            children = [m for m in family.members if m.relation is Relation.CHILD]
            assert all(c.birth_date <= lost[0] + timedelta(days=270) for c in children)
            assert not any(m.pregnancy for m in family.members)
        statuses[serviceman.status] += 1
    svo = sum(statuses.values())
    assert statuses["serving"] / svo > 0.6
    assert {"wounded", "in_rehabilitation", "returned", "missing", "deceased"} <= set(statuses)


def test_needs_follow_the_facts(families: list[PassportCreate]) -> None:
    counts = Counter(len(f.needs) for f in families)
    assert set(counts) == {0, 1, 2, 3}
    for family in families:
        members = {m.member_id: m for m in family.members}
        categories = [n.category for n in family.needs]
        assert len(categories) == len(set(categories))
        for need in family.needs:
            if need.category is NeedCategory.PSYCHOLOGICAL:
                assert family.serviceman is not None
            if need.category not in PER_MEMBER:
                continue
            assert need.member_id is not None
            member = members[need.member_id]
            age = _age(member)
            if need.category is NeedCategory.CHILDCARE:
                assert 1 <= age <= 6
            elif need.category is NeedCategory.EDUCATION:
                assert member.school is not None
            elif need.category is NeedCategory.SOCIAL_DOMESTIC:
                assert member.lives_alone
                assert age >= 60
            else:
                assert member.employed is False
                assert 18 <= age < 60


def test_address_curator_and_consent_belong_to_the_district(
    families: list[PassportCreate],
) -> None:
    roster = curators(LIPETSK_OBLAST, COUNT)
    districts = Counter(f.address.district for f in families)
    assert districts.most_common(1)[0][0] == "lipetsk-city"
    for family in families:
        district = LIPETSK_OBLAST.district(family.address.district)
        assert family.address.hq == f"hq-{district.code}"
        assert family.address.locality in {loc.name for loc in district.localities}
        assert family.curator_id in {c.curator_id for c in roster[district.code]}
        assert family.consent.given_on < TODAY
        assert family.consent.recorded_by == family.curator_id
        assert {"personal_data", "contact", "share_with_agencies"} <= set(family.consent.scope)
        if any(m.pregnancy or m.disability for m in family.members):
            assert "health_data" in family.consent.scope


def test_curators_carry_30_to_60_families_at_100k() -> None:
    count = 100_000
    roster = curators(LIPETSK_OBLAST, count)
    total = sum(d.population for d in LIPETSK_OBLAST.districts)
    for district in LIPETSK_OBLAST.districts:
        per_curator = count * district.population / total / len(roster[district.code])
        assert 30 <= per_curator <= 60, district.code
        ids = [c.curator_id for c in roster[district.code]]
        assert ids[0] == f"cur-{district.code}-1"
        assert len(set(ids)) == len(ids)
    assert curators(LIPETSK_OBLAST, 40)["lipetsk-city"][0].curator_id == "cur-lipetsk-city-1"


@pytest.mark.parametrize(
    ("father", "male", "female"),
    [
        ("Сергей", "Сергеевич", "Сергеевна"),
        ("Николай", "Николаевич", "Николаевна"),
        ("Юрий", "Юрьевич", "Юрьевна"),
        ("Дмитрий", "Дмитриевич", "Дмитриевна"),
        ("Илья", "Ильич", "Ильинична"),
        ("Никита", "Никитич", "Никитична"),
        ("Пётр", "Петрович", "Петровна"),
        ("Павел", "Павлович", "Павловна"),
        ("Игорь", "Игоревич", "Игоревна"),
        ("Иван", "Иванович", "Ивановна"),
    ],
)
def test_patronymics(father: str, male: str, female: str) -> None:
    assert patronymic(father, female=False) == male
    assert patronymic(father, female=True) == female


@pytest.mark.parametrize(
    ("male", "female"),
    [
        ("Иванов", "Иванова"),
        ("Соловьёв", "Соловьёва"),
        ("Ильин", "Ильина"),
        ("Высоцкий", "Высоцкая"),
        ("Толстой", "Толстая"),
        ("Черных", "Черных"),
        ("Шевченко", "Шевченко"),
    ],
)
def test_surnames_agree_with_gender(male: str, female: str) -> None:
    assert surname(male, female=True) == female
    assert surname(male, female=False) == male


def test_a_day_in_the_future_is_refused() -> None:
    with pytest.raises(ValueError, match="today"):
        next(generate_families(1, today=TODAY + timedelta(days=1)))


async def test_loader_counts_created_refused_and_failed_without_a_server() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        number = len(seen)
        if number == 3:
            return httpx.Response(409, json={"detail": "дубликат"})
        if number == 5:
            return httpx.Response(503, text="unavailable")
        if number == 7:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"family_id": "x"})

    report = await load_families(
        "http://passport.test/",
        12,
        seed=5,
        concurrency=4,
        progress=False,
        transport=httpx.MockTransport(answer),
    )
    assert (report.created, report.refused, report.failed) == (9, 1, 2)
    assert not report.ok
    assert report.statuses == Counter({201: 9, 409: 1, 503: 1})
    assert all(r.url == "http://passport.test/passports" for r in seen)
    assert all(r.headers["X-Actor"] == ACTOR for r in seen)
    posted = [PassportCreate.model_validate_json(r.content) for r in seen]
    expected = [f.model_dump(mode="json") for f in generate_families(12, seed=5)]
    assert sorted(json.dumps(p.model_dump(mode="json"), sort_keys=True) for p in posted) == sorted(
        json.dumps(e, sort_keys=True) for e in expected
    )
    assert "failed: 2" in report.summary()
