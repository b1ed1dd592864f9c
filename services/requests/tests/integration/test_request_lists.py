"""Lists by curator and by agency, and an agency worker's decisions through the API,
against the real broker and store."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from patronage_common.identity import IDENTITY_HEADER, Identity, Role, sign_identity
from patronage_common.store import create_mongo_client, projections_of
from patronage_common.testing import eventually
from patronage_contracts import Agency
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC
from patronage_requests.help_requests.service import get_request
from patronage_requests.request_lists import service as lists
from patronage_requests.settings import RequestsSettings

from tests.support.agency_client import read_events_until
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration

SECRET = "requests-lists-identity-secret-0123456789"
HOUSING = Identity(subject="housing-1", role=Role.AGENCY_WORKER, agency=Agency.HOUSING)
EDUCATION = Identity(subject="edu-1", role=Role.AGENCY_WORKER, agency=Agency.EDUCATION)


def signed(identity: Identity) -> dict[str, str]:
    return {IDENTITY_HEADER: sign_identity(identity, SECRET)}


@pytest.fixture
def shared_settings() -> dict[str, Any]:
    return {"identity_secret": SECRET}


@pytest.fixture
def requests_settings() -> dict[str, Any]:
    return {"list_lines_fold_interval_s": 3600}  # folded by the test when it wants


async def register_family(services: dict[str, Any], curator_id: str) -> str:
    response = await services["passport"].post(
        "/passports", json=passport_payload(curator_id=curator_id)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["family_id"])


async def create(services: dict[str, Any], family_id: str, category: str = "housing") -> Any:
    response = await services["requests"].post(
        "/requests",
        json={"family_id": family_id, "category": category, "description": "Нужна помощь"},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def listed(services: dict[str, Any], **query: Any) -> list[str]:
    response = await services["requests"].get("/requests", params=query)
    assert response.status_code == 200, response.text
    return [r["request_id"] for r in response.json()]


async def test_curator_and_agency_lists_page_newest_first_and_follow_status_and_curator(
    services: dict[str, Any],
) -> None:
    curator = f"cur-{uuid.uuid4().hex[:8]}"
    family_id = await register_family(services, curator)
    created = [(await create(services, family_id))["request_id"] for _ in range(5)]
    newest_first = list(reversed(created))

    async def all_pages() -> list[str] | None:
        pages = [await listed(services, curator_id=curator, limit=2, offset=o) for o in (0, 2, 4)]
        ids = [i for page in pages for i in page]
        return ids if ids == newest_first else None

    await eventually(all_pages, what="the curator's list, two at a time")
    assert await listed(services, agency="housing", limit=10) == newest_first
    assert await listed(services, agency="education") == []

    oldest = created[0]
    cancelled = await services["requests"].post(
        f"/requests/{oldest}/cancel", json={"reason": "семья отказалась"}
    )
    assert cancelled.status_code == 200, cancelled.text

    async def moved_by_status() -> bool:
        return (
            await listed(services, curator_id=curator, status="cancelled") == [oldest]
            and await listed(services, agency="housing", status="cancelled") == [oldest]
            and await listed(services, agency="housing", status=["sent", "accepted"], limit=10)
            == newest_first[:4]
        )

    await eventually(moved_by_status, what="the cancelled request under its new status")

    # A new curator takes the family: its requests move to the new curator's list.
    reassigned = await services["passport"].put(
        f"/passports/{family_id}/curator",
        json={"curator_id": f"{curator}-new", "reason": "перераспределение нагрузки"},
    )
    assert reassigned.status_code == 200, reassigned.text

    async def moved_to_new_curator() -> bool:
        return (
            await listed(services, curator_id=f"{curator}-new", limit=10) == newest_first
            and await listed(services, curator_id=curator) == []
        )

    await eventually(moved_to_new_curator, what="the requests under the new curator")


async def test_list_queries_are_checked_in_russian(services: dict[str, Any]) -> None:
    api = services["requests"]
    none_chosen = await api.get("/requests")
    assert none_chosen.status_code == 422
    assert "укажите одно из" in none_chosen.json()["detail"][0]["msg"]
    unknown = await api.get("/requests", params={"curator_id": "c", "status": "done"})
    assert unknown.status_code == 422
    assert "неизвестный статус" in unknown.json()["detail"][0]["msg"]


async def test_agency_worker_works_the_task_through_the_api(services: dict[str, Any]) -> None:
    api = services["requests"]
    family_id = await register_family(services, "cur-inbox")
    request = await create(services, family_id)
    request_id, task_id = request["request_id"], request["tasks"][0]["task_id"]
    task_url = f"/requests/{request_id}/tasks/{task_id}"

    # Another agency's worker cannot touch the housing task.
    foreign = await api.post(f"{task_url}/accept", headers=signed(EDUCATION))
    assert foreign.status_code == 403
    assert foreign.json()["detail"] == "задача поручена другому ведомству"

    key = str(uuid.uuid4())
    accepted = await api.post(
        f"{task_url}/accept", json={"report_id": key}, headers=signed(HOUSING)
    )
    assert accepted.status_code == 200, accepted.text
    view = accepted.json()
    assert view["status"] == "accepted"
    assert view["tasks"][0]["status"] == "accepted"
    assert "accepted" not in view["tasks"][0]["next_statuses"]
    version = (await api.get(f"/requests/{request_id}")).json()["version"]

    # The same decision again (a double click, a retry) changes nothing.
    again = await api.post(f"{task_url}/accept", json={"report_id": key}, headers=signed(HOUSING))
    assert again.status_code == 200, again.text
    assert (await api.get(f"/requests/{request_id}")).json()["version"] == version

    # A new decision the task cannot make is a 409 in Russian, and nothing is recorded.
    invalid = await api.post(f"{task_url}/accept", headers=signed(HOUSING))
    assert invalid.status_code == 409
    assert invalid.json()["detail"] == "из статуса «принята» нельзя перейти в «принята»"
    assert (await api.get(f"/requests/{request_id}")).json()["version"] == version

    # Texts are required where the protocol requires them, with Russian field errors.
    no_result = await api.post(f"{task_url}/resolve", json={"result": " "}, headers=signed(HOUSING))
    assert no_result.status_code == 422
    assert no_result.json()["detail"][0]["loc"][-1] == "result"
    assert no_result.json()["detail"][0]["msg"] == "Опишите, что сделано"
    no_question = await api.post(f"{task_url}/ask", headers=signed(HOUSING))
    assert no_question.status_code == 422  # a question is its body's whole point

    asked = await api.post(
        f"{task_url}/ask", json={"question": "Какой этаж?"}, headers=signed(HOUSING)
    )
    assert asked.json()["status"] == "needs_info"
    assert asked.json()["tasks"][0]["question"] == "Какой этаж?"
    answered = await api.post(f"/requests/{request_id}/answer", json={"answer": "Пятый"})
    assert answered.json()["status"] == "accepted"
    started = await api.post(f"{task_url}/start", headers=signed(HOUSING))
    assert started.json()["status"] == "in_progress"
    resolved = await api.post(
        f"{task_url}/resolve", json={"result": "Кровля отремонтирована"}, headers=signed(HOUSING)
    )
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["tasks"][0]["note"] == "Кровля отремонтирована"
    rejected = await api.post(
        f"{task_url}/reject", json={"reason": "поздно"}, headers=signed(HOUSING)
    )
    assert rejected.status_code == 409
    assert "уже завершена" in rejected.json()["detail"]

    # The same events as an agency's status message: one task change per applied decision
    # (the idempotent repeat and the refused ones add none).
    settings = services["settings"]

    def task_changes(events: list[dict[str, Any]]) -> list[str]:
        return [
            e["status"]
            for e in events
            if e["type"] == "AgencyTaskStatusChanged" and e["request_id"] == request_id
        ]

    events = await read_events_until(
        settings.kafka_bootstrap_servers,
        settings.topic(REQUEST_EVENTS_TOPIC.name),
        lambda seen: any(
            e["type"] == "RequestStatusChanged" and e["status"] == "resolved" for e in seen
        ),
    )
    assert task_changes(events) == ["accepted", "needs_info", "in_progress", "resolved"]


async def test_lines_are_listed_before_and_after_they_are_folded_into_their_day_buckets(
    services: dict[str, Any],
) -> None:
    curator = f"cur-{uuid.uuid4().hex[:8]}"
    family_id = await register_family(services, curator)
    first = [(await create(services, family_id))["request_id"] for _ in range(2)]
    client = create_mongo_client(services["settings"])
    db = client[services["settings"].database_name]
    try:

        async def listed_newest_first(ids: list[str]) -> bool:
            return await listed(services, curator_id=curator, limit=10) == list(reversed(ids))

        await eventually(lambda: listed_newest_first(first), what="the first two listed")
        await lists.fold_lines(db=db)
        assert (
            await projections_of(db)[lists.LINES].count_documents({"scope": f"curator:{curator}"})
            == 0
        )
        assert await listed_newest_first(first)

        third = (await create(services, family_id))["request_id"]
        cancelled = await services["requests"].post(
            f"/requests/{first[0]}/cancel", json={"reason": "семья отказалась"}
        )
        assert cancelled.status_code == 200, cancelled.text

        async def cancelled_listed() -> bool:
            return await listed(services, curator_id=curator, status="cancelled") == [first[0]]

        # A folded line and its newer change not folded yet: the change wins.
        await eventually(cancelled_listed, what="the cancelled request under its new status")
        assert await listed_newest_first([*first, third])
        await lists.fold_lines(db=db)
        assert await cancelled_listed()
        assert await listed(services, curator_id=curator, status="routed") == [third, first[1]]
    finally:
        await client.close()


async def test_a_new_requests_line_from_its_events_is_the_one_its_stored_state_gives(
    services: dict[str, Any],
) -> None:
    curator = f"cur-{uuid.uuid4().hex[:8]}"
    family_id = await register_family(services, curator)
    request_id = (await create(services, family_id))["request_id"]
    client = create_mongo_client(services["settings"])
    db = client[services["settings"].database_name]
    try:
        placement_id = lists.placement_id(request_id)

        async def placed() -> Any:
            return await projections_of(db)[lists.LISTS].find_one({"_id": placement_id})

        placement = await eventually(placed, what="the new request's line placed")
        changes = await projections_of(db)[lists.LINES].count_documents({"request_id": request_id})
        # A refresh from the stored request and family finds nothing to change.
        await lists.refresh_line(db=db, request_id=request_id)
        assert (
            await projections_of(db)[lists.LINES].count_documents({"request_id": request_id})
            == changes
        )
        assert await placed() == placement
        stored = await get_request(db=db, request_id=request_id)
        assert stored is not None
        assert placement["line"] == lists.line_of(stored)
        assert placement["scopes"] == ["agency:housing", f"curator:{curator}"]
        assert await listed(services, curator_id=curator) == [request_id]
    finally:
        await client.close()


async def test_a_listing_from_events_is_used_only_for_a_request_not_listed_yet(
    services: dict[str, Any],
) -> None:
    curator = f"cur-{uuid.uuid4().hex[:8]}"
    family_id = await register_family(services, curator)
    listed_id = (await create(services, family_id))["request_id"]
    client = create_mongo_client(services["settings"])
    db = client[services["settings"].database_name]
    try:

        async def placed(request_id: str) -> Any:
            return await projections_of(db)[lists.LISTS].find_one(
                {"_id": lists.placement_id(request_id)}
            )

        placement = await eventually(lambda: placed(listed_id), what="the request listed")
        unknown = str(uuid.uuid4())  # never stored: only its events can list it
        elsewhere = lists.Listing(
            line={**placement["line"], "tasks": {"education": "sent"}},
            version=1,
            curator_id="cur-elsewhere",
            task_ids=(str(uuid.uuid4()),),
        )
        await lists.refresh_lines(
            db=db,
            request_ids=[listed_id, unknown],
            created={listed_id: elsewhere, unknown: elsewhere},
        )
        # Already listed: its line follows the stored request, not the events.
        assert await placed(listed_id) == placement
        assert (await placed(unknown))["scopes"] == ["agency:education", "curator:cur-elsewhere"]
        assert await projections_of(db)[lists.LISTS].find_one(
            {"_id": lists.task_index_id(elsewhere.task_ids[0])}
        )

        async def page(scope: str) -> list[str]:
            return await lists.page_of(
                db=db, scope=scope, statuses=(), agency=None, offset=0, limit=10
            )

        for _ in range(2):  # before and after the changes are folded into their buckets
            assert await page("curator:cur-elsewhere") == [unknown]
            assert await page(f"curator:{curator}") == [listed_id]
            assert listed_id not in await page("agency:education")
            assert listed_id in await page("agency:housing")
            await lists.fold_lines(db=db)
    finally:
        await client.close()


async def test_a_fold_packs_a_bucket_into_one_text_with_the_lines_earlier_versions_stored(
    make_settings: Callable[..., Any],
) -> None:
    settings = make_settings(RequestsSettings)
    client = create_mongo_client(settings)
    db = client[settings.database_name]
    scope = lists.agency_scope("housing")
    bucket = lists.bucket_id(scope, "2026-11-23")
    older = {
        "created_at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        "status": "routed",
        "tasks": {"housing": "sent"},
        "v": 1,
    }
    packed_before = {**older, "created_at": datetime(2026, 11, 23, 9, 30, tzinfo=UTC), "v": 2}
    newer = {**older, "created_at": datetime(2026, 11, 23, 10, 30, 0, 250000, tzinfo=UTC)}
    try:
        store = projections_of(db)
        await store[lists.LISTS].insert_many(
            [
                {"_id": scope, "days": ["2026-11-23"]},
                # As earlier versions stored lines: a document each, then a string each.
                {
                    "_id": bucket,
                    "lines": {
                        "old-request": older,
                        "packed-request": lists.packed_line(packed_before),
                    },
                },
            ]
        )
        await store[lists.LINES].insert_one(
            {
                "_id": uuid.uuid4().hex,
                "bucket": bucket,
                "scope": scope,
                "request_id": "new-request",
                "line": newer,
                "v": 1,
                "at": datetime.now(UTC),
                "n": 0,
            }
        )
        assert await lists.fold_lines(db=db) == 1

        stored = await store[lists.LISTS].find_one({"_id": bucket})
        assert stored is not None
        assert stored["lines"] == {}
        assert sorted(stored["packed"].split("\n")) == [
            f"new-request|{lists.packed_line(newer)}",
            f"old-request|{lists.packed_line(older)}",
            f"packed-request|{lists.packed_line(packed_before)}",
        ]
        assert lists.bucket_lines(stored) == {
            "new-request": newer,
            "old-request": older,
            "packed-request": packed_before,
        }
        page = await lists.page_of(
            db=db, scope=scope, statuses=["sent"], agency="housing", offset=0, limit=10
        )
        assert page == ["new-request", "packed-request", "old-request"]
        assert await store[lists.LINES].count_documents({}) == 0
    finally:
        await client.close()
