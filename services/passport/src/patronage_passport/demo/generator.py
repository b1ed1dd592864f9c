"""Deterministic generator of realistic families of a region, as passport-creation payloads."""

from __future__ import annotations

import bisect
import itertools
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from patronage_contracts import BeneficiaryCategory, NeedCategory

from ..passports.enums import (
    ConsentScope,
    Relation,
    ServiceKind,
    ServicemanStatus,
)
from ..passports.models import PassportCreate
from ..passports.snils import snils_checksum
from ..passports.validation import ADULT_AGE, ELDERLY_AGE, age_on
from .names import NamePicker, patronymic, surname
from .region import LIPETSK_OBLAST, Curator, District, Locality, Region, curators

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

Category = BeneficiaryCategory
Need = NeedCategory
Status = ServicemanStatus
T = TypeVar("T")


class _Random(random.Random):
    """``random.Random`` with float-based integer draws: cheaper, and exact enough for demo data."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        return seq[int(self.random() * len(seq))]


class _Draw(Generic[T]):
    """A weighted choice among fixed options."""

    def __init__(self, *options: tuple[T, float]) -> None:
        self._values = tuple(value for value, _ in options)
        self._cum = tuple(itertools.accumulate(weight for _, weight in options))

    def pick(self, rng: random.Random) -> T:
        return self._values[bisect.bisect(self._cum, rng.random() * self._cum[-1])]


# Shares of the primary category; facts may add a second one.
_PRIMARY = _Draw(
    (Category.SVO_FAMILY, 70),
    (Category.PREGNANT_WOMAN, 10),
    (Category.LARGE_FAMILY, 12),
    (Category.ELDERLY_PERSON, 8),
)
_SERVICE_KINDS = _Draw(
    (ServiceKind.MOBILIZED, 45), (ServiceKind.CONTRACT, 45), (ServiceKind.VOLUNTEER, 10)
)
_SERVICE_AGES = {
    ServiceKind.MOBILIZED: (22, 50),
    ServiceKind.CONTRACT: (21, 52),
    ServiceKind.VOLUNTEER: (21, 58),
}
_STATUSES = _Draw(
    (Status.SERVING, 70),
    (Status.WOUNDED, 8),
    (Status.IN_REHABILITATION, 7),
    (Status.RETURNED, 10),
    (Status.MISSING, 3),
    (Status.DECEASED, 2),
)
_LOST = (Status.MISSING, Status.DECEASED)
_SVO_START = date(2022, 2, 24)
_MOBILIZATION = (date(2022, 9, 21), date(2022, 12, 15))
_STATUS_NOTES: dict[Status, tuple[str | None, ...]] = {
    Status.WOUNDED: ("Осколочное ранение", "Минно-взрывная травма", "Контузия", None),
    Status.IN_REHABILITATION: ("Госпиталь", "Реабилитационный центр", None),
    Status.RETURNED: ("Демобилизован", "Уволен по ранению", None),
    Status.MISSING: ("Нет связи с подразделением", None),
}
# Mobile prefixes of the operators that serve the region (MTS, Beeline, MegaFon, Tele2).
_PHONE_PREFIXES = (
    "910", "915", "919", "980", "903", "905", "906", "909", "960", "961", "962", "920",
    "950", "951", "952", "953", "900", "904", "908", "991", "999",
)  # fmt: skip
_EMAIL_DOMAINS = ("mail.ru", "yandex.ru", "bk.ru", "list.ru", "inbox.ru", "rambler.ru")
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya", "-": "", " ": "",
    }
)  # fmt: skip
_SVO_CHILDREN = _Draw((0, 14), (1, 34), (2, 34), (3, 13), (4, 5))
_SIBLINGS = _Draw((0, 60), (1, 30), (2, 10))
_PREGNANT_CHILDREN = _Draw((0, 45), (1, 38), (2, 17))
_LARGE_MINORS = _Draw((3, 55), (4, 28), (5, 12), (6, 5))
_ELDERLY_DISABILITY = _Draw(("1", 1), ("2", 3), ("3", 4))
_NEED_COUNT = _Draw((0, 15), (1, 35), (2, 32), (3, 18))
_SIBLING_GAP = timedelta(days=300)
_ATTEMPTS = 60

_NOTES: dict[str, tuple[str, ...]] = {
    "psychological": (
        "Консультация психолога для супруги",
        "Психологическая поддержка детей: тревожность, нарушения сна",
        "Группа поддержки для семей участников СВО",
    ),
    "psychological_loss": (
        "Психологическая помощь семье в связи с гибелью военнослужащего",
        "Сопровождение психолога: неизвестность о судьбе мужа",
    ),
    "svo_material": (
        "Единовременная выплата семье участника СВО",
        "Компенсация оплаты ЖКУ",
        "Помощь в оформлении региональной выплаты",
    ),
    "svo_legal": (
        "Консультация юриста по выплатам и льготам",
        "Оформление удостоверения члена семьи участника СВО",
    ),
    "svo_legal_loss": (
        "Оформление пенсии по потере кормильца",
        "Запрос в военный комиссариат о судьбе военнослужащего",
        "Оформление страховых выплат",
    ),
    "wound": (
        "Лекарственное обеспечение после ранения",
        "Санаторно-курортное лечение после госпиталя",
        "Протезирование и реабилитация",
    ),
    "housing": (
        "Ремонт крыши частного дома",
        "Замена газового котла",
        "Ремонт печного отопления",
    ),
    "school": (
        "Бесплатное горячее питание в школе",
        "Бесплатная спортивная секция или кружок",
        "Путёвка в летний лагерь",
    ),
    "exam": ("Подготовка к экзаменам: бесплатный репетитор",),
    "nanny": ("Бесплатная няня на время работы матери", "Группа кратковременного пребывания"),
    "domestic": (
        "Социальный работник: продукты и лекарства на дом",
        "Заготовка дров и уборка снега",
        "Помощь по дому: уборка, огород",
    ),
    "employment": (
        "Подбор работы через центр занятости",
        "Переобучение на курсах (бухгалтерия, 1С)",
        "Работа с гибким графиком рядом с домом",
    ),
    "pregnancy_health": (
        "Наблюдение в женской консультации",
        "Обследование в перинатальном центре",
    ),
    "baby_material": (
        "Единовременное пособие при рождении ребёнка",
        "Набор для новорождённого",
    ),
    "large_material": (
        "Оформление единого пособия на детей",
        "Компенсация оплаты ЖКУ многодетной семье",
        "Бесплатная школьная форма",
    ),
    "large_housing": (
        "Земельный участок многодетной семье",
        "Улучшение жилищных условий",
    ),
    "elderly_health": (
        "Запись к кардиологу",
        "Слуховой аппарат",
        "Доставка лекарств на дом",
    ),
    "elderly_legal": ("Консультация по пенсии и льготам",),
}


@dataclass(slots=True)
class _Person:
    relation: Relation
    full_name: str
    first_name: str
    birth_date: date
    member_id: uuid.UUID
    female: bool
    snils: str | None = None
    school: tuple[str, int] | None = None
    kindergarten: str | None = None
    wanted_kindergarten: str | None = None
    needs_place: bool = False
    disability: str | None = None
    expected_date: date | None = None
    employed: bool | None = None
    lives_alone: bool = False

    def as_member(self) -> dict[str, Any]:
        member: dict[str, Any] = {
            "member_id": self.member_id,
            "relation": self.relation,
            "full_name": self.full_name,
            "birth_date": self.birth_date,
            "snils": self.snils,
            "employed": self.employed,
            "lives_alone": self.lives_alone,
        }
        if self.school is not None:
            member["school"] = {"school": self.school[0], "grade": self.school[1]}
        if self.kindergarten is not None or self.needs_place:
            member["preschool"] = {
                "kindergarten": self.kindergarten,
                "wanted_kindergarten": self.wanted_kindergarten,
                "needs_place": self.needs_place,
            }
        if self.disability is not None:
            member["disability"] = {"group": self.disability}
        if self.expected_date is not None:
            member["pregnancy"] = {"expected_date": self.expected_date}
        return member


@dataclass(slots=True)
class _Family:
    primary: BeneficiaryCategory
    district: District
    locality: Locality
    members: list[_Person] = field(default_factory=list)
    serviceman: dict[str, Any] | None = None
    status: Status | None = None
    service_start: date | None = None
    last_seen: date | None = None


def generate_families(
    count: int, *, seed: int = 1, today: date | None = None, region: Region = LIPETSK_OBLAST
) -> Iterator[PassportCreate]:
    """Valid, distinct families of ``region``; the same ones for the same ``seed`` and ``today``."""
    real_today = date.today()
    if today is not None and today > real_today:
        raise ValueError("today must not be later than the real date: past dates are checked")
    factory = _Factory(region, count, seed, today or real_today)
    for _ in range(count):
        yield PassportCreate.model_validate(factory.family())


class _Factory:
    """Builds families one by one, remembering people, phones and SNILS already used."""

    def __init__(self, region: Region, count: int, seed: int, today: date) -> None:
        self.rng = _Random(seed)
        self.today = today
        self.names = NamePicker()
        self.region = region
        self.districts = _Draw(*((d, d.population) for d in region.districts))
        self.localities = {
            d.code: _Draw(*((loc, loc.weight) for loc in d.localities)) for d in region.districts
        }
        # Cycling through a shuffled roster keeps curators' caseloads even. The roster grows
        # with ``count``, so it has its own generator: the first families of a bigger set stay
        # the same people (a second run with the same seed is refused as duplicates).
        roster_rng = random.Random(f"roster-{seed}")  # noqa: S311
        self.curator_cycles: dict[str, Iterator[Curator]] = {}
        for code, roster in curators(region, count).items():
            order = list(roster)
            roster_rng.shuffle(order)
            self.curator_cycles[code] = itertools.cycle(order)
        self.people: set[tuple[str, date]] = set()
        self.phones: set[str] = set()
        self.snils: set[str] = set()

    # --- one family -------------------------------------------------------------------------

    def family(self) -> dict[str, Any]:
        rng = self.rng
        district = self.districts.pick(rng)
        locality = self.localities[district.code].pick(rng)
        primary = _PRIMARY.pick(rng)
        family = _Family(primary=primary, district=district, locality=locality)
        family_surname = self.names.surname(rng)
        if primary is Category.SVO_FAMILY:
            self._svo_family(family, family_surname)
        elif primary is Category.PREGNANT_WOMAN:
            self._pregnant_family(family, family_surname)
        elif primary is Category.LARGE_FAMILY:
            self._large_family(family, family_surname)
        else:
            self._elderly_family(family, family_surname)
        for person in family.members:
            if rng.random() < 0.4:
                person.snils = self._snils()
        curator = next(self.curator_cycles[district.code])
        needs = self._needs(family)
        return {
            "categories": self._categories(family),
            "serviceman": family.serviceman,
            "members": [p.as_member() for p in family.members],
            "contacts": self._contacts(family),
            "address": self._address(family),
            "consent": self._consent(family, curator, needs),
            "curator_id": curator.curator_id,
            "needs": needs,
        }

    def _svo_family(self, family: _Family, family_surname: str) -> None:
        rng = self.rng
        kind = _SERVICE_KINDS.pick(rng)
        if rng.random() < 0.8:
            low, high = _SERVICE_AGES[kind]
            man_birth, man_name, man_father = self._serviceman(
                family, family_surname, kind, low, high
            )
            wife = self._adult(
                Relation.APPLICANT,
                family_surname,
                female=True,
                window=(
                    _shift(man_birth, -3),
                    min(_shift(man_birth, 8), _shift(self.today, -19)),
                ),
                employed=0.7,
            )
            family.members.append(wife)
            young = age_on(wife.birth_date, self.today) <= 42
            if young and family.last_seen is None and rng.random() < 0.05:
                wife.expected_date = self._expected_date()
            count = _SVO_CHILDREN.pick(rng)
            # No child is born later than nine months after the father went missing or died.
            born_by = family.last_seen + timedelta(days=270) if family.last_seen else None
            children = self._children(
                family, family_surname, man_name, [man_birth, wife.birth_date], count, born_by
            )
            family.members.extend(children)
            family.members.extend(self._elderly_parents(family_surname, man_birth, man_father))
        else:
            low, high = _SERVICE_AGES[kind]
            man_birth, _, man_father = self._serviceman(family, family_surname, kind, low, 35)
            mother = self._adult(
                Relation.APPLICANT,
                family_surname,
                female=True,
                window=(_shift(man_birth, -40), _shift(man_birth, -19)),
                employed=0.7,
            )
            family.members.append(mother)
            parents = [mother.birth_date]
            father_window = (
                max(_shift(mother.birth_date, -6), _shift(man_birth, -45)),
                min(_shift(mother.birth_date, 3), _shift(man_birth, -20)),
            )
            if rng.random() < 0.6 and father_window[0] <= father_window[1]:
                father = self._adult(
                    Relation.SPOUSE,
                    family_surname,
                    female=False,
                    window=father_window,
                    employed=0.85,
                    first_name=man_father,
                )
                family.members.append(father)
                parents.append(father.birth_date)
            count = _SIBLINGS.pick(rng)
            family.members.extend(
                self._children(family, family_surname, man_father, parents, count, minors=True)
            )

    def _serviceman(
        self, family: _Family, family_surname: str, kind: ServiceKind, low: int, high: int
    ) -> tuple[date, str, str]:
        """Fill the serviceman section; return his birth date, first name and father's name."""
        rng = self.rng
        window = _age_window(self.today, low, high)
        birth = _between(rng, *window)
        father = self.names.first_name(rng, birth.year - 28, female=False)
        first, full_name, birth = self._unique(family_surname, father, False, window, birth=birth)
        start = self._service_start(kind)
        status = _STATUSES.pick(rng)
        path = _status_path(rng, status)
        dates = _spaced_dates(
            rng, start + timedelta(days=30), self.today - timedelta(days=1), len(path) - 1, 14
        )
        if len(dates) != len(path) - 1:
            path, dates = [Status.SERVING], []
        since = [start, *dates]
        history = [
            {
                "status": entry,
                "since": day,
                "note": rng.choice(_STATUS_NOTES.get(entry, (None,))),
            }
            for entry, day in zip(path, since, strict=True)
        ]
        family.status = path[-1]
        family.service_start = start
        lost = [d for st, d in zip(path, since, strict=True) if st in _LOST]
        family.last_seen = lost[0] if lost else None
        family.serviceman = {
            "full_name": full_name,
            "birth_date": birth,
            "service_kind": kind,
            "status": path[-1],
            "status_since": since[-1],
            "status_history": history,
        }
        return birth, first, father

    def _service_start(self, kind: ServiceKind) -> date:
        latest = self.today - timedelta(days=60)
        if kind is ServiceKind.MOBILIZED:
            low, high = _MOBILIZATION
        else:
            low, high = _SVO_START, latest
        high = min(high, latest)
        low = min(low, high)
        return _between(self.rng, low, high)

    def _pregnant_family(self, family: _Family, family_surname: str) -> None:
        rng = self.rng
        woman = self._adult(
            Relation.APPLICANT,
            family_surname,
            female=True,
            window=_age_window(self.today, 18, 42),
            employed=0.65,
        )
        woman.expected_date = self._expected_date()
        family.members.append(woman)
        parents = [woman.birth_date]
        husband_name = self.names.first_name(rng, woman.birth_date.year - 2, female=False)
        if rng.random() < 0.75:
            husband = self._adult(
                Relation.SPOUSE,
                family_surname,
                female=False,
                window=(
                    _shift(woman.birth_date, -10),
                    min(_shift(woman.birth_date, 3), _shift(self.today, -18)),
                ),
                employed=0.88,
            )
            family.members.append(husband)
            parents.append(husband.birth_date)
            husband_name = husband.first_name
        count = _PREGNANT_CHILDREN.pick(rng)
        family.members.extend(self._children(family, family_surname, husband_name, parents, count))

    def _large_family(self, family: _Family, family_surname: str) -> None:
        rng = self.rng
        mother = self._adult(
            Relation.APPLICANT,
            family_surname,
            female=True,
            window=_age_window(self.today, 25, 44),
            employed=0.55,
        )
        parents = [mother]
        father_name = self.names.first_name(rng, mother.birth_date.year - 2, female=False)
        if rng.random() < 0.85:
            father = self._adult(
                Relation.SPOUSE,
                family_surname,
                female=False,
                window=(_shift(mother.birth_date, -8), _shift(mother.birth_date, 3)),
                employed=0.9,
            )
            parents.append(father)
            father_name = father.first_name
            if rng.random() < 0.15:
                mother.relation, father.relation = Relation.SPOUSE, Relation.APPLICANT
                parents.reverse()
        family.members.extend(parents)
        births = [p.birth_date for p in parents]
        minors = _LARGE_MINORS.pick(rng)
        if rng.random() < 0.2:
            family.members.extend(
                self._children(family, family_surname, father_name, births, 1, adults=True)
            )
        family.members.extend(
            self._children(family, family_surname, father_name, births, minors, minors=True)
        )

    def _elderly_family(self, family: _Family, family_surname: str) -> None:
        rng = self.rng
        shape = rng.random()
        if shape < 0.45:
            person = self._adult(
                Relation.APPLICANT,
                family_surname,
                female=rng.random() < 0.75,
                window=_age_window(self.today, 60, 90),
                employed=0.08,
            )
            person.lives_alone = True
            family.members.append(person)
        elif shape < 0.8:
            wife = self._adult(
                Relation.APPLICANT,
                family_surname,
                female=True,
                window=_age_window(self.today, 62, 86),
                employed=0.08,
            )
            high = min(_shift(wife.birth_date, 3), _shift(self.today, -60))
            husband = self._adult(
                Relation.SPOUSE,
                family_surname,
                female=False,
                window=(max(_shift(wife.birth_date, -6), _shift(self.today, -90)), high),
                employed=0.12,
            )
            if rng.random() < 0.3:
                wife.relation, husband.relation = Relation.SPOUSE, Relation.APPLICANT
                family.members.extend((husband, wife))
            else:
                family.members.extend((wife, husband))
        else:
            self._child_with_parent(family, family_surname)

    def _child_with_parent(self, family: _Family, family_surname: str) -> None:
        """An adult son or daughter registers a parent of 68–90."""
        rng = self.rng
        parent_female = rng.random() < 0.75
        parent_window = _age_window(self.today, 68, 90)
        father_name = self.names.first_name(rng, parent_window[0].year + 10, female=False)
        parent = self._adult(
            Relation.PARENT,
            family_surname,
            female=parent_female,
            window=parent_window,
            employed=0.0,
            first_name=None if parent_female else father_name,
        )
        parent.lives_alone = rng.random() < 0.6
        child_female = rng.random() < 0.7
        # Most daughters took their husband's name.
        child_surname = (
            self.names.surname(rng) if child_female and rng.random() < 0.7 else family_surname
        )
        low = max(_shift(parent.birth_date, 20), _shift(self.today, -62))
        high = min(_shift(parent.birth_date, 40), _shift(self.today, -30))
        applicant = self._adult(
            Relation.APPLICANT,
            child_surname,
            female=child_female,
            window=(low, high),
            employed=0.8,
            father=father_name,
        )
        family.members.extend((applicant, parent))

    # --- people -----------------------------------------------------------------------------

    def _unique(
        self,
        family_surname: str,
        father: str,
        female: bool,
        window: tuple[date, date],
        *,
        first_name: str | None = None,
        birth: date | None = None,
        avoid: Sequence[str] = (),
    ) -> tuple[str, str, date]:
        """A first name, full name and birth date not used by anybody generated before."""
        rng = self.rng
        day = birth or _between(rng, *window)
        last = surname(family_surname, female=female)
        middle = patronymic(father, female=female)
        first = first_name or self.names.first_name(rng, day.year, female=female)
        for _ in range(_ATTEMPTS):
            full_name = f"{last} {first} {middle}"
            key = (full_name.lower().replace("ё", "е"), day)
            if key not in self.people and first not in avoid:
                self.people.add(key)
                return first, full_name, day
            # A fixed name (a father's, behind his children's patronymic) moves the birthday.
            if first_name is None:
                first = self.names.first_name(rng, day.year, female=female)
            else:
                day = _between(rng, *window)
        raise RuntimeError(f"no unique person for {last} … {middle} in {window}")

    def _adult(
        self,
        relation: Relation,
        family_surname: str,
        *,
        female: bool,
        window: tuple[date, date],
        employed: float,
        first_name: str | None = None,
        father: str | None = None,
    ) -> _Person:
        rng = self.rng
        low, high = window
        low = min(low, high)
        birth = _between(rng, low, high)
        if father is None:
            father = self.names.first_name(rng, birth.year - 28, female=False)
        first, full_name, birth = self._unique(
            family_surname, father, female, (low, high), first_name=first_name, birth=birth
        )
        person = _Person(
            relation=relation,
            full_name=full_name,
            first_name=first,
            birth_date=birth,
            member_id=self._uuid(),
            female=female,
        )
        age = age_on(birth, self.today)
        person.employed = rng.random() < (employed if age < ELDERLY_AGE else min(employed, 0.1))
        if age >= ELDERLY_AGE and rng.random() < 0.15:
            person.disability = _ELDERLY_DISABILITY.pick(rng)
        elif rng.random() < 0.02:
            person.disability = "3"
        return person

    def _children(
        self,
        family: _Family,
        family_surname: str,
        father: str,
        parents: list[date],
        count: int,
        born_by: date | None = None,
        *,
        minors: bool = False,
        adults: bool = False,
    ) -> list[_Person]:
        """Children born 18–45 years after each parent, spaced about a year apart."""
        rng = self.rng
        low = max(_shift(p, 18) for p in parents) + timedelta(days=1)
        high = min(min(_shift(p, 45) for p in parents), self.today - timedelta(days=14))
        if born_by is not None:
            high = min(high, born_by)
        adult_from = _shift(self.today, -ADULT_AGE)
        if minors:
            low = max(low, adult_from + timedelta(days=1))
        if adults:
            low, high = max(low, _shift(self.today, -23)), min(high, adult_from)
        births = _spaced_dates(rng, low, high, count, _SIBLING_GAP.days)
        school = rng.choice(family.locality.schools)
        kindergarten = rng.choice(family.locality.kindergartens)
        children: list[_Person] = []
        for birth in births:
            female = rng.random() < 0.49
            first, full_name, birth = self._unique(
                family_surname,
                father,
                female,
                (birth, birth),
                birth=birth,
                avoid=[c.first_name for c in children],
            )
            child = _Person(
                relation=Relation.CHILD,
                full_name=full_name,
                first_name=first,
                birth_date=birth,
                member_id=self._uuid(),
                female=female,
            )
            self._child_facts(child, family.locality, school, kindergarten)
            children.append(child)
        return children

    def _child_facts(
        self, child: _Person, locality: Locality, school: str, kindergarten: str
    ) -> None:
        rng = self.rng
        age = age_on(child.birth_date, self.today)
        if 7 <= age < ADULT_AGE:
            # Siblings mostly go to the same school.
            name = school if rng.random() < 0.85 else rng.choice(locality.schools)
            child.school = (name, age - 6)
        elif 1 <= age <= 6:
            attends, waits = (0.35, 0.65) if age <= 2 else (0.8, 0.92)
            draw = rng.random()
            if draw < attends:
                child.kindergarten = kindergarten
            elif draw < waits:
                child.needs_place = True
                child.wanted_kindergarten = rng.choice(locality.kindergartens)
        if age < ADULT_AGE and rng.random() < 0.02:
            child.disability = "child"

    def _elderly_parents(
        self, family_surname: str, son_birth: date, son_father: str
    ) -> list[_Person]:
        """The serviceman's parents of 60–90, when the family looks after them."""
        rng = self.rng
        if rng.random() >= 0.3:
            return []
        oldest, youngest = _age_window(self.today, 60, 90)
        shape = rng.random()
        parents: list[_Person] = []
        if shape < 0.85:
            window = (max(_shift(son_birth, -40), oldest), min(_shift(son_birth, -19), youngest))
            if window[0] <= window[1]:
                parents.append(
                    self._adult(
                        Relation.PARENT, family_surname, female=True, window=window, employed=0.1
                    )
                )
        if shape >= 0.55:
            window = (max(_shift(son_birth, -45), oldest), min(_shift(son_birth, -20), youngest))
            if window[0] <= window[1]:
                parents.append(
                    self._adult(
                        Relation.PARENT,
                        family_surname,
                        female=False,
                        window=window,
                        employed=0.1,
                        first_name=son_father,
                    )
                )
        if len(parents) == 1:
            parents[0].lives_alone = rng.random() < 0.75
        return parents

    # --- family sections --------------------------------------------------------------------

    def _categories(self, family: _Family) -> list[BeneficiaryCategory]:
        today = self.today
        categories = [family.primary]
        minors = sum(1 for p in family.members if age_on(p.birth_date, today) < ADULT_AGE)
        if minors >= 3 and Category.LARGE_FAMILY not in categories:
            categories.append(Category.LARGE_FAMILY)
        if any(p.expected_date for p in family.members) and family.primary is not (
            Category.PREGNANT_WOMAN
        ):
            categories.append(Category.PREGNANT_WOMAN)
        couple = (p for p in family.members if p.relation in (Relation.APPLICANT, Relation.SPOUSE))
        if family.primary is not Category.ELDERLY_PERSON and any(
            age_on(p.birth_date, today) >= ELDERLY_AGE for p in couple
        ):
            categories.append(Category.ELDERLY_PERSON)
        return categories

    def _needs(self, family: _Family) -> list[dict[str, Any]]:
        """0–3 open needs that follow from the family's facts."""
        rng = self.rng
        candidates: dict[Need, tuple[float, str, uuid.UUID | None]] = {}

        def offer(category: Need, weight: float, notes: str, member: _Person | None = None) -> None:
            if weight > candidates.get(category, (0.0, "", None))[0]:
                text = rng.choice(_NOTES[notes]) if notes in _NOTES else notes
                candidates[category] = (weight, text, member.member_id if member else None)

        today = self.today
        status = family.status
        if family.serviceman is not None:
            loss = status in (Status.MISSING, Status.DECEASED)
            offer(
                Need.PSYCHOLOGICAL,
                8 if loss else 5,
                "psychological_loss" if loss else "psychological",
            )
            offer(Need.SOCIAL_LEGAL, 6 if loss else 1.5, "svo_legal_loss" if loss else "svo_legal")
            offer(Need.MATERIAL, 2, "svo_material")
            if status in (Status.WOUNDED, Status.IN_REHABILITATION, Status.RETURNED):
                offer(Need.HEALTH, 4, "wound")
            offer(Need.HOUSING, 1 if family.locality.urban else 2, "housing")
        for person in family.members:
            age = age_on(person.birth_date, today)
            if person.school is not None:
                offer(
                    Need.EDUCATION, 3, "exam" if person.school[1] in (9, 11) else "school", person
                )
            if person.needs_place:
                place = f"Место в детском саду: {person.wanted_kindergarten}"
                offer(Need.CHILDCARE, 6, place, person)
            elif 1 <= age <= 6 and person.kindergarten is None:
                offer(Need.CHILDCARE, 2, "nanny", person)
            if person.lives_alone and age >= ELDERLY_AGE:
                offer(Need.SOCIAL_DOMESTIC, 6, "domestic", person)
            if (
                person.employed is False
                and ADULT_AGE <= age < ELDERLY_AGE
                and person.expected_date is None
            ):
                offer(Need.EMPLOYMENT, 4, "employment", person)
            if person.expected_date is not None:
                offer(Need.HEALTH, 4, "pregnancy_health", person)
                offer(Need.MATERIAL, 2, "baby_material", person)
            if age >= ELDERLY_AGE:
                offer(Need.HEALTH, 3, "elderly_health", person)
                offer(Need.SOCIAL_LEGAL, 1, "elderly_legal", person)
        if family.primary is Category.LARGE_FAMILY:
            offer(Need.MATERIAL, 4, "large_material")
            offer(Need.HOUSING, 2, "large_housing")
        wanted = min(len(candidates), _NEED_COUNT.pick(rng))
        needs: list[dict[str, Any]] = []
        pool = list(candidates.items())
        for _ in range(wanted):
            index = rng.choices(range(len(pool)), weights=[w for _, (w, _, _) in pool])[0]
            category, (_, notes, member_id) = pool.pop(index)
            needs.append({"category": category, "notes": notes, "member_id": member_id})
        return needs

    def _contacts(self, family: _Family) -> dict[str, Any]:
        rng = self.rng
        applicant = family.members[0]
        for person in family.members:
            if person.relation is Relation.APPLICANT:
                applicant = person
        phones = [self._phone()]
        if rng.random() < 0.3:
            phones.append(self._phone())
        elderly = age_on(applicant.birth_date, self.today) >= ELDERLY_AGE
        first = applicant.first_name.lower().translate(_TRANSLIT)
        last = applicant.full_name.split(" ", 1)[0].lower().translate(_TRANSLIT)
        year = applicant.birth_date.year % 100
        telegram = None
        if rng.random() < (0.1 if elderly else 0.45):
            telegram = f"@{first}_{last}{year:02d}"[:33]
        email = None
        if rng.random() < (0.05 if elderly else 0.2):
            email = f"{last}.{first[0]}{rng.randint(1, 999)}@{rng.choice(_EMAIL_DOMAINS)}"
        channel = "phone"
        if telegram is not None and rng.random() < 0.6:
            channel = "telegram"
        elif elderly and rng.random() < 0.2:
            channel = "sms"
        return {
            "phones": phones,
            "telegram": telegram,
            "email": email,
            "preferred_channel": channel,
            "consent_to_contact": True,
        }

    def _address(self, family: _Family) -> dict[str, Any]:
        rng = self.rng
        locality = family.locality
        apartment = None
        if locality.urban and rng.random() < 0.75:
            house = str(rng.randint(1, 140))
            apartment = str(rng.randint(1, 180))
        else:
            house = str(rng.randint(1, 80))
        if rng.random() < 0.05:
            house += rng.choice("абв")
        return {
            "district": family.district.code,
            "hq": family.district.hq,
            "locality": locality.name,
            "street": rng.choice(locality.streets),
            "house": house,
            "apartment": apartment,
        }

    def _consent(
        self, family: _Family, curator: Curator, needs: list[dict[str, Any]]
    ) -> dict[str, Any]:
        rng = self.rng
        scope = [ConsentScope.PERSONAL_DATA, ConsentScope.CONTACT, ConsentScope.SHARE_WITH_AGENCIES]
        health = (
            any(n["category"] is Need.HEALTH for n in needs)
            or any(p.expected_date or p.disability for p in family.members)
            or family.status in (Status.WOUNDED, Status.IN_REHABILITATION)
        )
        if health or rng.random() < 0.2:
            scope.append(ConsentScope.HEALTH_DATA)
        earliest = self.today - timedelta(days=730)
        if family.service_start is not None:
            earliest = max(earliest, family.service_start)
        latest = self.today - timedelta(days=1)
        return {
            "scope": scope,
            "given_on": _between(rng, min(earliest, latest), latest),
            "recorded_by": curator.curator_id,
        }

    # --- unique identifiers -----------------------------------------------------------------

    def _phone(self) -> str:
        rng = self.rng
        while True:
            digits = f"{rng.choice(_PHONE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
            if digits not in self.phones:
                self.phones.add(digits)
                return f"+7{digits}"

    def _snils(self) -> str:
        rng = self.rng
        while True:
            number = f"{rng.randint(100_000_000, 199_999_999):09d}"
            if number not in self.snils:
                self.snils.add(number)
                control = snils_checksum(number)
                return f"{number[:3]}-{number[3:6]}-{number[6:]} {control:02d}"

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _expected_date(self) -> date:
        return self.today + timedelta(days=self.rng.randint(7, 270))


# --- dates and draws --------------------------------------------------------------------------


def _status_path(rng: random.Random, status: Status) -> list[Status]:
    """The statuses a serviceman went through to reach ``status``."""
    if status is Status.SERVING and rng.random() < 0.05:
        return [Status.SERVING, Status.WOUNDED, Status.IN_REHABILITATION, Status.SERVING]
    if status is Status.IN_REHABILITATION:
        return [Status.SERVING, Status.WOUNDED, Status.IN_REHABILITATION]
    if status is Status.RETURNED and rng.random() < 0.4:
        return [Status.SERVING, Status.WOUNDED, Status.IN_REHABILITATION, Status.RETURNED]
    if status is Status.DECEASED and rng.random() < 0.3:
        return [Status.SERVING, Status.MISSING, Status.DECEASED]
    if status is Status.SERVING:
        return [Status.SERVING]
    return [Status.SERVING, status]


def _shift(day: date, years: int) -> date:
    """The same day ``years`` later (earlier if negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _age_window(today: date, youngest: int, oldest: int) -> tuple[date, date]:
    """Birth dates of people aged ``youngest``…``oldest`` full years on ``today``."""
    return _shift(today, -oldest - 1) + timedelta(days=1), _shift(today, -youngest)


def _between(rng: random.Random, low: date, high: date) -> date:
    return low + timedelta(days=rng.randint(0, (high - low).days))


def _spaced_dates(rng: random.Random, low: date, high: date, count: int, gap: int) -> list[date]:
    """``count`` sorted dates in [low, high], ``gap`` days apart where the span allows."""
    span = (high - low).days
    if count <= 0 or span < 0:
        return []
    if count > 1:
        gap = min(gap, span // (count - 1))
    free = span - gap * (count - 1)
    offsets = sorted(rng.randint(0, free) for _ in range(count))
    return [low + timedelta(days=offset + i * gap) for i, offset in enumerate(offsets)]
