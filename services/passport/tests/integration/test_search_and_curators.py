"""Search through the look-up index, and curators' workload, on the real store."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from patronage_common.testing import eventually, free_port, serve
from patronage_passport.main import create_app
from patronage_passport.settings import PassportSettings

from tests.support.families import passport_payload

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(make_settings: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    settings: PassportSettings = make_settings(PassportSettings, http_port=port)
    async with serve(create_app(settings), port) as url, httpx.AsyncClient(base_url=url) as client:
        client.headers["X-Actor"] = "curator-1"
        yield client


async def create(client: httpx.AsyncClient, applicant: str, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/passports", json=passport_payload(applicant=applicant, **overrides)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def names(client: httpx.AsyncClient, **params: Any) -> list[str]:
    page = (await client.get("/passports", params=params)).json()
    return [item["applicant_full_name"] for item in page["items"]]


async def test_search_by_each_criterion_sorted_and_paginated(api: httpx.AsyncClient) -> None:
    anna = await create(
        api, "Яковлева Серафима Сергеевна", district="elets", curator_id="cur-elets-1"
    )
    await create(api, "Андреева Ольга Павловна", district="elets", curator_id="cur-elets-2")
    boris = await create(
        api,
        "Борисова Серафима Игоревна",
        district="gryazi",
        curator_id="cur-elets-1",
        categories=["svo_family"],
    )
    await api.post(f"/passports/{boris['family_id']}/needs", json=[{"category": "housing"}])

    async def indexed() -> bool:
        everyone = await names(api)
        return len(everyone) == 3 and len(await names(api, open_need="housing")) == 1

    await eventually(indexed, what="the index to catch up")

    assert await names(api, district="elets") == [
        "Андреева Ольга Павловна",
        "Яковлева Серафима Сергеевна",
    ]
    assert await names(api, name="серафима") == [
        "Борисова Серафима Игоревна",
        "Яковлева Серафима Сергеевна",
    ]
    assert await names(api, name="СЕРАФИМА яковлева") == ["Яковлева Серафима Сергеевна"]
    assert await names(api, phone=anna["contacts"]["phones"][0].replace("+7", "8")) == [
        "Яковлева Серафима Сергеевна"
    ]
    assert await names(api, curator_id="cur-elets-1", hq="hq-gryazi") == [
        "Борисова Серафима Игоревна"
    ]
    assert await names(api, category="large_family") == []
    assert await names(api, open_need="housing") == ["Борисова Серафима Игоревна"]
    # Members are found too: the pupil's surname tag is unique to Anna's family.
    pupil = anna["members"][1]["full_name"].split()[-1]
    assert await names(api, name=pupil) == ["Яковлева Серафима Сергеевна"]

    first = (await api.get("/passports", params={"limit": 2})).json()
    assert first["total"] == 3
    assert [i["applicant_full_name"] for i in first["items"]] == [
        "Андреева Ольга Павловна",
        "Борисова Серафима Игоревна",
    ]
    second = (
        await api.get("/passports", params={"limit": 2, "after": first["next_cursor"]})
    ).json()
    assert [i["applicant_full_name"] for i in second["items"]] == ["Яковлева Серафима Сергеевна"]
    assert second["next_cursor"] is None

    bad = await api.get("/passports", params={"phone": "12"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "phone"]


async def test_index_follows_changes_and_consent_withdrawal(api: httpx.AsyncClient) -> None:
    family = await create(api, "Соколова Вера Андреевна", district="dankov")
    family_id = family["family_id"]
    await api.put(
        f"/passports/{family_id}/address",
        json={"district": "lebedyan", "hq": "hq-lebedyan", "locality": "Лебедянь"},
    )

    async def moved() -> bool:
        return await names(api, district="lebedyan") == ["Соколова Вера Андреевна"]

    await eventually(moved, what="the move reindexed")
    assert await names(api, district="dankov") == []

    await api.post(f"/passports/{family_id}/consent/withdrawal", json={"scope": ["personal_data"]})

    async def hidden() -> bool:
        return await names(api, name="соколова") == []

    await eventually(hidden, what="names unindexed after withdrawal")
    assert await names(api, district="lebedyan") == ["скрыто"]


async def test_curators_belong_to_districts_and_workload_is_counted(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/curators",
        json={
            "curator_id": "cur-zadonsk-1",
            "full_name": "Орлова Инна Петровна",
            "district": "zadonsk",
        },
    )
    assert created.status_code == 201
    again = {"curator_id": "cur-zadonsk-1", "full_name": "Другая Мария", "district": "zadonsk"}
    assert (await api.post("/curators", json=again)).status_code == 409
    assert [
        c["curator_id"] for c in (await api.get("/curators", params={"district": "zadonsk"})).json()
    ] == ["cur-zadonsk-1"]

    mine = await create(
        api, "Лебедева Нина Олеговна", district="zadonsk", curator_id="cur-zadonsk-1"
    )
    other = await create(api, "Морозова Зоя Олеговна", district="elets", curator_id="cur-elets-9")
    wrong_district = await api.put(
        f"/passports/{other['family_id']}/curator",
        json={"curator_id": "cur-zadonsk-1", "reason": "перевод"},
    )
    assert wrong_district.status_code == 422
    await api.post(
        f"/passports/{mine['family_id']}/needs",
        json=[{"category": "health"}, {"category": "social_legal"}],
    )
    await api.post(
        f"/passports/{mine['family_id']}/plan/items",
        json={
            "title": "Консультация юриста",
            "agency": "social_protection",
            "deadline": "2026-01-10",
        },
    )

    async def loaded() -> dict[str, Any] | None:
        load = (await api.get("/curators/cur-zadonsk-1/workload")).json()
        return load if load["open_needs"] == 2 else None

    load = await eventually(loaded, what="the workload to count the needs")
    assert load["families"] == 1
    assert load["overdue_plan_items"] == 1
    assert load["family_ids"] == [mine["family_id"]]
