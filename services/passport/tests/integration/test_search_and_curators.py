"""Search through the look-up index, and curators' workload, on the real store."""

import json
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from patronage_common.testing import eventually
from patronage_contracts.topics import PASSPORT_EVENTS_TOPIC, dlq_topic_name
from patronage_passport.settings import PassportSettings

from tests.support.agency_client import read_topic
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration


@pytest.fixture
def client(api: tuple[httpx.AsyncClient, PassportSettings]) -> httpx.AsyncClient:
    """Only the client of the served passport service."""
    return api[0]


async def create(client: httpx.AsyncClient, applicant: str, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/passports", json=passport_payload(applicant=applicant, **overrides)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def names(client: httpx.AsyncClient, **params: Any) -> list[str]:
    page = (await client.get("/passports", params=params)).json()
    return [item["applicant_full_name"] for item in page["items"]]


async def test_search_by_each_criterion_sorted_and_paginated(client: httpx.AsyncClient) -> None:
    anna = await create(
        client, "Яковлева Серафима Сергеевна", district="elets", curator_id="cur-elets-1"
    )
    await create(client, "Андреева Ольга Павловна", district="elets", curator_id="cur-elets-2")
    boris = await create(
        client,
        "Борисова Серафима Игоревна",
        district="gryazi",
        curator_id="cur-elets-1",
        categories=["svo_family"],
    )
    await client.post(f"/passports/{boris['family_id']}/needs", json=[{"category": "housing"}])

    async def indexed() -> bool:
        everyone = await names(client)
        return len(everyone) == 3 and len(await names(client, open_need="housing")) == 1

    await eventually(indexed, what="the index to catch up")

    assert await names(client, district="elets") == [
        "Андреева Ольга Павловна",
        "Яковлева Серафима Сергеевна",
    ]
    assert await names(client, name="серафима") == [
        "Борисова Серафима Игоревна",
        "Яковлева Серафима Сергеевна",
    ]
    assert await names(client, name="СЕРАФИМА яковлева") == ["Яковлева Серафима Сергеевна"]
    assert await names(client, phone=anna["contacts"]["phones"][0].replace("+7", "8")) == [
        "Яковлева Серафима Сергеевна"
    ]
    assert await names(client, curator_id="cur-elets-1", hq="hq-gryazi") == [
        "Борисова Серафима Игоревна"
    ]
    assert await names(client, category="large_family") == []
    assert await names(client, open_need="housing") == ["Борисова Серафима Игоревна"]
    # Members are found too: the pupil's surname tag is unique to Anna's family.
    pupil = anna["members"][1]["full_name"].split()[-1]
    assert await names(client, name=pupil) == ["Яковлева Серафима Сергеевна"]

    first = (await client.get("/passports", params={"limit": 2})).json()
    assert first["total"] == 3
    assert [i["applicant_full_name"] for i in first["items"]] == [
        "Андреева Ольга Павловна",
        "Борисова Серафима Игоревна",
    ]
    second = (
        await client.get("/passports", params={"limit": 2, "after": first["next_cursor"]})
    ).json()
    assert [i["applicant_full_name"] for i in second["items"]] == ["Яковлева Серафима Сергеевна"]
    assert second["next_cursor"] is None

    bad = await client.get("/passports", params={"phone": "12"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "phone"]


async def test_index_follows_changes_and_consent_withdrawal(client: httpx.AsyncClient) -> None:
    family = await create(client, "Соколова Вера Андреевна", district="dankov")
    family_id = family["family_id"]
    await client.put(
        f"/passports/{family_id}/address",
        json={"district": "lebedyan", "hq": "hq-lebedyan", "locality": "Лебедянь"},
    )

    async def moved() -> bool:
        return await names(client, district="lebedyan") == ["Соколова Вера Андреевна"]

    await eventually(moved, what="the move reindexed")
    assert await names(client, district="dankov") == []

    await client.post(
        f"/passports/{family_id}/consent/withdrawal", json={"scope": ["personal_data"]}
    )

    async def hidden() -> bool:
        return await names(client, name="соколова") == []

    await eventually(hidden, what="names unindexed after withdrawal")
    assert await names(client, district="lebedyan") == ["скрыто"]


async def test_curators_belong_to_districts_and_workload_is_counted(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        "/curators",
        json={
            "curator_id": "cur-zadonsk-1",
            "full_name": "Орлова Инна Петровна",
            "district": "zadonsk",
        },
    )
    assert created.status_code == 201
    again = {"curator_id": "cur-zadonsk-1", "full_name": "Другая Мария", "district": "zadonsk"}
    assert (await client.post("/curators", json=again)).status_code == 409
    assert [
        c["curator_id"]
        for c in (await client.get("/curators", params={"district": "zadonsk"})).json()
    ] == ["cur-zadonsk-1"]

    mine = await create(
        client, "Лебедева Нина Олеговна", district="zadonsk", curator_id="cur-zadonsk-1"
    )
    other = await create(
        client, "Морозова Зоя Олеговна", district="elets", curator_id="cur-elets-9"
    )
    wrong_district = await client.put(
        f"/passports/{other['family_id']}/curator",
        json={"curator_id": "cur-zadonsk-1", "reason": "перевод"},
    )
    assert wrong_district.status_code == 422
    await client.post(
        f"/passports/{mine['family_id']}/needs",
        json=[{"category": "health"}, {"category": "social_legal"}],
    )
    await client.post(
        f"/passports/{mine['family_id']}/plan/items",
        json={
            "title": "Консультация юриста",
            "agency": "social_protection",
            "deadline": "2026-01-10",
        },
    )

    async def loaded() -> dict[str, Any] | None:
        load = (await client.get("/curators/cur-zadonsk-1/workload")).json()
        return load if load["open_needs"] == 2 else None

    load = await eventually(loaded, what="the workload to count the needs")
    assert load["families"] == 1
    assert load["overdue_plan_items"] == 1
    assert load["family_ids"] == [mine["family_id"]]


async def test_the_indexer_takes_redelivered_events_once_and_sends_bad_ones_to_the_dlq(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, settings = api
    anna = await create(client, "Яковлева Анна Сергеевна", district="elets")

    async def indexed() -> bool:
        return await _total(client) == 1

    await eventually(indexed, what="the index to catch up")

    # The passport's own event delivered twice more, and a PassportUpdated naming no family.
    topic = settings.topic(PASSPORT_EVENTS_TOPIC.name)
    registered, _ = (await read_topic(settings.kafka_bootstrap_servers, topic, count=1))[0]
    assert json.loads(registered)["family_id"] == anna["family_id"]
    bad = {**json.loads(registered), "type": "PassportUpdated", "family_id": "не семья"}
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for value in (registered, registered, json.dumps(bad).encode()):
            await producer.send_and_wait(topic, value, key=anna["family_id"].encode())
    finally:
        await producer.stop()
    dlq = settings.topic(dlq_topic_name(PASSPORT_EVENTS_TOPIC.name))
    dead = await read_topic(settings.kafka_bootstrap_servers, dlq, count=1)
    assert json.loads(dead[0][0])["family_id"] == "не семья"
    assert dead[0][1]["x-dlq-original-topic"] == topic

    # A change after them (the same partition): once it is indexed, so are they.
    await client.post(f"/passports/{anna['family_id']}/needs", json=[{"category": "housing"}])

    async def need_indexed() -> bool:
        return bool(await names(client, open_need="housing"))

    await eventually(need_indexed, what="the change after the redelivery to be indexed")
    # Found once, counted once.
    page = (await client.get("/passports", params={"district": "elets"})).json()
    assert [item["family_id"] for item in page["items"]] == [anna["family_id"]]
    assert page["total"] == 1
    assert await _total(client) == 1


async def _total(client: httpx.AsyncClient) -> int:
    return int((await client.get("/passports")).json()["total"])
