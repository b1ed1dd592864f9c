"""SLA clocks against the real broker and store, with a clock the test moves by hand.

Request events are published straight on the requests topic, as the requests service
itself publishes them; the SLA reacts to them and publishes its own events there.
"""

import asyncio
import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from patronage_common.store import create_mongo_client, projections_of
from patronage_common.testing import eventually, free_port, serve
from patronage_contracts import (
    Channel,
    Event,
    NeedCategory,
    RequestCreated,
    RequestStatus,
    RequestStatusChanged,
    Urgency,
)
from patronage_requests.main import create_app
from patronage_requests.settings import RequestsSettings
from patronage_requests.sla.clock import ControlledClock
from patronage_requests.sla.working_time import add_business_time, load_calendar

from tests.support.agency_client import read_events_until

pytestmark = pytest.mark.integration

MSK = ZoneInfo("Europe/Moscow")
DISTRICT = "Елецкий район"
SLA_TYPES = {"SlaWarning", "SlaBreached", "RequestEscalated"}


def msk(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MSK)


class Harness:
    """Publishes request events at the controlled time and reads what the SLA does."""

    def __init__(self, settings: RequestsSettings, clock: ControlledClock) -> None:
        self.settings = settings
        self.clock = clock
        self.topic = settings.topic("requests.events")
        self.producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
        self.http: httpx.AsyncClient | None = None
        self._versions: dict[uuid.UUID, tuple[int, RequestStatus]] = {}
        self._families: dict[uuid.UUID, uuid.UUID] = {}
        self._seen: dict[uuid.UUID, list[tuple[int, RequestStatus, str]]] = defaultdict(list)

    async def publish(self, event: Event) -> None:
        await self.producer.send_and_wait(
            self.topic, event.model_dump_json().encode(), key=event.key
        )

    async def create(
        self, urgency: Urgency = Urgency.NORMAL, family_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        """A request of the social-legal category: 9 h / 90 h normal, 4 h / 48 h urgent."""
        created = RequestCreated(
            family_id=family_id or uuid.uuid4(),
            request_id=uuid.uuid4(),
            category=NeedCategory.SOCIAL_LEGAL,
            urgency=urgency,
            channel=Channel.CURATOR,
            district=DISTRICT,
            hq="hq-elets",
            curator_id="curator-7",
            created_by="curator-7",
            occurred_at=self.clock.now(),
        )
        await self.publish(created)
        self._families[created.request_id] = created.family_id
        self._versions[created.request_id] = (0, RequestStatus.NEW)
        await self.move(created.request_id, RequestStatus.ROUTED)
        return created.request_id

    async def move(self, request_id: uuid.UUID, status: RequestStatus) -> None:
        """Publish the request's next status change, now, and wait until the SLA saw it."""
        version, previous = self._versions[request_id]
        await self.publish(
            RequestStatusChanged(
                family_id=self._families[request_id],
                request_id=request_id,
                version=version + 1,
                previous_status=previous,
                status=status,
                category=NeedCategory.SOCIAL_LEGAL,
                district=DISTRICT,
                changed_by="agency:social_protection",
                occurred_at=self.clock.now(),
            )
        )
        self._versions[request_id] = (version + 1, status)
        self._seen[request_id].append((version + 1, status, self.clock.now().isoformat()))
        await self.sla_until(request_id, lambda sla: sla["status"] == status.value)

    async def store_request_ahead(self, request_id: uuid.UUID, status: RequestStatus) -> None:
        """Store the request's own document in ``status``, its status event still unsent.

        This is how the store stands when the request moved on but the SLA's consumer has
        not caught up with the status events yet (after a restart or a first deploy).
        """
        client = create_mongo_client(self.settings)
        try:
            await client[self.settings.database_name]["help_requests"].insert_one(
                {
                    "_id": str(request_id),
                    "family_id": str(self._families[request_id]),
                    "status": status.value,
                    "version": self._versions[request_id][0] + 1,
                }
            )
        finally:
            await client.close()

    async def store_request(
        self,
        request_id: uuid.UUID,
        status: RequestStatus,
        *moves: tuple[RequestStatus, dt.datetime],
    ) -> None:
        """Store the request's own document after ``moves``, their status events never sent.

        Its ``status_history`` holds the moves the clocks saw, then ``moves``; it was
        last updated at the last of them.
        """
        version, _ = self._versions[request_id]
        history = [
            {"version": v, "status": s.value, "at": at} for v, s, at in self._seen[request_id]
        ]
        history += [
            {"version": version + i, "status": s.value, "at": at.isoformat()}
            for i, (s, at) in enumerate(moves, start=1)
        ]
        client = create_mongo_client(self.settings)
        try:
            await client[self.settings.database_name]["help_requests"].insert_one(
                {
                    "_id": str(request_id),
                    "family_id": str(self._families[request_id]),
                    "status": status.value,
                    "version": version + len(moves),
                    "status_history": history,
                    "updated_at": moves[-1][1] if moves else self.clock.now(),
                }
            )
        finally:
            await client.close()

    async def asap_items(self) -> list[str]:
        """What the scheduler's ``asap`` list holds: ``<request>|<token>``."""
        client = create_mongo_client(self.settings)
        try:
            found = await projections_of(client[self.settings.database_name])[
                "sla_schedule"
            ].find_one({"_id": "due:asap"})
        finally:
            await client.close()
        return list((found or {}).get("items", []))

    async def sla(self, request_id: uuid.UUID) -> httpx.Response:
        assert self.http is not None
        return await self.http.get(f"/requests/{request_id}/sla")

    async def sla_until(
        self, request_id: uuid.UUID, condition: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            response = await self.sla(request_id)
            body = response.json() if response.status_code == 200 else None
            return body if body is not None and condition(body) else None

        return await eventually(probe, what=f"SLA of {request_id} as expected")

    async def sla_events_until(
        self, request_id: uuid.UUID, *wanted: str, marker: uuid.UUID | None = None
    ) -> list[dict[str, Any]]:
        """SLA events of a request, read until each ``wanted`` (type[:clock[:level]]) is there.

        With ``marker``: read until the marker request's first-response warning is there
        too. A marker of the same family shares the partition, so whatever the scheduler
        fired for the request before the marker's warning is in what was read.
        """

        def of(request: uuid.UUID, seen: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [
                e for e in seen if e["type"] in SLA_TYPES and e.get("request_id") == str(request)
            ]

        def done(seen: list[dict[str, Any]]) -> bool:
            names = {name(e) for e in of(request_id, seen)}
            if marker is not None and "SlaWarning:first_response" not in {
                name(e) for e in of(marker, seen)
            }:
                return False
            return all(any(n.startswith(w) for n in names) for w in wanted)

        events = await read_events_until(
            self.settings.kafka_bootstrap_servers, self.topic, done, timeout_s=45
        )
        return of(request_id, events)


def name(event: dict[str, Any]) -> str:
    """``SlaWarning:first_response``, ``RequestEscalated:resolution:district_head``..."""
    parts = [event["type"], event["clock"], event.get("level")]
    return ":".join(p for p in parts if p)


def clock_of(sla: dict[str, Any], clock: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in sla["clocks"] if c["clock"] == clock)
    return found


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock(msk(3, 2, 10))  # Monday, March 2 2026, 10:00 in Moscow


PATIENT = 10_000
"""Looks a lagging record waits for its status events in most tests: as good as forever."""


@pytest.fixture
def sla_settings(make_settings: Callable[..., Any]) -> Callable[..., RequestsSettings]:
    def make(lag_rechecks: int = PATIENT) -> RequestsSettings:
        settings: RequestsSettings = make_settings(
            RequestsSettings,
            http_port=free_port(),
            sla_scan_interval_s=0.1,
            sla_lag_rechecks=lag_rechecks,
        )
        return settings

    return make


@asynccontextmanager
async def running(settings: RequestsSettings, clock: ControlledClock) -> AsyncIterator[Harness]:
    h = Harness(settings, clock)
    await h.producer.start()
    try:
        async with (
            serve(create_app(settings, sla_clock=clock), settings.http_port) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            h.http = http
            yield h
    finally:
        await h.producer.stop()


@pytest.fixture
async def harness(
    sla_settings: Callable[..., RequestsSettings], clock: ControlledClock
) -> AsyncIterator[Harness]:
    async with running(sla_settings(), clock) as h:
        yield h


async def test_a_request_gets_a_warning_then_a_breach_as_time_passes(harness: Harness) -> None:
    request_id = await harness.create()
    sla = (await harness.sla(request_id)).json()
    first = clock_of(sla, "first_response")
    # 9 working hours from Monday 10:00: Tuesday 10:00 Moscow time.
    assert dt.datetime.fromisoformat(first["due_at"]) == msk(3, 3, 10)
    assert (first["state"], first["state_label"]) == ("running", "идёт")
    assert first["clock_label"] == "первый ответ ведомства"
    assert sla["time_basis_label"] == "рабочее время по производственному календарю"

    harness.clock.set(msk(3, 2, 16, 45))  # 75 % of the working time
    events = await harness.sla_events_until(request_id, "SlaWarning:first_response")
    assert [name(e) for e in events] == ["SlaWarning:first_response"]
    warning = events[0]
    assert (warning["percent"], warning["district"], warning["curator_id"]) == (
        75,
        DISTRICT,
        "curator-7",
    )
    assert warning["hq"] == "hq-elets"
    sla = (await harness.sla(request_id)).json()
    assert clock_of(sla, "first_response")["state_label"] == "срок на исходе"

    harness.clock.set(msk(3, 3, 10))
    events = await harness.sla_events_until(request_id, "SlaBreached:first_response")
    breach = next(e for e in events if e["type"] == "SlaBreached")
    assert breach["percent"] == 100
    assert dt.datetime.fromisoformat(breach["due_at"]) == msk(3, 3, 10)
    assert breach["family_id"] == warning["family_id"]
    assert clock_of((await harness.sla(request_id)).json(), "first_response")["state_label"] == (
        "срок нарушен"
    )
    assert harness.http is not None
    overdue = (await harness.http.get("/sla/overdue", params={"district": DISTRICT})).json()
    assert [(i["request_id"], i["clock"]) for i in overdue["items"]] == [
        (str(request_id), "first_response")
    ]
    elsewhere = (await harness.http.get("/sla/overdue", params={"district": "Другой"})).json()
    assert elsewhere["items"] == []


async def test_unknown_request_and_missing_district_are_refused(harness: Harness) -> None:
    response = await harness.sla(uuid.uuid4())
    assert response.status_code == 404
    assert response.json()["detail"] == "сроки по заявке не найдены"
    assert harness.http is not None
    assert (await harness.http.get("/sla/overdue")).status_code == 422


async def test_accepted_in_time_stops_the_first_response_clock(harness: Harness) -> None:
    family = uuid.uuid4()
    request_id = await harness.create(family_id=family)
    harness.clock.set(msk(3, 2, 15))
    await harness.move(request_id, RequestStatus.ACCEPTED)
    sla = (await harness.sla(request_id)).json()
    assert clock_of(sla, "first_response")["state_label"] == "выполнено в срок"
    due = clock_of(sla, "resolution")["due_at"]

    harness.clock.set(msk(3, 3, 11))
    await harness.move(request_id, RequestStatus.ROUTED)  # handed to another agency
    assert clock_of((await harness.sla(request_id)).json(), "resolution")["due_at"] == due

    # An urgent request of the same family (same partition) warns at Tuesday 22:00, after
    # the first one's first-response deadline: once its warning is out, a breach of the
    # first request would have been published before it.
    marker = await harness.create(Urgency.URGENT, family_id=family)
    harness.clock.set(msk(3, 3, 22))
    assert await harness.sla_events_until(request_id, marker=marker) == []


async def test_needs_info_pauses_the_clocks_and_moves_the_deadline(harness: Harness) -> None:
    family = uuid.uuid4()
    request_id = await harness.create(family_id=family)
    harness.clock.set(msk(3, 2, 11))
    await harness.move(request_id, RequestStatus.ACCEPTED)
    due_before = dt.datetime.fromisoformat(
        clock_of((await harness.sla(request_id)).json(), "resolution")["due_at"]
    )
    harness.clock.set(msk(3, 2, 12))
    await harness.move(request_id, RequestStatus.NEEDS_INFO)

    harness.clock.set(msk(3, 20, 9))  # past the original deadline (March 16)
    paused = clock_of((await harness.sla(request_id)).json(), "resolution")
    assert paused["paused"] is True
    assert paused["state_label"] == "на паузе: запрошены сведения"
    assert paused["elapsed_s"] == 2 * 3600
    marker = await harness.create(Urgency.URGENT, family_id=family)
    harness.clock.set(msk(3, 20, 12))
    # Nothing fired while paused.
    assert await harness.sla_events_until(request_id, marker=marker) == []

    await harness.move(request_id, RequestStatus.IN_PROGRESS)
    resumed = clock_of((await harness.sla(request_id)).json(), "resolution")
    assert resumed["paused"] is False
    # Paused from Monday 2 March 12:00 to Friday 20 March 12:00 in working hours:
    # 6 (Mon) + 4 x 9 (Mar 3-6) + 4 x 9 (Mar 10-13; Mar 9 is a holiday) + 4 x 9
    # (Mar 16-19) + 3 (Fri) = 117 hours; the deadline moves by exactly that.
    calendar = load_calendar()
    assert dt.datetime.fromisoformat(resumed["due_at"]) == add_business_time(
        due_before, dt.timedelta(hours=117), calendar
    )
    assert resumed["elapsed_s"] == 2 * 3600


async def test_escalation_climbs_one_level_per_grace_period_and_stops_when_acted_on(
    harness: Harness,
) -> None:
    family = uuid.uuid4()
    # Urgent: calendar hours. Resolution due Wednesday 10:00; grace 4 hours.
    request_id = await harness.create(Urgency.URGENT, family_id=family)
    harness.clock.set(msk(3, 2, 11))
    await harness.move(request_id, RequestStatus.ACCEPTED)

    harness.clock.set(msk(3, 4, 10))
    await harness.sla_events_until(request_id, "SlaBreached:resolution")
    harness.clock.set(msk(3, 4, 14))
    events = await harness.sla_events_until(request_id, "RequestEscalated:resolution:district_head")
    escalated = next(e for e in events if e["type"] == "RequestEscalated")
    assert (escalated["level"], escalated["step"], escalated["district"], escalated["hq"]) == (
        "district_head",
        1,
        DISTRICT,
        "hq-elets",
    )
    assert escalated["overdue_s"] == 4 * 3600
    harness.clock.set(msk(3, 4, 18))
    await harness.sla_events_until(request_id, "RequestEscalated:resolution:hq_coordinator")

    harness.clock.set(msk(3, 4, 19))
    await harness.move(request_id, RequestStatus.IN_PROGRESS)  # somebody acts
    marker = await harness.create(Urgency.URGENT, family_id=family)  # warns at 22:00
    harness.clock.set(msk(3, 4, 22, 30))
    names = [name(e) for e in await harness.sla_events_until(request_id, marker=marker)]
    assert names == [
        "SlaWarning:resolution",
        "SlaBreached:resolution",
        "RequestEscalated:resolution:district_head",
        "RequestEscalated:resolution:hq_coordinator",
    ]


async def read_raw(settings: RequestsSettings, request_id: uuid.UUID) -> list[str]:
    """Every SLA record of a request on the topic, repeats included."""
    consumer = AIOKafkaConsumer(
        settings.topic("requests.events"),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    names = []
    try:
        while batch := await consumer.getmany(timeout_ms=2000):
            for records in batch.values():
                for record in records:
                    event = json.loads(record.value)
                    if event["type"] in SLA_TYPES and event["request_id"] == str(request_id):
                        names.append(name(event))
    finally:
        await consumer.stop()
    return names


async def test_two_replicas_fire_each_event_exactly_once(
    sla_settings: Callable[..., RequestsSettings], clock: ControlledClock
) -> None:
    first, second = sla_settings(), sla_settings()
    h = Harness(first, clock)
    await h.producer.start()
    try:
        async with AsyncExitStack() as stack:
            url = await stack.enter_async_context(
                serve(create_app(first, sla_clock=clock), first.http_port)
            )
            await stack.enter_async_context(
                serve(create_app(second, sla_clock=clock), second.http_port)
            )
            h.http = await stack.enter_async_context(httpx.AsyncClient(base_url=url))
            request_id = await h.create()
            for moment, wanted in [
                (msk(3, 2, 16, 45), "SlaWarning:first_response"),
                (msk(3, 3, 10), "SlaBreached:first_response"),
                (msk(3, 3, 14), "RequestEscalated:first_response:district_head"),
                (msk(3, 3, 18), "RequestEscalated:first_response:hq_coordinator"),
                (msk(3, 4, 13), "RequestEscalated:first_response:regional_coordinator"),
            ]:
                clock.set(moment)
                await h.sla_events_until(request_id, wanted)
            await asyncio.sleep(0)  # both replicas keep scanning until they stop
        # Both replicas have stopped: nothing more can be published.
        names = await read_raw(first, request_id)
    finally:
        await h.producer.stop()
    assert sorted(names) == sorted(
        [
            "SlaWarning:first_response",
            "SlaBreached:first_response",
            "RequestEscalated:first_response:district_head",
            "RequestEscalated:first_response:hq_coordinator",
            "RequestEscalated:first_response:regional_coordinator",
        ]
    )


async def test_what_came_due_while_the_service_was_down_fires_after_a_restart(
    sla_settings: Callable[..., RequestsSettings], clock: ControlledClock
) -> None:
    settings = sla_settings()
    h = Harness(settings, clock)
    await h.producer.start()
    try:
        async with (
            serve(create_app(settings, sla_clock=clock), settings.http_port) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            h.http = http
            request_id = await h.create()
        clock.set(msk(3, 3, 11))  # warning and breach came due while it was down
        async with (
            serve(create_app(settings, sla_clock=clock), settings.http_port) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            h.http = http
            events = await h.sla_events_until(
                request_id, "SlaWarning:first_response", "SlaBreached:first_response"
            )
    finally:
        await h.producer.stop()
    assert sorted(name(e) for e in events) == [
        "SlaBreached:first_response",
        "SlaWarning:first_response",
    ]


async def test_requests_that_moved_on_before_their_clocks_saw_it_fire_nothing(
    harness: Harness,
) -> None:
    family = uuid.uuid4()
    resolved = await harness.create(family_id=family)
    waiting = await harness.create(family_id=family)
    still_open = await harness.create(family_id=family)
    await harness.store_request_ahead(resolved, RequestStatus.RESOLVED)
    await harness.store_request_ahead(waiting, RequestStatus.NEEDS_INFO)
    await harness.store_request_ahead(still_open, RequestStatus.ROUTED)
    # The clocks of all three still run as far as their records know.
    for request_id in (resolved, waiting):
        sla = (await harness.sla(request_id)).json()
        assert (sla["status"], clock_of(sla, "first_response")["paused"]) == ("routed", False)

    # Past the first response's warning, breach and first escalation (Tuesday 14:00).
    harness.clock.set(msk(3, 3, 15))
    fired = [
        "SlaWarning:first_response",
        "SlaBreached:first_response",
        "RequestEscalated:first_response:district_head",
    ]
    # Fired in one scan, each from its own outbox document: on the topic in any order.
    events = await harness.sla_events_until(still_open, *fired)
    assert sorted(name(e) for e in events) == sorted(fired)
    marker = await harness.create(Urgency.URGENT, family_id=family)  # warns at 18:00
    harness.clock.set(msk(3, 3, 18, 30))
    assert await harness.sla_events_until(resolved, marker=marker) == []
    assert await harness.sla_events_until(waiting, marker=marker) == []
    assert harness.http is not None
    overdue = (await harness.http.get("/sla/overdue", params={"district": DISTRICT})).json()
    assert {i["request_id"] for i in overdue["items"]} == {str(still_open)}


async def test_a_running_clock_waits_until_its_record_has_seen_the_current_status(
    harness: Harness,
) -> None:
    family = uuid.uuid4()
    # Urgent: first response due Monday 14:00, resolution warning Tuesday 22:00.
    request_id = await harness.create(Urgency.URGENT, family_id=family)
    harness.clock.set(msk(3, 2, 11))
    await harness.store_request_ahead(request_id, RequestStatus.ACCEPTED)

    harness.clock.set(msk(3, 3, 23))
    marker = await harness.create(Urgency.URGENT, family_id=family)  # warns at Wed 2:00
    harness.clock.set(msk(3, 4, 2, 30))
    # Accepted: no first-response firing; the resolution clock runs, but its record has
    # not seen the acceptance yet, so it holds its warning back.
    assert await harness.sla_events_until(request_id, marker=marker) == []

    await harness.move(request_id, RequestStatus.ACCEPTED)  # the status event arrives
    events = await harness.sla_events_until(request_id, "SlaWarning:resolution")
    assert [name(e) for e in events] == ["SlaWarning:resolution"]


async def test_clocks_whose_status_events_never_come_catch_up_from_the_request(
    sla_settings: Callable[..., RequestsSettings], clock: ControlledClock
) -> None:
    async with running(sla_settings(lag_rechecks=3), clock) as harness:
        family = uuid.uuid4()
        resolved = await harness.create(family_id=family)
        # Urgent: first response due Monday 14:00, resolution warning Tuesday 22:00.
        accepted = await harness.create(Urgency.URGENT, family_id=family)
        await harness.store_request(
            resolved,
            RequestStatus.RESOLVED,
            (RequestStatus.ACCEPTED, msk(3, 2, 10, 30)),
            (RequestStatus.RESOLVED, msk(3, 2, 11)),
        )
        await harness.store_request_ahead(accepted, RequestStatus.ACCEPTED)  # no history kept

        # Past every first-response firing of both; their status events never come.
        harness.clock.set(msk(3, 3, 15))
        for request_id, status in ((resolved, "resolved"), (accepted, "accepted")):
            sla = await harness.sla_until(request_id, lambda s, st=status: s["status"] == st)
            assert clock_of(sla, "first_response")["state_label"] == "выполнено в срок"
        assert clock_of(sla, "resolution")["state"] == "running"  # accepted: it still runs

        async def nothing_looked_at_again() -> bool | None:
            items = await harness.asap_items()
            return (
                True if not any(str(r) in i for i in items for r in (resolved, accepted)) else None
            )

        await eventually(nothing_looked_at_again, what="no request looked at over and over")
        marker = await harness.create(Urgency.URGENT, family_id=family)  # warns at 18:00
        harness.clock.set(msk(3, 3, 18, 30))
        assert await harness.sla_events_until(resolved, marker=marker) == []
        assert await harness.sla_events_until(accepted, marker=marker) == []

        # The caught-up clock fires on time from then on.
        harness.clock.set(msk(3, 3, 22))
        events = await harness.sla_events_until(accepted, "SlaWarning:resolution")
        assert [name(e) for e in events] == ["SlaWarning:resolution"]


async def test_a_pause_its_clocks_never_saw_is_taken_from_the_request_history(
    sla_settings: Callable[..., RequestsSettings], clock: ControlledClock
) -> None:
    async with running(sla_settings(lag_rechecks=3), clock) as harness:
        family = uuid.uuid4()
        # Urgent: resolution due Wednesday 10:00, its warning Tuesday 22:00.
        request_id = await harness.create(Urgency.URGENT, family_id=family)
        harness.clock.set(msk(3, 2, 11))
        await harness.move(request_id, RequestStatus.ACCEPTED)
        harness.clock.set(msk(3, 2, 11, 30))
        await harness.move(request_id, RequestStatus.IN_PROGRESS)
        # Asked the family Monday 12:00, answered Tuesday 12:00: in progress again, as the
        # clocks last saw it, but neither status event reached them.
        await harness.store_request(
            request_id,
            RequestStatus.IN_PROGRESS,
            (RequestStatus.NEEDS_INFO, msk(3, 2, 12)),
            (RequestStatus.IN_PROGRESS, msk(3, 3, 12)),
        )

        harness.clock.set(msk(3, 3, 22, 30))  # past the warning as the clocks knew it
        moved = msk(3, 5, 10)  # 24 hours paused, not counted
        sla = await harness.sla_until(
            request_id,
            lambda s: dt.datetime.fromisoformat(clock_of(s, "resolution")["due_at"]) == moved,
        )
        assert clock_of(sla, "resolution")["elapsed_s"] == int(12.5 * 3600)
        marker = await harness.create(Urgency.URGENT, family_id=family)  # warns Wed 1:30
        harness.clock.set(msk(3, 4, 1, 45))
        assert await harness.sla_events_until(request_id, marker=marker) == []

        harness.clock.set(msk(3, 4, 22))  # the warning, moved by the pause
        events = await harness.sla_events_until(request_id, "SlaWarning:resolution")
        assert [name(e) for e in events] == ["SlaWarning:resolution"]
        assert dt.datetime.fromisoformat(events[0]["due_at"]) == moved
