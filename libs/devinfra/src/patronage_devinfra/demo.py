"""A little demo data for the local run, loaded through the services' public APIs."""

from __future__ import annotations

from typing import Any

import httpx

DEMO_FAMILIES: list[dict[str, Any]] = [
    {
        "applicant_full_name": "Иванова Мария Петровна",
        "phone": "+7 (900) 111-22-33",
        "district": "lipetsk-city",
        "hq": "hq-lipetsk",
        "categories": ["svo_family"],
        "curator_id": "curator-ivanova",
        "consent_given": True,
        "request": ("childcare", "Нужна няня на время работы, двое детей 3 и 5 лет"),
    },
    {
        "applicant_full_name": "Смирнова Елена Викторовна",
        "phone": "+7 (900) 222-33-44",
        "district": "elets",
        "hq": "hq-elets",
        "categories": ["svo_family", "large_family"],
        "curator_id": "curator-petrov",
        "consent_given": True,
        "request": ("housing", "Протекает крыша частного дома"),
    },
    {
        "applicant_full_name": "Кузнецова Ольга Андреевна",
        "phone": "+7 (900) 333-44-55",
        "district": "gryazi",
        "hq": "hq-gryazi",
        "categories": ["pregnant_woman"],
        "curator_id": "curator-ivanova",
        "consent_given": True,
        "request": ("health", "Запись к акушеру-гинекологу"),
    },
    {
        "applicant_full_name": "Попов Николай Семёнович",
        "phone": "+7 (900) 444-55-66",
        "district": "dankov",
        "hq": "hq-dankov",
        "categories": ["elderly_person"],
        "curator_id": "curator-petrov",
        "consent_given": True,
        "request": ("social_domestic", "Помощь социального работника по дому"),
    },
]


def load_demo_data(urls: dict[str, str]) -> list[str]:
    """Register the demo families and one help request each; return the request ids."""
    request_ids = []
    with httpx.Client(timeout=10) as client:
        for family in DEMO_FAMILIES:
            passport = {k: v for k, v in family.items() if k != "request"}
            response = client.post(f"{urls['passport']}/passports", json=passport)
            response.raise_for_status()
            category, description = family["request"]
            created = client.post(
                f"{urls['requests']}/requests",
                json={
                    "family_id": response.json()["family_id"],
                    "category": category,
                    "description": description,
                },
                headers={"X-Actor": str(family["curator_id"])},
            )
            created.raise_for_status()
            request_ids.append(str(created.json()["request_id"]))
    return request_ids
