"""Proactive rules end to end: the passport service, the requests service, real Kafka and store.

The requests service runs by a test clock; moving it makes the calendar run (every 0.2 s)
see another day.
"""

import json
import random
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from patronage_common.testing import eventually, free_port, serve
from patronage_passport.main import create_app as create_passport
from patronage_passport.settings import PassportSettings
from patronage_requests.main import create_app as create_requests
from patronage_requests.proactive import evaluation, flows, service
from patronage_requests.proactive.engine import ProactiveEngine
from patronage_requests.settings import RequestsSettings

from tests.support.agency_client import read_events_until
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Europe/Moscow")).date()


class MovableClock:
    """Today's date as the test sets it."""

    def __init__(self) -> None:
        self.today = TODAY

    def __call__(self) -> date:
        return self.today


class Services:
    """The two apps, their clients and the requests service's clock and internals."""

    def __init__(self, app: Any, passport: httpx.AsyncClient, requests: httpx.AsyncClient) -> None:
        self.app = app
        self.passport = passport
        self.requests = requests
        self.clock: MovableClock = app.state.proactive.clock
        self.settings: RequestsSettings = app.state.runtime.settings

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    @property
    def engine(self) -> ProactiveEngine:
        engine: ProactiveEngine = self.app.state.proactive
        return engine

    async def register(self, payload: dict[str, Any]) -> str:
        response = await self.passport.post("/passports", json=payload)
        assert response.status_code == 201, response.text
        return str(response.json()["family_id"])

    async def firings(self, rule: str, family_id: str) -> list[dict[str, Any]]:
        response = await self.requests.get(
            f"/proactive-rules/{rule}/firings", params={"family_id": family_id}
        )
        assert response.status_code == 200, response.text
        return list(response.json())

    async def done_firings(self, rule: str, family_id: str, count: int = 1) -> list[dict[str, Any]]:
        async def probe() -> list[dict[str, Any]] | None:
            found = await self.firings(rule, family_id)
            done = [f for f in found if f["status"] == "done"]
            return found if len(done) >= count else None

        return await eventually(probe, what=f"{count} done firing(s) of {rule}")

    async def request(self, request_id: str) -> dict[str, Any]:
        response = await self.requests.get(f"/requests/{request_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def facts_known(self, family_id: str) -> None:
        async def probe() -> bool:
            facts = await service.get_facts(db=self.runtime.db, family_id=family_id)
            return bool(facts and "members" in facts)

        await eventually(probe, what="the family's facts")

    async def requests_events(
        self, done: Callable[[list[dict[str, Any]]], bool]
    ) -> list[dict[str, Any]]:
        return await read_events_until(
            self.settings.kafka_bootstrap_servers, self.settings.topic("requests.events"), done
        )

    async def publish_passport_event(self, event: dict[str, Any]) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(
                self.settings.topic("passport.events"),
                json.dumps(event).encode(),
                key=event["family_id"].encode(),
            )
        finally:
            await producer.stop()


@pytest.fixture
async def services(make_settings: Callable[..., Any]) -> AsyncIterator[Services]:
    passport_port, requests_port = free_port(), free_port()
    passport_settings = make_settings(PassportSettings, http_port=passport_port)
    requests_settings = make_settings(
        RequestsSettings,
        http_port=requests_port,
        passport_url=f"http://127.0.0.1:{passport_port}",
        proactive_calendar_interval_s=0.2,
        proactive_retry_after_s=0.5,
    )
    app = create_requests(requests_settings, clock=MovableClock())
    async with (
        serve(create_passport(passport_settings), passport_port) as passport_url,
        serve(app, requests_port) as requests_url,
        httpx.AsyncClient(base_url=passport_url) as passport,
        httpx.AsyncClient(base_url=requests_url) as requests,
    ):
        yield Services(app, passport, requests)


def proactive_created(events: list[dict[str, Any]], family_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if e["type"] == "RequestCreated"
        and e["family_id"] == family_id
        and e["channel"] == "proactive_rule"
    ]


def applicant(**facts: Any) -> dict[str, Any]:
    name = "Орлова Мария Ивановна " + "".join(random.choices("абвгдежзиклмнопрст", k=6))
    return {"relation": "applicant", "full_name": name, "birth_date": "1990-05-17", **facts}


def child(name: str, birth: date, **facts: Any) -> dict[str, Any]:
    return {"relation": "child", "full_name": name, "birth_date": birth.isoformat(), **facts}


async def test_the_rules_are_listed_in_the_api(services: Services) -> None:
    listed = (await services.requests.get("/proactive-rules")).json()
    by_code = {r["code"]: r for r in listed}
    assert set(by_code) == {
        "serviceman_wounded",
        "child_turns_3_no_kindergarten",
        "school_year_meals",
        "expected_birth_maternity",
        "no_contact_30_days",
    }
    wounded = by_code["serviceman_wounded"]
    assert wounded["title"] == "Ранение военнослужащего"
    assert wounded["trigger"]["event"] == "ServicemanStatusChanged"
    assert wounded["fact_key"] == "{family_id}:wounded:{effective_date}"
    assert [a["request"] for a in wounded["actions"]] == ["psychological", "health"]
    one = await services.requests.get("/proactive-rules/no_contact_30_days")
    assert one.json()["trigger"]["calendar"] == "no_contact"
    missing = await services.requests.get("/proactive-rules/no_such_rule/firings")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "правило no_such_rule не найдено"


async def test_a_wound_opens_psychological_and_health_requests_once_however_often_reported(
    services: Services,
) -> None:
    family_id = await services.register(passport_payload())
    since = TODAY - timedelta(days=2)
    changed = await services.passport.post(
        f"/passports/{family_id}/serviceman/status",
        json={"status": "wounded", "since": since.isoformat()},
    )
    assert changed.status_code == 200, changed.text
    [firing] = await services.done_firings("serviceman_wounded", family_id)
    assert firing["fact_key"] == f"{family_id}:wounded:{since}"
    opened = [await services.request(r) for r in firing["request_ids"]]
    assert sorted(r["category"] for r in opened) == ["health", "psychological"]
    assert {(r["channel"], r["created_by"], r["urgency"]) for r in opened} == {
        ("proactive_rule", "rule:serviceman_wounded", "urgent")
    }
    assert {t["agency"] for r in opened for t in r["tasks"]} == {"health", "psychological_help"}

    # The same event delivered again, and the same wound reported again as a new event.
    passport_events = await read_events_until(
        services.settings.kafka_bootstrap_servers,
        services.settings.topic("passport.events"),
        lambda seen: any(e["type"] == "ServicemanStatusChanged" for e in seen),
    )
    wound = next(e for e in passport_events if e["type"] == "ServicemanStatusChanged")
    await services.publish_passport_event(wound)
    await services.publish_passport_event({**wound, "event_id": str(uuid4())})
    # Then a second wound: once it has fired, the repeats before it were handled too.
    second = (TODAY - timedelta(days=1)).isoformat()
    await services.publish_passport_event(
        {**wound, "event_id": str(uuid4()), "effective_date": second}
    )
    firings = await services.done_firings("serviceman_wounded", family_id, count=2)
    assert sorted(f["fact_key"] for f in firings) == [
        f"{family_id}:wounded:{since}",
        f"{family_id}:wounded:{second}",
    ]
    # Read up to the second wound's requests: any extra request would come before them.
    last = {r for f in firings if f["fact_key"].endswith(second) for r in f["request_ids"]}
    events = await services.requests_events(
        lambda seen: last <= {e["request_id"] for e in proactive_created(seen, family_id)}
    )
    created = proactive_created(events, family_id)
    assert len(created) == 4
    assert sorted(e["category"] for e in created) == ["health"] * 2 + ["psychological"] * 2


async def test_a_child_turning_3_without_kindergarten_gets_one_education_request(
    services: Services,
) -> None:
    birthday = TODAY + timedelta(days=2)
    born = evaluation.add_years(birthday, -3)
    payload = passport_payload(
        members=[
            applicant(),
            child("Орлов Илья Андреевич", born, preschool={"needs_place": True}),
            child("Орлова Вера Андреевна", born, preschool={"kindergarten": "Детский сад № 7"}),
        ]
    )
    family_id = await services.register(payload)
    await services.facts_known(family_id)
    assert await services.firings("child_turns_3_no_kindergarten", family_id) == []

    services.clock.today = birthday
    [firing] = await services.done_firings("child_turns_3_no_kindergarten", family_id)
    passport = (await services.passport.get(f"/passports/{family_id}")).json()
    without_place = next(m for m in passport["members"] if m["full_name"].startswith("Орлов Илья"))
    assert firing["fact_key"] == f"{family_id}:{without_place['member_id']}:{birthday}"
    [request_id] = firing["request_ids"]
    request = await services.request(request_id)
    assert (request["category"], request["channel"]) == ("education", "proactive_rule")
    assert f"исполнилось 3 года ({birthday})" in request["description"]

    # The next days' runs (and a rerun of the same day) fire nothing more.
    for day in (birthday, birthday + timedelta(days=1), birthday + timedelta(days=2)):
        services.clock.today = day
        await flows.run_calendar(runtime=services.runtime, engine=services.engine)
    # A second replica running the birthday again, whose cursor is behind.
    services.clock.today = birthday
    await services.runtime.db[service.CALENDAR].delete_one({"_id": service.CURSOR_ID})
    await flows.run_calendar(runtime=services.runtime, engine=services.engine)
    # The passport changes: the facts arrive again, and the sister lost her place.
    members = passport["members"]
    sister = next(m for m in members if m["full_name"].startswith("Орлова Вера"))
    sister["preschool"] = {"needs_place": True}
    updated = await services.passport.put(
        f"/passports/{family_id}/members", json={"members": members}
    )
    assert updated.status_code == 200, updated.text
    firings = await services.done_firings("child_turns_3_no_kindergarten", family_id, count=2)
    assert sorted(f["fact_key"] for f in firings) == sorted(
        f"{family_id}:{m['member_id']}:{birthday}" for m in (without_place, sister)
    )
    sister_request = next(f for f in firings if sister["member_id"] in f["fact_key"])
    # A curator's request afterwards: any second proactive request would come before it.
    marker = await services.requests.post(
        "/requests",
        json={"family_id": family_id, "category": "housing", "description": "Ремонт крыши"},
        headers={"X-Actor": "curator-1"},
    )
    assert marker.status_code == 201, marker.text
    events = await services.requests_events(
        lambda seen: any(e.get("request_id") == marker.json()["request_id"] for e in seen)
    )
    assert [e["request_id"] for e in proactive_created(events, family_id)] == [
        request_id,
        *sister_request["request_ids"],
    ]


async def test_the_school_year_start_opens_a_school_meals_check_for_pupils(
    services: Services,
) -> None:
    family_id = await services.register(passport_payload())  # a 4th-grade pupil
    await services.facts_known(family_id)
    first_school_day = date(TODAY.year + (date(TODAY.year, 9, 1) <= TODAY), 9, 1)

    services.clock.today = first_school_day
    [firing] = await services.done_firings("school_year_meals", family_id)
    assert firing["fact_key"] == f"{family_id}:{first_school_day.year}"
    request = await services.request(firing["request_ids"][0])
    assert request["category"] == "education"
    assert "бесплатного питания" in request["description"]
    assert "школьников — 1" in request["description"]


async def test_a_near_birth_opens_maternity_support(services: Services) -> None:
    expected = TODAY + timedelta(days=40)
    payload = passport_payload(
        categories=["pregnant_woman"],
        serviceman=None,
        members=[applicant(pregnancy={"expected_date": expected.isoformat()})],
    )
    family_id = await services.register(payload)
    await services.facts_known(family_id)
    services.clock.today = TODAY + timedelta(days=9)
    await flows.run_calendar(runtime=services.runtime, engine=services.engine)
    assert await services.firings("expected_birth_maternity", family_id) == []

    services.clock.today = TODAY + timedelta(days=10)
    [firing] = await services.done_firings("expected_birth_maternity", family_id)
    request = await services.request(firing["request_ids"][0])
    assert request["category"] == "material"
    assert [t["agency"] for t in request["tasks"]] == ["social_protection"]
    assert expected.isoformat() in request["description"]


async def test_thirty_days_without_contact_give_the_curator_a_task(services: Services) -> None:
    silent = await services.register(passport_payload(curator_id="curator-7"))
    called = await services.register(passport_payload(curator_id="curator-7"))
    await services.facts_known(silent)
    await services.facts_known(called)
    # The curator talked to the second family ten days later (a passport change then).
    passport_events = await read_events_until(
        services.settings.kafka_bootstrap_servers,
        services.settings.topic("passport.events"),
        lambda seen: any(e["family_id"] == called for e in seen),
    )
    registered = next(e for e in passport_events if e["family_id"] == called)
    later = TODAY + timedelta(days=10)
    await services.publish_passport_event(
        {
            **registered,
            "event_id": str(uuid4()),
            "type": "PassportUpdated",
            "occurred_at": f"{later.isoformat()}T12:00:00+00:00",
            "version": 2,
            "sections": ["contacts"],
            "changed_by": "curator-7",
        }
    )

    async def contact_moved() -> bool:
        facts = await service.get_facts(db=services.runtime.db, family_id=called)
        return bool(facts and facts.get("last_contact") == later.isoformat())

    await eventually(contact_moved, what="the later contact recorded")
    services.clock.today = TODAY + timedelta(days=29)
    await flows.run_calendar(runtime=services.runtime, engine=services.engine)
    assert await services.firings("no_contact_30_days", silent) == []

    services.clock.today = TODAY + timedelta(days=30)
    [firing] = await services.done_firings("no_contact_30_days", silent)
    assert firing["fact_key"] == f"{silent}:{TODAY}"
    [task_id] = firing["curator_task_ids"]
    events = await services.requests_events(
        lambda seen: any(e["type"] == "CuratorTaskCreated" for e in seen)
    )
    [task] = [e for e in events if e["type"] == "CuratorTaskCreated"]
    assert task["task_id"] == task_id
    assert (task["family_id"], task["curator_id"], task["rule_code"]) == (
        silent,
        "curator-7",
        "no_contact_30_days",
    )
    assert task["title"] == "Связаться с семьёй"
    assert f"с {TODAY}" in task["description"]
    assert task["district"] == "lipetsk-city"
    await flows.run_calendar(runtime=services.runtime, engine=services.engine)
    assert await services.firings("no_contact_30_days", called) == []


async def test_a_firing_interrupted_after_its_claim_is_finished_without_duplicates(
    services: Services,
) -> None:
    family_id = await services.register(passport_payload())
    rule = services.engine.rules.get("serviceman_wounded")
    assert rule is not None
    variables = {"family_id": family_id, "effective_date": TODAY.isoformat()}
    claim = evaluation.new_claim(rule, variables, today=TODAY)
    first_request, second_request = evaluation.request_ids_of(claim)
    db = services.runtime.db
    # The process stopped after claiming and opening the first request, before marking it.
    await service.mark_unfinished(db=db, claim_id=claim["_id"])
    await service.insert_claim(db=db, claim=claim)
    await flows._open_request(services.runtime, claim, 0, claim["actions"][0])
    await service.update_claim(db=db, claim_id=claim["_id"], fields={"actions.0.done": False})

    # The scheduler's sweep finishes it: the second request opens, the first not again.
    [firing] = await services.done_firings("serviceman_wounded", family_id)
    assert firing["request_ids"] == [str(first_request), str(second_request)]
    events = await services.requests_events(
        lambda seen: any(e.get("request_id") == str(second_request) for e in seen)
    )
    created = proactive_created(events, family_id)
    assert sorted(e["request_id"] for e in created) == sorted(
        [str(first_request), str(second_request)]
    )
    assert await service.unfinished_claims(db=db, older_than_s=0) == []
    # A later delivery of the same fact finds the claim done and opens nothing.
    await flows.fire(
        runtime=services.runtime, engine=services.engine, rule=rule, variables=variables
    )
    assert len(await services.firings("serviceman_wounded", family_id)) == 1
