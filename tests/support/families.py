"""Valid passport payloads for tests, each with its own people and phone."""

import itertools
import random
from datetime import date
from typing import Any

_counter = itertools.count(1)
_SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов"]


def unique_phone() -> str:
    """A valid Russian mobile number not used before in this test run."""
    return f"+7 9{random.randint(10, 99)} {random.randint(100, 999)}-{next(_counter) % 10000:04d}"


def passport_payload(
    *,
    district: str = "lipetsk-city",
    curator_id: str | None = "curator-1",
    applicant: str | None = None,
    phone: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An SVO family: applicant (the serviceman's wife), a pupil and a preschool child."""
    n = next(_counter)
    surname = random.choice(_SURNAMES)
    payload: dict[str, Any] = {
        "categories": ["svo_family"],
        "serviceman": {
            "full_name": f"{surname} Андрей Петрович",
            "birth_date": f"{1985 + n % 10}-03-0{1 + n % 9}",
            "service_kind": "mobilized",
            "status": "serving",
        },
        "members": [
            {
                "relation": "applicant",
                "full_name": applicant or f"{surname}а Мария Ивановна {_letters(n)}",
                "birth_date": "1988-05-17",
            },
            {
                "relation": "child",
                "full_name": f"{surname} Пётр Андреевич {_letters(n)}",
                "birth_date": "2016-09-01",
                "school": {"school": "МБОУ СОШ № 5 г. Липецка", "grade": 4},
            },
            {
                "relation": "child",
                "full_name": f"{surname}а Анна Андреевна {_letters(n)}",
                "birth_date": "2022-02-11",
                "preschool": {"needs_place": True},
            },
        ],
        "contacts": {"phones": [phone or unique_phone()], "preferred_channel": "phone"},
        "address": {"district": district, "hq": f"hq-{district}", "locality": "Липецк"},
        "consent": {
            "scope": ["personal_data", "contact", "share_with_agencies"],
            "given_on": str(date(2026, 1, 15)),
        },
        "curator_id": curator_id,
    }
    payload.update(overrides)
    return payload


def _letters(n: int) -> str:
    """A Cyrillic tag that makes each generated person unique."""
    alphabet = "абвгдежзиклмнопрстуфхцчшэюя"
    tag = ""
    while True:
        n, r = divmod(n, len(alphabet))
        tag = alphabet[r] + tag
        if n == 0:
            return tag
