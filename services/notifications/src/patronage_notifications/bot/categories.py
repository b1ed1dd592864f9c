"""Suggest a help-request category from free Russian text (keyword rules over lemmas)."""

import re
from collections import Counter
from functools import lru_cache

import pymorphy3
from patronage_contracts import NeedCategory

KEYWORDS: dict[NeedCategory, frozenset[str]] = {
    NeedCategory.HOUSING: frozenset(
        [
            "крыша",
            "протекать",
            "ремонт",
            "квартира",
            "дом",
            "жильё",
            "жилье",
            "отопление",
            "батарея",
            "труба",
            "окно",
            "электричество",
            "проводка",
            "газ",
            "печь",
            "дрова",
            "забор",
            "канализация",
            "вода",
        ]
    ),
    NeedCategory.HEALTH: frozenset(
        [
            "врач",
            "больница",
            "лекарство",
            "болеть",
            "болезнь",
            "здоровье",
            "поликлиника",
            "операция",
            "лечение",
            "анализ",
            "реабилитация",
            "инвалидность",
            "давление",
            "рецепт",
        ]
    ),
    NeedCategory.CHILDCARE: frozenset(
        ["няня", "садик", "детсад", "сад", "присмотр", "ясли", "малыш", "посидеть"]
    ),
    NeedCategory.EDUCATION: frozenset(
        [
            "школа",
            "учёба",
            "учеба",
            "учитель",
            "урок",
            "питание",
            "кружок",
            "секция",
            "репетитор",
            "класс",
            "экзамен",
        ]
    ),
    NeedCategory.EMPLOYMENT: frozenset(
        [
            "работа",
            "вакансия",
            "трудоустройство",
            "безработный",
            "увольнение",
            "обучение",
            "профессия",
            "работодатель",
        ]
    ),
    NeedCategory.PSYCHOLOGICAL: frozenset(
        [
            "психолог",
            "тревога",
            "страх",
            "депрессия",
            "стресс",
            "плакать",
            "бессонница",
            "поддержка",
            "переживать",
        ]
    ),
    NeedCategory.MATERIAL: frozenset(
        [
            "деньги",
            "выплата",
            "пособие",
            "материальный",
            "долг",
            "оплата",
            "продукты",
            "еда",
            "одежда",
            "кредит",
        ]
    ),
    NeedCategory.SOCIAL_LEGAL: frozenset(
        ["юрист", "документ", "суд", "закон", "справка", "льгота", "право", "оформить", "договор"]
    ),
    NeedCategory.SOCIAL_DOMESTIC: frozenset(
        [
            "уборка",
            "покупка",
            "пожилой",
            "бабушка",
            "дедушка",
            "соцработник",
            "сиделка",
            "уход",
            "магазин",
        ]
    ),
}
_WORD = re.compile(r"[а-яёa-z]+", re.IGNORECASE)


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=50_000)
def lemma(word: str) -> str:
    """The dictionary form of a Russian word (крышу → крыша, протекает → протекать)."""
    return str(_morph().parse(word)[0].normal_form).replace("ё", "е")


_KEYWORDS_PLAIN = {c: frozenset(w.replace("ё", "е") for w in ws) for c, ws in KEYWORDS.items()}


def lemmas(text: str) -> list[str]:
    """Lemmas of the words of a text."""
    return [lemma(w.lower()) for w in _WORD.findall(text)]


def suggest_category(text: str) -> NeedCategory | None:
    """The category whose keywords the text mentions most; None if none is mentioned."""
    counts: Counter[NeedCategory] = Counter()
    for word in lemmas(text):
        for category, words in _KEYWORDS_PLAIN.items():
            if word in words:
                counts[category] += 1
    if not counts:
        return None
    # Ties go to the order of NeedCategory, so the answer is stable.
    order = list(NeedCategory)
    return max(counts, key=lambda c: (counts[c], -order.index(c)))
