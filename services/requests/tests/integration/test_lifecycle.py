"""A help request's whole life against the real broker and store: people's actions, agency
commands, the passport's plan, the family timeline, restarts and replicas."""

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from patronage_common.testing import eventually, free_port, serve
from patronage_passport.main import create_app as create_passport
from patronage_passport.settings import PassportSettings
from patronage_requests.main import create_app as create_requests
from patronage_requests.settings import RequestsSettings

from tests.support.agency_client import AgencyClient, read_events_until
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration

CURATOR = {"X-Actor": "curator-1"}


class Stack:
    """A passport service and any number of requests-service instances on shared settings."""

    def __init__(self, make_settings: Callable[..., Any], exits: AsyncExitStack) -> None:
        self._exits = exits
        self.passport_port = free_port()
        self.passport_settings = make_settings(PassportSettings, http_port=self.passport_port)
        self.settings: RequestsSettings = make_settings(
            RequestsSettings, passport_url=f"http://127.0.0.1:{self.passport_port}"
        )
        self.passport: httpx.AsyncClient

    async def start_passport(self) -> None:
        url = await self._exits.enter_async_context(
            serve(create_passport(self.passport_settings), self.passport_port)
        )
        self.passport = await self._exits.enter_async_context(
            httpx.AsyncClient(base_url=url, headers=CURATOR)
        )

    def agency(self, name: str) -> AgencyClient:
        return AgencyClient(self.settings.kafka_bootstrap_servers, self.settings.topic_prefix, name)

    async def events(self, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        return await read_events_until(
            self.settings.kafka_bootstrap_servers,
            self.settings.topic("requests.events"),
            done,
            timeout_s=60,
        )


@pytest.fixture
async def stack(make_settings: Callable[..., Any]) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exits:
        stack = Stack(make_settings, exits)
        await stack.start_passport()
        yield stack


@pytest.fixture
async def requests_api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    async with (
        serve(create_requests(stack.settings), port) as url,
        httpx.AsyncClient(base_url=url, headers=CURATOR) as client,
    ):
        yield client


async def new_family(stack: Stack) -> dict[str, Any]:
    response = await stack.passport.post("/passports", json=passport_payload())
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_request(
    api: httpx.AsyncClient, family_id: str, category: str, **extra: Any
) -> dict[str, Any]:
    response = await api.post(
        "/requests",
        json={"family_id": family_id, "category": category, "description": "Нужна помощь", **extra},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def next_command(agency: AgencyClient, type_: str) -> dict[str, Any]:
    message, _ = await agency.next_task()
    assert message["type"] == type_, message
    return message


async def in_status(api: httpx.AsyncClient, request_id: str, status: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        current = dict((await api.get(f"/requests/{request_id}")).json())
        return current if current["status"] == status else None

    return await eventually(probe, timeout_s=60, what=f"request {status}")


def status_changes(events: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    changes = [
        e for e in events if e["type"] == "RequestStatusChanged" and e["request_id"] == request_id
    ]
    return sorted(changes, key=lambda e: e["version"])


async def test_the_whole_life_of_a_request_split_between_two_agencies(
    stack: Stack, requests_api: httpx.AsyncClient
) -> None:
    api = requests_api
    family = await new_family(stack)
    family_id = family["family_id"]
    needs = await stack.passport.post(
        f"/passports/{family_id}/needs", json=[{"category": "childcare"}]
    )
    need_id = needs.json()["needs"][0]["need_id"]
    plan = await stack.passport.post(
        f"/passports/{family_id}/plan/items",
        json={
            "title": "Няня и место в детском саду",
            "agency": "social_protection",
            "deadline": "2026-12-31",
            "need_id": need_id,
        },
    )
    plan_item_id = plan.json()["plan_items"][0]["plan_item_id"]

    created = await create_request(
        api, family_id, "childcare", need_id=need_id, plan_item_id=plan_item_id, channel="chatbot"
    )
    request_id = created["request_id"]
    assert (created["status"], created["need_id"], created["plan_item_id"]) == (
        "routed",
        need_id,
        plan_item_id,
    )

    async def plan_item(status: str) -> dict[str, Any] | None:
        passport = (await stack.passport.get(f"/passports/{family_id}")).json()
        item = passport["plan_items"][0]
        return item if item["status"] == status and request_id in item["request_ids"] else None

    await eventually(lambda: plan_item("in_progress"), timeout_s=60, what="plan item in progress")

    async with stack.agency("social_protection") as social, stack.agency("education") as education:
        social_task = await next_command(social, "HandleHelpRequest")
        education_task = await next_command(education, "HandleHelpRequest")
        # Each agency sees only its part of the family; none sees the serviceman.
        assert [c["birth_date"] for c in education_task["children"]] == ["2016-09-01", "2022-02-11"]
        assert education_task["children"][0]["school"] == "МБОУ СОШ № 5 г. Липецка"
        assert "serviceman" not in json.dumps(education_task)
        assert education_task["household"] is None
        assert social_task["household"]["children_count"] == 2
        assert social_task["children"] == []

        await social.report(social_task, "accepted")
        await in_status(api, request_id, "accepted")
        await social.report(social_task, "needs_info", question="Нужна справка о составе семьи")
        paused = await in_status(api, request_id, "needs_info")
        asked = next(t for t in paused["tasks"] if t["agency"] == "social_protection")
        assert asked["question"] == "Нужна справка о составе семьи"

        answered = await api.post(
            f"/requests/{request_id}/answer", json={"answer": "Справка загружена в паспорт"}
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "accepted"  # where it was before the question
        info = await next_command(social, "ProvideRequestInfo")
        assert (info["task_id"], info["question"], info["answer"]) == (
            social_task["task_id"],
            "Нужна справка о составе семьи",
            "Справка загружена в паспорт",
        )

        await social.report(social_task, "resolved", result="Назначена няня")
        await education.report(education_task, "resolved", result="Место в детском саду")
        await in_status(api, request_id, "resolved")
        await eventually(lambda: plan_item("done"), timeout_s=60, what="plan item done")

        closed = await api.post(f"/requests/{request_id}/close", json={"comment": "Всё сделано"})
        assert closed.json()["status"] == "closed"
        rated = await api.post(
            f"/requests/{request_id}/feedback",
            json={"rating": 2, "comment": "Няня пришла через месяц"},
            headers={"X-Actor": "family"},
        )
        assert rated.status_code == 200, rated.text
        assert "2 из 5" in rated.json()["attention"]["reason"]
        assert (await api.get(f"/requests/{request_id}")).json()["attention"] is not None

        reopened = await api.post(
            f"/requests/{request_id}/reopen", json={"reason": "Няня перестала приходить"}
        )
        assert reopened.json()["status"] == "routed"
        assert reopened.json()["created_at"] == created["created_at"]
        for agency, task in ((social, social_task), (education, education_task)):
            again = await next_command(agency, "ReopenHelpRequest")
            assert (again["task_id"], again["reason"]) == (
                task["task_id"],
                "Няня перестала приходить",
            )
        await eventually(lambda: plan_item("in_progress"), timeout_s=60, what="plan item reopened")

    listed = (await api.get("/requests", params={"family_id": family_id})).json()
    assert [r["request_id"] for r in listed] == [request_id]

    events = await stack.events(
        lambda seen: (
            len(status_changes(seen, request_id)) >= 8
            and any(e["type"] == "CuratorAttentionRequested" for e in seen)
        )
    )
    assert [(e["previous_status"], e["status"]) for e in status_changes(events, request_id)] == [
        ("new", "routed"),
        ("routed", "accepted"),
        ("accepted", "needs_info"),
        ("needs_info", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("closed", "routed"),
    ]
    feedback = next(e for e in events if e["type"] == "FeedbackReceived")
    assert (feedback["rating"], feedback["curator_id"], feedback["district"]) == (
        2,
        "curator-1",
        "lipetsk-city",
    )
    attention = next(e for e in events if e["type"] == "CuratorAttentionRequested")
    assert attention["request_id"] == request_id
    assert "Няня пришла через месяц" in attention["reason"]

    async def timeline() -> list[dict[str, Any]] | None:
        entries = (await api.get(f"/families/{family_id}/timeline")).json()
        return entries if entries and "возобновлена" in entries[0]["text"] else None

    entries = await eventually(timeline, timeout_s=60, what="timeline up to the reopening")
    texts = [e["text"] for e in entries]
    assert texts[-1].startswith("Зарегистрирована заявка «присмотр за детьми»")
    assert "Ведомство «соцзащита» запросило сведения: Нужна справка о составе семьи" in texts
    assert "Семья оценила работу по заявке на 2 из 5: Няня пришла через месяц" in texts
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)


async def test_actions_the_state_does_not_allow_are_refused_with_409(
    stack: Stack, requests_api: httpx.AsyncClient
) -> None:
    api = requests_api
    family = await new_family(stack)
    created = await create_request(api, family["family_id"], "housing")
    request_id = created["request_id"]
    refused = {
        "close": {},
        "reopen": {"reason": "не сделали"},
        "answer": {"answer": "вот"},
        "feedback": {"rating": 5},
    }
    for action, body in refused.items():
        response = await api.post(f"/requests/{request_id}/{action}", json=body)
        assert response.status_code == 409, (action, response.text)
        assert "«направлена в ведомство»" in response.json()["detail"]
    assert (await api.get(f"/requests/{request_id}")).json()["version"] == created["version"]

    unknown_item = await api.post(
        "/requests",
        json={
            "family_id": family["family_id"],
            "category": "housing",
            "description": "Ремонт крыши",
            "plan_item_id": "00000000-0000-4000-8000-000000000000",
        },
    )
    assert unknown_item.status_code == 422
    assert unknown_item.json()["detail"][0]["loc"] == ["body", "plan_item_id"]
    missing = await api.post(
        "/requests/00000000-0000-4000-8000-000000000000/cancel", json={"reason": "ошибка"}
    )
    assert missing.status_code == 404

    cancelled = await api.post(f"/requests/{request_id}/cancel", json={"reason": "семья переехала"})
    assert cancelled.json()["status"] == "cancelled"
    again = await api.post(f"/requests/{request_id}/cancel", json={"reason": "ещё раз"})
    assert again.status_code == 409
    assert "отменена" in again.json()["detail"]
    async with stack.agency("housing") as housing:
        await next_command(housing, "HandleHelpRequest")
        stop = await next_command(housing, "CancelHelpRequest")
        assert stop["reason"] == "семья переехала"


async def test_a_task_handed_off_to_another_agency_keeps_the_request(
    stack: Stack, requests_api: httpx.AsyncClient
) -> None:
    api = requests_api
    family = await new_family(stack)
    created = await create_request(api, family["family_id"], "housing")
    request_id = created["request_id"]
    async with stack.agency("housing") as housing, stack.agency("social_protection") as social:
        housing_task = await next_command(housing, "HandleHelpRequest")
        await housing.report(housing_task, "accepted")
        await in_status(api, request_id, "accepted")

        moved = await api.post(
            f"/requests/{request_id}/reroute",
            json={
                "task_id": housing_task["task_id"],
                "agency": "social_protection",
                "reason": "ремонт оплачивает соцзащита",
            },
        )
        assert moved.status_code == 200, moved.text
        body = moved.json()
        assert (body["request_id"], body["created_at"], body["status"]) == (
            request_id,
            created["created_at"],
            "routed",
        )
        stop = await next_command(housing, "CancelHelpRequest")
        assert "соцзащита" in stop["reason"]
        social_task = await next_command(social, "HandleHelpRequest")
        assert (social_task["request_id"], social_task["handed_off_from"]) == (
            request_id,
            "housing",
        )
        assert social_task["household"] is not None
        assert social_task["address"] is None

        await housing.report(housing_task, "resolved", result="поздно")  # not theirs any more
        await social.report(social_task, "resolved", result="Крыша отремонтирована")
        resolved = await in_status(api, request_id, "resolved")
    assert [(t["agency"], t["status"]) for t in resolved["tasks"]] == [
        ("housing", "handed_off"),
        ("social_protection", "resolved"),
    ]
    events = await stack.events(
        lambda seen: any(e["type"] == "AgencyTransitionRefused" for e in seen)
    )
    refused = next(e for e in events if e["type"] == "AgencyTransitionRefused")
    assert "передана другому ведомству" in refused["reason"]
    assert any(e["type"] == "AgencyTaskReassigned" for e in events)


async def test_a_restart_in_mid_flight_loses_nothing(stack: Stack) -> None:
    family = await new_family(stack)
    port = free_port()
    async with (
        serve(create_requests(stack.settings), port) as url,
        httpx.AsyncClient(base_url=url, headers=CURATOR) as api,
    ):
        created = await create_request(api, family["family_id"], "childcare")
    request_id = created["request_id"]

    # The service is down while the agencies work and report.
    async with stack.agency("social_protection") as social, stack.agency("education") as education:
        social_task = await next_command(social, "HandleHelpRequest")
        education_task = await next_command(education, "HandleHelpRequest")
        await social.report(social_task, "accepted")
        await social.report(social_task, "resolved", result="Назначена няня")
        await education.report(education_task, "resolved", result="Место в саду")

    port = free_port()
    async with (
        serve(create_requests(stack.settings), port) as url,
        httpx.AsyncClient(base_url=url, headers=CURATOR) as api,
    ):
        resolved = await in_status(api, request_id, "resolved")
        assert {t["note"] for t in resolved["tasks"]} == {"Назначена няня", "Место в саду"}
        assert resolved["version"] == 4


async def test_two_replicas_apply_each_agency_report_exactly_once(stack: Stack) -> None:
    families = [await new_family(stack) for _ in range(4)]
    async with AsyncExitStack() as replicas:
        apis = []
        for _ in range(2):
            port = free_port()
            url = await replicas.enter_async_context(serve(create_requests(stack.settings), port))
            apis.append(
                await replicas.enter_async_context(httpx.AsyncClient(base_url=url, headers=CURATOR))
            )
        request_ids = [
            (await create_request(apis[i % 2], f["family_id"], "housing"))["request_id"]
            for i, f in enumerate(families)
        ]
        async with stack.agency("housing") as housing:
            tasks = [await next_command(housing, "HandleHelpRequest") for _ in request_ids]
            for task in tasks:
                first = await housing.report(task, "accepted")
                await housing.report(task, "accepted", event_id=first["event_id"])  # redelivery
                await housing.report(task, "in_progress")
                await housing.report(task, "resolved", result="Отремонтировано")
            for i, request_id in enumerate(request_ids):
                await in_status(apis[(i + 1) % 2], request_id, "resolved")

    events = await stack.events(
        lambda seen: all(len(status_changes(seen, r)) == 4 for r in request_ids)
    )
    for request_id in request_ids:
        changes = status_changes(events, request_id)
        assert [c["version"] for c in changes] == [1, 2, 3, 4]
        assert [c["status"] for c in changes] == ["routed", "accepted", "in_progress", "resolved"]
    applied = Counter(e["request_id"] for e in events if e["type"] == "AgencyTaskStatusChanged")
    assert applied == dict.fromkeys(request_ids, 3)
