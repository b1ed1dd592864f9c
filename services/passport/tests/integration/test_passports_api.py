"""The passport API against the real broker and store."""

import asyncio
import copy
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from patronage_common.logging import configure_logging
from patronage_common.store import create_mongo_client
from patronage_passport.settings import PassportSettings

from tests.support.agency_client import read_events_until
from tests.support.families import passport_payload, unique_phone

pytestmark = pytest.mark.integration

SNILS = "112-233-445 95"


async def create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/passports", json=passport_payload(**overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def events_of(settings: PassportSettings, count: int) -> list[dict[str, Any]]:
    return await read_events_until(
        settings.kafka_bootstrap_servers,
        settings.topic("passport.events"),
        lambda seen: len(seen) >= count,
    )


async def test_create_read_and_registered_event(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, settings = api
    payload = passport_payload(
        needs=[{"category": "psychological", "notes": "Тревожность у детей"}]
    )
    payload["contacts"]["phones"] = ["8 (900) 555-12-34"]
    response = await client.post("/passports", json=payload)
    assert response.status_code == 201, response.text
    passport = response.json()
    assert passport["version"] == 1
    assert passport["contacts"]["phones"] == ["+79005551234"]
    assert passport["curator_history"][0]["curator_id"] == "curator-1"
    assert passport["needs"][0]["status"] == "open"
    assert passport["consent"]["recorded_by"] == "curator-1"
    again = (await client.get(f"/passports/{passport['family_id']}")).json()
    assert again == passport
    events = await events_of(settings, 2)
    assert [e["type"] for e in events] == ["PassportRegistered", "NeedRecorded"]
    registered = events[0]
    assert registered["family_id"] == passport["family_id"]
    assert registered["district"] == "lipetsk-city"
    # Events carry ids and routing facts, never names, phones or birth dates.
    text = json.dumps(events, ensure_ascii=False)
    assert "+79005551234" not in text
    assert passport["members"][0]["full_name"] not in text


async def test_duplicates_are_refused_naming_the_existing_passport(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, _ = api
    first = await create(client)
    same_phone = passport_payload(phone=first["contacts"]["phones"][0])
    response = await client.post("/passports", json=same_phone)
    assert response.status_code == 409
    assert response.json()["existing_family_id"] == first["family_id"]

    same_person = passport_payload()
    same_person["members"][0] = {
        **first["members"][0],
        "full_name": "  " + first["members"][0]["full_name"].upper().replace("Е", "Ё") + " ",
        "member_id": None,
    }
    del same_person["members"][0]["member_id"]
    response = await client.post("/passports", json=same_person)
    assert response.status_code == 409, response.text
    assert first["family_id"] in response.json()["detail"]
    # The refused passports left nothing behind: their other keys are free again.
    reused = passport_payload(phone=same_phone["contacts"]["phones"][0])
    reused["contacts"]["phones"] = [same_person["contacts"]["phones"][0]]
    assert (await client.post("/passports", json=reused)).status_code == 201


@pytest.mark.parametrize(
    ("mutate", "loc", "text"),
    [
        (
            lambda p: p["members"][1].update(birth_date="1980-01-01"),
            ["body", "members", 1, "birth_date"],
            "младше",
        ),
        (
            lambda p: p["members"][0].update(birth_date="2999-01-01"),
            ["body", "members", 0, "birth_date"],
            "будущем",
        ),
        (
            lambda p: p["members"][0].update(snils="112-233-445 96"),
            ["body", "members", 0, "snils"],
            "контрольное",
        ),
        (
            lambda p: p["contacts"].update(phones=["12345"]),
            ["body", "contacts", "phones", 0],
            "номер",
        ),
        (
            lambda p: p["consent"].update(scope=["contact"]),
            ["body", "consent", "scope"],
            "согласия",
        ),
        (lambda p: p.update(serviceman=None), ["body", "serviceman"], "военнослужащ"),
        (lambda p: p.update(categories=["large_family"]), ["body", "categories"], "трёх"),
    ],
)
async def test_invalid_passport_gets_field_level_422_and_nothing_is_stored(
    api: tuple[httpx.AsyncClient, PassportSettings],
    mutate: Callable[[dict[str, Any]], None],
    loc: list[Any],
    text: str,
) -> None:
    client, settings = api
    payload = passport_payload()
    mutate(payload)
    response = await client.post("/passports", json=payload)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(e["loc"] == loc and text in e["msg"] for e in errors), errors
    mongo = create_mongo_client(settings)
    try:
        db = mongo[settings.database_name]
        assert await db["passports"].count_documents({}) == 0
        assert await db["passport_keys"].count_documents({}) == 0
    finally:
        await mongo.close()
    # The same phone can then be used: nothing of the refused passport was kept.
    fixed = passport_payload(
        phone=payload["contacts"]["phones"][0]
        if "12345" not in payload["contacts"]["phones"]
        else None
    )
    assert (await client.post("/passports", json=fixed)).status_code == 201


async def test_section_updates_are_versioned_and_readable_as_of_a_date(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, settings = api
    passport = await create(client)
    family = passport["family_id"]
    before_move = datetime.now(UTC)
    await asyncio.sleep(0.05)
    moved = await client.put(
        f"/passports/{family}/address",
        json={
            "district": "elets",
            "hq": "hq-elets",
            "locality": "Елец",
            "street": "ул. Мира",
            "house": "5",
        },
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == 2
    contacts = await client.put(
        f"/passports/{family}/contacts",
        json={
            "phones": [unique_phone()],
            "telegram": "@maria_family",
            "preferred_channel": "telegram",
        },
    )
    assert contacts.json()["version"] == 3

    history = (await client.get(f"/passports/{family}/history")).json()
    assert [(h["version"], h["sections"]) for h in history] == [
        (1, ["created"]),
        (2, ["address"]),
        (3, ["contacts"]),
    ]
    assert {h["changed_by"] for h in history} == {"curator-1"}
    then = (
        await client.get(f"/passports/{family}", params={"as_of": before_move.isoformat()})
    ).json()
    assert then["version"] == 1
    assert then["address"]["district"] == "lipetsk-city"
    now = (await client.get(f"/passports/{family}")).json()
    assert now["address"]["district"] == "elets"
    assert now["contacts"]["telegram"] == "@maria_family"
    events = await events_of(settings, 3)
    updated = [e for e in events if e["type"] == "PassportUpdated"]
    assert [(e["version"], e["sections"]) for e in updated] == [(2, ["address"]), (3, ["contacts"])]


async def test_an_invalid_section_update_changes_nothing(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, _ = api
    passport = await create(client)
    members = copy.deepcopy(passport["members"])
    members[1]["birth_date"] = "1970-01-01"  # the pupil would be older than his mother
    response = await client.put(
        f"/passports/{passport['family_id']}/members", json={"members": members}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "members", 1, "birth_date"]
    assert (await client.get(f"/passports/{passport['family_id']}")).json() == passport


async def test_serviceman_status_curator_needs_plan_and_consent(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, settings = api
    family = (await create(client))["family_id"]

    wounded = await client.post(
        f"/passports/{family}/serviceman/status",
        json={"status": "wounded", "since": "2026-10-01", "note": "Осколочное ранение"},
    )
    assert wounded.json()["serviceman"]["status"] == "wounded"
    assert wounded.json()["serviceman"]["status_history"][-1]["note"] == "Осколочное ранение"

    reassigned = await client.put(
        f"/passports/{family}/curator",
        json={"curator_id": "curator-2", "reason": "Отпуск куратора"},
    )
    history = reassigned.json()["curator_history"]
    assert [(h["curator_id"], h["until"] is None) for h in history] == [
        ("curator-1", False),
        ("curator-2", True),
    ]
    same = await client.put(
        f"/passports/{family}/curator", json={"curator_id": "curator-2", "reason": "ещё раз"}
    )
    assert same.status_code == 422

    needs = await client.post(f"/passports/{family}/needs", json=[{"category": "childcare"}])
    need_id = needs.json()["needs"][0]["need_id"]
    plan = await client.post(
        f"/passports/{family}/plan/items",
        json={
            "title": "Няня на время работы",
            "agency": "social_protection",
            "deadline": "2026-12-31",
            "need_id": need_id,
        },
    )
    item_id = plan.json()["plan_items"][0]["plan_item_id"]
    done = await client.patch(f"/passports/{family}/plan/items/{item_id}", json={"status": "done"})
    assert done.json()["plan_items"][0]["status"] == "done"
    met = await client.patch(f"/passports/{family}/needs/{need_id}", json={"status": "met"})
    assert met.json()["needs"][0]["status"] == "met"
    missing = await client.patch(f"/passports/{family}/needs/{item_id}", json={"status": "met"})
    assert missing.status_code == 404

    withdrawn = await client.post(
        f"/passports/{family}/consent/withdrawal",
        json={"scope": ["contact"], "reason": "Просили не звонить"},
    )
    assert withdrawn.json()["contacts"] is None
    assert withdrawn.json()["restricted_scopes"] == ["contact"]

    events = await events_of(settings, 15)
    types = [e["type"] for e in events]
    for expected in (
        "ServicemanStatusChanged",
        "CuratorAssigned",
        "NeedRecorded",
        "PlanItemAdded",
        "PlanItemStatusChanged",
        "NeedClosed",
        "ConsentWithdrawn",
    ):
        assert expected in types
    consent = next(e for e in events if e["type"] == "ConsentWithdrawn")
    assert consent["curator_id"] == "curator-2"  # the curator is told
    status = next(e for e in events if e["type"] == "ServicemanStatusChanged")
    assert (status["previous_status"], status["status"]) == ("serving", "wounded")


async def test_sensitive_fields_are_encrypted_at_rest_and_logs_hold_no_personal_data(
    api: tuple[httpx.AsyncClient, PassportSettings], capsys: pytest.CaptureFixture[str]
) -> None:
    client, settings = api
    configure_logging("passport", level="DEBUG", json=True)  # as the service process does
    logging.getLogger("patronage.test").info("log capture works")
    payload = passport_payload()
    payload["members"][0]["snils"] = SNILS
    payload["members"][2]["disability"] = {
        "group": "child",
        "notes": "Детский церебральный паралич",
    }
    payload["serviceman"]["status_note"] = "Находится в госпитале им. Бурденко"
    passport = await create(client, **{k: payload[k] for k in ("members", "serviceman")})
    family = passport["family_id"]
    await client.post(
        f"/passports/{family}/serviceman/status",
        json={
            "status": "in_rehabilitation",
            "since": "2026-11-01",
            "note": "Реабилитация после контузии",
        },
    )
    read = (await client.get(f"/passports/{family}")).json()
    assert read["members"][0]["snils"] == SNILS
    assert read["members"][2]["disability"]["notes"] == "Детский церебральный паралич"

    mongo = create_mongo_client(settings)
    try:
        db = mongo[settings.database_name]
        raw = [d async for d in db["passports"].find({})] + [
            d async for d in db["passport_versions"].find({})
        ]
    finally:
        await mongo.close()
    dumped = json.dumps(raw, default=str, ensure_ascii=False)
    for secret in ("112-233-445", "церебральный", "Бурденко", "контузии"):
        assert secret not in dumped
    assert "enc:" in dumped

    logged = capsys.readouterr().out
    assert "log capture works" in logged
    assert "Command succeeded" not in logged  # pymongo's payload logging stays off
    for personal in (
        passport["members"][0]["full_name"],
        passport["contacts"]["phones"][0],
        SNILS,
        "Бурденко",
    ):
        assert personal not in logged


async def test_concurrent_changes_are_both_kept_as_successive_versions(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, _ = api
    family = (await create(client))["family_id"]
    results = await asyncio.gather(
        client.post(f"/passports/{family}/needs", json=[{"category": "housing"}]),
        client.post(f"/passports/{family}/needs", json=[{"category": "health"}]),
        client.put(
            f"/passports/{family}/curator", json={"curator_id": "curator-9", "reason": "смена"}
        ),
    )
    assert [r.status_code for r in results] == [201, 201, 200]
    final = (await client.get(f"/passports/{family}")).json()
    assert final["version"] == 4
    assert sorted(n["category"] for n in final["needs"]) == ["health", "housing"]
    assert final["curator_id"] == "curator-9"
    history = (await client.get(f"/passports/{family}/history")).json()
    assert [h["version"] for h in history] == [1, 2, 3, 4]


async def test_serviceman_categories_and_plan_review_sections(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, _ = api
    passport = await create(client)
    family = passport["family_id"]
    serviceman = {**passport["serviceman"], "service_kind": "contract", "status_history": []}
    replaced = await client.put(f"/passports/{family}/serviceman", json=serviceman)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["serviceman"]["service_kind"] == "contract"

    large = await client.put(
        f"/passports/{family}/categories", json={"categories": ["svo_family", "large_family"]}
    )
    assert large.status_code == 422  # two minors only
    assert large.json()["detail"][0]["loc"] == ["body", "categories"]

    review = await client.put(
        f"/passports/{family}/plan/review-date", json={"review_date": "2027-01-15"}
    )
    assert review.json()["plan_review_date"] == "2027-01-15"
    history = (await client.get(f"/passports/{family}/history")).json()
    assert [h["sections"] for h in history][1:] == [["serviceman"], ["plan"]]


async def test_history_says_which_fields_each_version_changed(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, settings = api
    passport = await create(client)
    family = passport["family_id"]
    contacts = {**passport["contacts"], "telegram": "@petrova_m", "preferred_channel": "telegram"}
    assert (await client.put(f"/passports/{family}/contacts", json=contacts)).status_code == 200
    after_contacts = datetime.now(UTC)
    await asyncio.sleep(0.05)
    applicant, pupil, toddler = passport["members"]
    newborn = {
        "relation": "child",
        "full_name": "Новикова Ева Андреевна",
        "birth_date": "2025-06-01",
    }
    ill_pupil = {**pupil, "disability": {"group": "child", "notes": "Сахарный диабет 1 типа"}}
    members = await client.put(
        f"/passports/{family}/members", json={"members": [applicant, ill_pupil, newborn]}
    )
    assert members.status_code == 200, members.text
    newborn_id = next(
        m["member_id"] for m in members.json()["members"] if m["birth_date"] == "2025-06-01"
    )

    history = (await client.get(f"/passports/{family}/history")).json()
    assert [(h["version"], h["sections"], h["changed_by"]) for h in history] == [
        (1, ["created"], "curator-1"),
        (2, ["contacts"], "curator-1"),
        (3, ["members"], "curator-1"),
    ]
    assert history[0]["changes"] == []
    assert history[1]["changes"] == [
        {
            "path": "contacts.telegram",
            "kind": "added",
            "old": None,
            "new": "@petrova_m",
            "hidden": False,
        },
        {
            "path": "contacts.preferred_channel",
            "kind": "changed",
            "old": "phone",
            "new": "telegram",
            "hidden": False,
        },
    ]
    member_changes = {c["path"]: c for c in history[2]["changes"]}
    assert set(member_changes) == {
        f"members[{pupil['member_id']}].disability",
        f"members[{toddler['member_id']}]",
        f"members[{newborn_id}]",
    }
    assert member_changes[f"members[{toddler['member_id']}]"]["kind"] == "removed"
    assert (
        member_changes[f"members[{toddler['member_id']}]"]["old"]["full_name"]
        == toddler["full_name"]
    )
    assert member_changes[f"members[{newborn_id}]"]["kind"] == "added"
    assert member_changes[f"members[{pupil['member_id']}].disability"]["new"]["notes"] == (
        "Сахарный диабет 1 типа"
    )

    then = await client.get(f"/passports/{family}", params={"as_of": after_contacts.isoformat()})
    assert then.json()["version"] == 2
    assert then.json()["contacts"]["telegram"] == "@petrova_m"
    assert [m["full_name"] for m in then.json()["members"]][2] == toddler["full_name"]

    mongo = create_mongo_client(settings)
    try:
        db = mongo[settings.database_name]
        raw = [d async for d in db["passports"].find({"_id": family})] + [
            d async for d in db["passport_versions"].find({"family_id": family})
        ]
    finally:
        await mongo.close()
    assert "Сахарный диабет" not in json.dumps(raw, default=str, ensure_ascii=False)

    withdrawn = await client.post(
        f"/passports/{family}/consent/withdrawal", json={"scope": ["personal_data"]}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    restricted = (await client.get(f"/passports/{family}/history")).json()
    shown = json.dumps(restricted, ensure_ascii=False)
    for personal in ("@petrova_m", toddler["full_name"], "Сахарный диабет"):
        assert personal not in shown
    assert restricted[1]["changes"][0] == {
        "path": "contacts.telegram",
        "kind": "added",
        "old": None,
        "new": None,
        "hidden": True,
    }
    assert [c["path"] for c in restricted[3]["changes"]] == [
        "consent.withdrawn",
        "restricted_scopes",
    ]
