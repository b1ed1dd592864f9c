"""Reference data of a region for demo families: districts, HQs, localities, schools, curators."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .names import NamePicker, patronymic, surname

FAMILIES_PER_CURATOR = 45


@dataclass(frozen=True, slots=True)
class Locality:
    """A town or village with its streets, schools and kindergartens."""

    name: str
    weight: int
    urban: bool
    streets: tuple[str, ...]
    schools: tuple[str, ...]
    kindergartens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class District:
    """A municipal district or city okrug and its coordination HQ."""

    code: str
    name: str
    population: int
    localities: tuple[Locality, ...]

    @property
    def hq(self) -> str:
        """Code of the district's municipal coordination HQ."""
        return f"hq-{self.code}"


@dataclass(frozen=True, slots=True)
class Curator:
    """A social curator of a district."""

    curator_id: str
    full_name: str
    district: str


@dataclass(frozen=True, slots=True)
class Region:
    """A region: its districts with their population."""

    code: str
    name: str
    districts: tuple[District, ...]

    def district(self, code: str) -> District:
        """The district with this code."""
        for district in self.districts:
            if district.code == code:
                return district
        raise KeyError(code)


_TOWN_STREETS = (
    "ул. Ленина", "ул. Советская", "ул. Мира", "ул. Октябрьская", "ул. Гагарина",
    "ул. Садовая", "ул. Молодёжная", "ул. Школьная", "ул. Победы", "ул. Интернациональная",
    "ул. Пролетарская", "ул. Кирова", "ул. Чапаева", "ул. Комсомольская", "ул. Первомайская",
    "ул. Заводская",
)  # fmt: skip
_VILLAGE_STREETS = (
    "ул. Центральная", "ул. Садовая", "ул. Молодёжная", "ул. Школьная", "ул. Полевая",
    "ул. Лесная", "ул. Набережная", "ул. Советская", "ул. Луговая", "ул. Новая",
    "ул. Заречная", "ул. Мира",
)  # fmt: skip


def _town(name: str, genitive: str, weight: int, schools: int, kindergartens: int) -> Locality:
    return Locality(
        name=f"г. {name}",
        weight=weight,
        urban=True,
        streets=_TOWN_STREETS,
        schools=tuple(f"МБОУ СОШ № {n} г. {genitive}" for n in range(1, schools + 1)),
        kindergartens=tuple(
            f"МБДОУ детский сад № {n} г. {genitive}" for n in range(1, kindergartens + 1)
        ),
    )


def _settlement(name: str, weight: int, schools: int = 1) -> Locality:
    if schools == 1:
        school_names: tuple[str, ...] = (f"МБОУ СОШ {name}",)
    else:
        school_names = tuple(f"МБОУ СОШ № {n} {name}" for n in range(1, schools + 1))
    return Locality(
        name=name,
        weight=weight,
        urban=name.startswith("п."),
        streets=_VILLAGE_STREETS,
        schools=school_names,
        kindergartens=(f"МБДОУ детский сад {name}",),
    )


def _villages(*names: str) -> tuple[Locality, ...]:
    return tuple(_settlement(f"с. {name}", 2) for name in names)


_LIPETSK = Locality(
    name="г. Липецк",
    weight=1,
    urban=True,
    streets=(
        "ул. Гагарина", "пр-т Победы", "ул. Катукова", "ул. Советская", "ул. Космонавтов",
        "ул. Терешковой", "ул. Водопьянова", "ул. Стаханова", "ул. Зегеля", "ул. Неделина",
        "ул. Московская", "ул. Папина", "ул. Циолковского", "б-р Шубина", "ул. Плеханова",
        "пр-т Мира", "ул. Доватора", "ул. Осканова", "ул. Балмочных", "ул. Меркулова",
        "ул. Фрунзе", "ул. Смургиса", "ул. 9 Мая", "ул. Ушинского",
    ),
    schools=(
        *(f"МБОУ СОШ № {n} г. Липецка" for n in (1, 2, 5, 8, 11, 14, 17, 20, 23, 29, 33, 36)),
        *(f"МАОУ СОШ № {n} г. Липецка" for n in (40, 45, 47, 51, 55, 59, 61, 65, 68, 72)),
        "МБОУ Гимназия № 12 г. Липецка",
        "МАОУ Гимназия № 64 г. Липецка",
        "МБОУ Лицей № 3 г. Липецка",
        "МАОУ Лицей № 44 г. Липецка",
    ),
    kindergartens=tuple(
        f"МАДОУ детский сад № {n} г. Липецка"
        for n in (5, 12, 34, 42, 63, 86, 97, 104, 111, 123, 125, 128, 133, 137, 140)
    ),
)  # fmt: skip

_ELETS = Locality(
    name="г. Елец",
    weight=1,
    urban=True,
    streets=(
        "ул. Мира", "ул. Коммунаров", "ул. Радиотехническая", "ул. Орджоникидзе",
        "ул. Королёва", "ул. Пушкина", "ул. Костенко", "ул. Черокманова", "ул. Спутников",
        "ул. Октябрьская", "ул. Новолипецкая", "ул. Ани Гайтеровой",
    ),
    schools=(
        *(f"МБОУ СШ № {n} г. Ельца" for n in (1, 8, 12, 15, 23, 24)),
        "МБОУ «Гимназия № 11» г. Ельца",
        "МБОУ «Лицей № 5» г. Ельца",
    ),
    kindergartens=tuple(f"МБДОУ «Детский сад № {n} г. Ельца»" for n in (2, 7, 15, 28, 33, 41)),
)  # fmt: skip


def _district(code: str, name: str, population: int, *localities: Locality) -> District:
    return District(code=code, name=name, population=population, localities=localities)


LIPETSK_OBLAST = Region(
    code="lipetsk-oblast",
    name="Липецкая область",
    districts=(
        _district("lipetsk-city", "Липецк", 503_000, _LIPETSK),
        _district("elets", "Елец", 103_000, _ELETS),
        _district(
            "gryazi", "Грязинский район", 75_000,
            _town("Грязи", "Грязи", 12, 5, 6),
            *_villages("Казинка", "Бутырки", "Фащёвка", "Ярлуково", "Двуречки"),
        ),
        _district(
            "dankov", "Данковский район", 30_000,
            _town("Данков", "Данкова", 10, 3, 4),
            *_villages("Бигильдино", "Полибино", "Баловнево", "Ягодное"),
        ),
        _district(
            "dobrinka", "Добринский район", 33_000,
            _settlement("п. Добринка", 8, schools=2),
            *_villages("Талицкий Чамлык", "Мазейка", "Пушкино", "Нижняя Матрёнка"),
        ),
        _district(
            "dobroe", "Добровский район", 22_000,
            _settlement("с. Доброе", 8),
            *_villages("Каликино", "Трубетчино", "Кривец", "Панино"),
        ),
        _district(
            "dolgorukovo", "Долгоруковский район", 15_000,
            _settlement("с. Долгоруково", 8),
            *_villages("Стегаловка", "Жерновное", "Слепуха", "Свишни"),
        ),
        _district(
            "elets-district", "Елецкий район", 29_000,
            _settlement("п. Газопровод", 4),
            *_villages("Казаки", "Воронец", "Голиково", "Черкассы", "Талица"),
        ),
        _district(
            "zadonsk", "Задонский район", 30_000,
            _town("Задонск", "Задонска", 8, 2, 3),
            *_villages("Донское", "Хмелинец", "Каменка", "Паниковец"),
        ),
        _district(
            "izmalkovo", "Измалковский район", 14_000,
            _settlement("с. Измалково", 8),
            *_villages("Афанасьево", "Преображенье", "Чернава"),
        ),
        _district(
            "krasnoe", "Краснинский район", 11_000,
            _settlement("с. Красное", 8),
            *_villages("Решетово-Дуброво", "Гудово", "Знаменка"),
        ),
        _district(
            "lebedyan", "Лебедянский район", 38_000,
            _town("Лебедянь", "Лебедяни", 12, 3, 4),
            *_villages("Троекурово", "Куймань", "Ольховец", "Агроном"),
        ),
        _district(
            "lev-tolstoy", "Лев-Толстовский район", 15_000,
            _settlement("п. Лев Толстой", 8),
            *_villages("Новочемоданово", "Круглое", "Золотуха", "Первомайское"),
        ),
        _district(
            "lipetsk-district", "Липецкий район", 54_000,
            *_villages(
                "Боринское", "Сырское", "Подгорное", "Кузьминские Отвержки", "Ленино",
                "Частая Дубрава", "Троицкое",
            ),
        ),
        _district(
            "stanovoe", "Становлянский район", 15_000,
            _settlement("с. Становое", 8),
            *_villages("Пальна-Михайловка", "Ламское", "Тростное"),
        ),
        _district(
            "terbuny", "Тербунский район", 22_000,
            _settlement("с. Тербуны", 8),
            *_villages("Вторые Тербуны", "Борки", "Бурдино"),
        ),
        _district(
            "usman", "Усманский район", 45_000,
            _town("Усмань", "Усмани", 12, 3, 4),
            *_villages("Девица", "Октябрьское", "Поддубровка", "Пригородка"),
        ),
        _district(
            "khlevnoe", "Хлевенский район", 18_000,
            _settlement("с. Хлевное", 8),
            *_villages("Конь-Колодезь", "Дмитряшевка", "Отскочное"),
        ),
        _district(
            "chaplygin", "Чаплыгинский район", 29_000,
            _town("Чаплыгин", "Чаплыгина", 10, 2, 3),
            *_villages("Колыбельское", "Юсово", "Дёмкино"),
        ),
        _district(
            "volovo", "Воловский район", 11_000,
            _settlement("с. Волово", 8),
            *_villages("Гатище", "Набережное"),
        ),
    ),
)  # fmt: skip
"""Lipetsk oblast; populations are approximate (2021 census order of magnitude)."""


def curators(region: Region, family_count: int) -> dict[str, tuple[Curator, ...]]:
    """Curators of each district, about ``FAMILIES_PER_CURATOR`` families each."""
    total = sum(d.population for d in region.districts)
    picker = NamePicker()
    roster: dict[str, tuple[Curator, ...]] = {}
    for district in region.districts:
        expected = family_count * district.population / total
        count = max(1, round(expected / FAMILIES_PER_CURATOR))
        # A string seed is hashed with SHA-512: the same names in every process.
        rng = random.Random(f"curators-{district.code}")  # noqa: S311
        roster[district.code] = tuple(
            Curator(
                curator_id=f"cur-{district.code}-{n}",
                full_name=_curator_name(rng, picker),
                district=district.code,
            )
            for n in range(1, count + 1)
        )
    return roster


def _curator_name(rng: random.Random, picker: NamePicker) -> str:
    # Social work is mostly done by women.
    female = rng.random() < 0.85
    year = rng.randint(1968, 1998)
    father = picker.first_name(rng, year - 28, female=False)
    return " ".join(
        (
            surname(picker.surname(rng), female=female),
            picker.first_name(rng, year, female=female),
            patronymic(father, female=female),
        )
    )
