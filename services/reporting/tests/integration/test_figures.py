"""Reporting against the real broker and store: a scripted week of events, hand-computed.

The events are the contract models, published on the topics as the passport and requests
services publish them (JSON, key = family_id), with chosen times so that every figure can
be computed by hand.
"""

import io
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from openpyxl import load_workbook
from patronage_common.idempotency import PROCESSED_COLLECTION
from patronage_common.store import create_mongo_client, projections_of
from patronage_common.testing import eventually, free_port, serve
from patronage_contracts import (
    Agency,
    AgencyTaskRef,
    AgencyTaskStatus,
    AgencyTaskStatusChanged,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    BeneficiaryCategory,
    Channel,
    ConsentWithdrawn,
    CuratorAssigned,
    Event,
    FeedbackReceived,
    MeasureAssigned,
    MeasureProvided,
    NeedCategory,
    NeedClosed,
    NeedRecorded,
    PassportRegistered,
    PlanItemAdded,
    PlanItemStatusChanged,
    RecipientRole,
    RequestCreated,
    RequestEscalated,
    RequestRouted,
    RequestStatus,
    RequestStatusChanged,
    SlaBreached,
    SlaClock,
    SlaWarning,
    SpecialistKind,
    Urgency,
    topic_of,
)
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC
from patronage_reporting.figures.histogram import bucket_of, bucket_value
from patronage_reporting.main import create_app
from patronage_reporting.projection.engine import FIGURES, STATES
from patronage_reporting.projection.handlers import EVENT_ROUTERS
from patronage_reporting.replay import replay
from patronage_reporting.settings import ReportingSettings

pytestmark = pytest.mark.integration

REGIONAL = {"X-Actor-Role": "regional_coordinator"}
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
OFFICE = "Липецк, ул. Ленина, 1"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def scenario() -> list[Event]:
    """Three families in two districts, three requests; see the test for the figures."""
    f1, f2, f3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a1, a2 = uuid.uuid4(), uuid.uuid4()
    need_a, need_b = uuid.uuid4(), uuid.uuid4()
    item_late, item_future, item_done = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    r1, r2, r3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    t1, t2, t3, t4 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    by = {"registered_by": "cur-1"}

    def created(
        family: uuid.UUID, request: uuid.UUID, cat: NeedCategory, d: str, cur: str, when: datetime
    ) -> RequestCreated:
        return RequestCreated(
            family_id=family,
            request_id=request,
            category=cat,
            urgency=Urgency.NORMAL,
            channel=Channel.CURATOR,
            district=d,
            hq=f"hq-{d}",
            curator_id=cur,
            created_by=cur,
            occurred_at=when,
        )

    def status(
        family: uuid.UUID,
        request: uuid.UUID,
        cat: NeedCategory,
        d: str,
        version: int,
        before: RequestStatus,
        after: RequestStatus,
        when: datetime,
    ) -> RequestStatusChanged:
        return RequestStatusChanged(
            family_id=family,
            request_id=request,
            version=version,
            previous_status=before,
            status=after,
            category=cat,
            district=d,
            changed_by="x",
            occurred_at=when,
        )

    def task(
        family: uuid.UUID,
        request: uuid.UUID,
        task_id: uuid.UUID,
        agency: Agency,
        s: AgencyTaskStatus,
        when: datetime,
    ) -> AgencyTaskStatusChanged:
        return AgencyTaskStatusChanged(
            family_id=family,
            request_id=request,
            task_id=task_id,
            agency=agency,
            status=s,
            occurred_at=when,
        )

    housing, psych, health = NeedCategory.HOUSING, NeedCategory.PSYCHOLOGICAL, NeedCategory.HEALTH
    return [
        PassportRegistered(
            family_id=f1,
            district="d1",
            hq="hq-d1",
            categories=(BeneficiaryCategory.SVO_FAMILY,),
            curator_id="cur-1",
            occurred_at=at(2, 9),
            **by,
        ),
        PassportRegistered(
            family_id=f2,
            district="d1",
            hq="hq-d1",
            categories=(BeneficiaryCategory.LARGE_FAMILY,),
            occurred_at=at(2, 10),
            **by,
        ),
        CuratorAssigned(
            family_id=f2,
            curator_id="cur-2",
            district="d1",
            reason="new",
            assigned_by="head",
            occurred_at=at(3, 9),
        ),
        PassportRegistered(
            family_id=f3,
            district="d2",
            hq="hq-d2",
            categories=(BeneficiaryCategory.ELDERLY_PERSON,),
            curator_id="cur-3",
            occurred_at=at(2, 11),
            **by,
        ),
        ConsentWithdrawn(
            family_id=f3, scope=("personal_data",), recorded_by="cur-3", occurred_at=at(4, 9)
        ),
        NeedRecorded(
            family_id=f1,
            need_id=need_a,
            category=housing,
            district="d1",
            recorded_by="cur-1",
            occurred_at=at(2, 12),
        ),
        NeedRecorded(
            family_id=f1,
            need_id=need_b,
            category=psych,
            district="d1",
            recorded_by="cur-1",
            occurred_at=at(2, 12),
        ),
        NeedClosed(
            family_id=f1,
            need_id=need_b,
            category=psych,
            district="d1",
            outcome="met",
            closed_by="cur-1",
            occurred_at=at(5, 12),
        ),
        MeasureAssigned(
            family_id=f1,
            measure_code="free_school_meals",
            agency="education",
            district="d1",
            assigned_by="cur-1",
            occurred_at=at(3, 12),
        ),
        MeasureAssigned(
            family_id=f1,
            measure_code="psychologist",
            agency="psychological_help",
            district="d1",
            assigned_by="cur-1",
            occurred_at=at(3, 12),
        ),
        MeasureProvided(
            family_id=f1,
            measure_code="free_school_meals",
            district="d1",
            provided_by="school",
            occurred_at=at(6, 12),
        ),
        PlanItemAdded(
            family_id=f1,
            plan_item_id=item_late,
            agency="housing",
            deadline=date(2026, 11, 5),
            occurred_at=at(3, 13),
        ),
        PlanItemAdded(
            family_id=f1,
            plan_item_id=item_future,
            agency="housing",
            deadline=date(2099, 1, 1),
            occurred_at=at(3, 13),
        ),
        PlanItemAdded(
            family_id=f1,
            plan_item_id=item_done,
            agency="housing",
            deadline=date(2026, 11, 6),
            occurred_at=at(3, 13),
        ),
        PlanItemStatusChanged(
            family_id=f1,
            plan_item_id=item_done,
            status="done",
            previous_status="planned",
            occurred_at=at(6, 13),
        ),
        # R1: housing, d1, answered after 2 h, resolved after 24 h.
        created(f1, r1, housing, "d1", "cur-1", at(10, 10)),
        RequestRouted(
            family_id=f1,
            request_id=r1,
            tasks=(AgencyTaskRef(task_id=t1, agency=Agency.HOUSING),),
            occurred_at=at(10, 10),
        ),
        status(f1, r1, housing, "d1", 1, RequestStatus.NEW, RequestStatus.ROUTED, at(10, 10)),
        task(f1, r1, t1, Agency.HOUSING, AgencyTaskStatus.ACCEPTED, at(10, 12)),
        status(f1, r1, housing, "d1", 2, RequestStatus.ROUTED, RequestStatus.ACCEPTED, at(10, 12)),
        task(f1, r1, t1, Agency.HOUSING, AgencyTaskStatus.RESOLVED, at(11, 10)),
        status(
            f1, r1, housing, "d1", 3, RequestStatus.ACCEPTED, RequestStatus.RESOLVED, at(11, 10)
        ),
        # R2: psychological, d1, two agencies; one answered after 30 min; still open.
        created(f1, r2, psych, "d1", "cur-1", at(12, 8)),
        RequestRouted(
            family_id=f1,
            request_id=r2,
            tasks=(
                AgencyTaskRef(task_id=t2, agency=Agency.PSYCHOLOGICAL_HELP),
                AgencyTaskRef(task_id=t3, agency=Agency.SOCIAL_PROTECTION),
            ),
            occurred_at=at(12, 8),
        ),
        status(f1, r2, psych, "d1", 1, RequestStatus.NEW, RequestStatus.ROUTED, at(12, 8)),
        task(f1, r2, t2, Agency.PSYCHOLOGICAL_HELP, AgencyTaskStatus.ACCEPTED, at(12, 8, 30)),
        status(f1, r2, psych, "d1", 2, RequestStatus.ROUTED, RequestStatus.ACCEPTED, at(12, 8, 30)),
        # R3: health, d2, no answer yet.
        created(f3, r3, health, "d2", "cur-3", at(15, 9)),
        RequestRouted(
            family_id=f3,
            request_id=r3,
            tasks=(AgencyTaskRef(task_id=t4, agency=Agency.HEALTH),),
            occurred_at=at(15, 9),
        ),
        status(f3, r3, health, "d2", 1, RequestStatus.NEW, RequestStatus.ROUTED, at(15, 9)),
        # R3's first-response clock warns, then breaches; nobody has answered.
        SlaWarning(**sla_fields(f3, r3, health, "d2", "cur-3"), occurred_at=at(15, 15)),
        SlaBreached(**sla_fields(f3, r3, health, "d2", "cur-3"), occurred_at=at(16, 9)),
        # Still untouched: escalated to the district head, then to the HQ coordinator.
        RequestEscalated(
            **sla_fields(f3, r3, health, "d2", "cur-3"),
            level=RecipientRole.DISTRICT_HEAD,
            step=1,
            overdue_s=4 * 3600,
            occurred_at=at(16, 13),
        ),
        RequestEscalated(
            **sla_fields(f3, r3, health, "d2", "cur-3"),
            level=RecipientRole.HQ_COORDINATOR,
            step=2,
            overdue_s=24 * 3600,
            occurred_at=at(17, 9),
        ),
        # Appointments: F1 with a psychologist (moved to another one), F2 with a lawyer
        # (cancelled).
        AppointmentBooked(
            family_id=f1,
            appointment_id=a1,
            specialist_id="psy-1",
            specialist_kind=SpecialistKind.PSYCHOLOGIST,
            specialist_title="Психолог Орлова Е. С.",
            office_address=OFFICE,
            starts_at=at(20, 9),
            ends_at=at(20, 10),
            booked_by="disp-1",
            district="d1",
            hq="hq-d1",
            occurred_at=at(12, 10),
        ),
        AppointmentBooked(
            family_id=f2,
            appointment_id=a2,
            specialist_id="law-1",
            specialist_kind=SpecialistKind.LAWYER,
            specialist_title="Юрист Петров И. И.",
            office_address=OFFICE,
            starts_at=at(20, 11),
            ends_at=at(20, 12),
            booked_by="disp-1",
            district="d2",
            hq="hq-d2",
            occurred_at=at(13, 10),
        ),
        AppointmentRescheduled(
            family_id=f1,
            appointment_id=a1,
            previous_specialist_id="psy-1",
            previous_starts_at=at(20, 9),
            specialist_id="psy-2",
            specialist_kind=SpecialistKind.PSYCHOLOGIST,
            specialist_title="Психолог Смирнова А. А.",
            office_address=OFFICE,
            starts_at=at(21, 9),
            ends_at=at(21, 10),
            rescheduled_by="disp-1",
            district="d1",
            hq="hq-d1",
            occurred_at=at(14, 10),
        ),
        AppointmentCancelled(
            family_id=f2,
            appointment_id=a2,
            specialist_id="law-1",
            specialist_title="Юрист Петров И. И.",
            office_address=OFFICE,
            starts_at=at(20, 11),
            reason="Семья не сможет прийти",
            cancelled_by="disp-1",
            district="d2",
            hq="hq-d2",
            occurred_at=at(14, 11),
        ),
        # The family of R1 rates it 2 of 5.
        FeedbackReceived(
            family_id=f1,
            request_id=r1,
            rating=2,
            category=housing,
            curator_id="cur-1",
            district="d1",
            given_by="family",
            occurred_at=at(11, 12),
        ),
    ]


def sla_fields(
    family: uuid.UUID, request: uuid.UUID, cat: NeedCategory, d: str, cur: str
) -> dict[str, Any]:
    return {
        "family_id": family,
        "request_id": request,
        "clock": SlaClock.FIRST_RESPONSE,
        "due_at": at(16, 9),
        "budget_s": 8 * 3600,
        "elapsed_s": 8 * 3600,
        "percent": 100,
        "business_time": True,
        "category": cat,
        "urgency": Urgency.NORMAL,
        "district": d,
        "hq": f"hq-{d}",
        "curator_id": cur,
    }


async def publish(settings: ReportingSettings, events: list[Event]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                settings.topic(topic_of(event)),
                json.dumps(event.model_dump(mode="json")).encode(),
                key=event.key,
            )
    finally:
        await producer.stop()


async def caught_up(settings: ReportingSettings) -> bool:
    """Whether both live consumer groups committed everything on their topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await consumer.start()
    try:
        for router in EVENT_ROUTERS:
            topic = settings.topic(router.topic)
            group = f"{settings.topic_prefix}{router.consumer}@{router.topic}"
            committed = await admin.list_consumer_group_offsets(group)
            partitions = range(REQUEST_EVENTS_TOPIC.partitions)
            ends = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
            for tp, end in ends.items():
                if end and (tp not in committed or committed[tp].offset < end):
                    return False
        return True
    finally:
        await consumer.stop()
        await admin.close()


@pytest.fixture
async def reporting(make_settings: Callable[..., Any]) -> AsyncIterator[dict[str, Any]]:
    port = free_port()
    settings: ReportingSettings = make_settings(ReportingSettings, http_port=port)
    async with serve(create_app(settings), port) as url, httpx.AsyncClient(base_url=url) as client:
        yield {"client": client, "settings": settings}


async def dashboard(client: httpx.AsyncClient, path: str, **params: str) -> Any:
    headers = {**REGIONAL}
    for name in ("role", "district", "agency"):
        if f"as_{name}" in params:
            headers[f"X-Actor-{name.capitalize()}"] = params.pop(f"as_{name}")
    response = await client.get(path, params={**NOVEMBER, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def snapshot(settings: ReportingSettings, database: str) -> dict[str, list[Any]]:
    client = create_mongo_client(settings)
    try:
        db = client[database]
        return {
            name: sorted([d async for d in db[name].find({})], key=lambda d: str(d["_id"]))
            for name in (FIGURES, STATES)
        }
    finally:
        await client.close()


async def test_scenario_figures_redelivery_rebuild_and_scoping(reporting: dict[str, Any]) -> None:
    client, settings = reporting["client"], reporting["settings"]
    events = scenario()
    await publish(settings, events)

    async def all_requests_in() -> Any:
        figures = await dashboard(client, "/reports/requests")
        return (
            figures
            if figures["live"]["total"] == 3 and figures["period"]["resolution"]["count"] == 1
            else None
        )

    await eventually(all_requests_in, timeout_s=60, what="the three requests counted")
    await eventually(lambda: caught_up(settings), timeout_s=60, what="the consumers caught up")

    # Requests, region-wide, by hand.
    region = await dashboard(client, "/reports/requests")
    assert region["live"]["by_status"] == {"resolved": 1, "accepted": 1, "routed": 1}
    period = region["period"]
    assert period["created"] == 3
    assert period["entered"] == {"routed": 3, "accepted": 2, "resolved": 1}
    two_hours, half_hour, day = (
        bucket_value(bucket_of(7200)),
        bucket_value(bucket_of(1800)),
        bucket_value(bucket_of(86400)),
    )
    assert period["first_response"] == {"count": 2, "median_s": half_hour, "p90_s": two_hours}
    assert period["resolution"] == {"count": 1, "median_s": day, "p90_s": day}
    first_sla = period["sla"]["first_response"]
    assert (first_sla["stopped"], first_sla["late"]) == (2, 0)  # R1 and R2 answered in time
    assert (first_sla["warned"], first_sla["breached"]) == (1, 1)  # R3
    assert first_sla["compliance_percent"] == 100.0
    assert (period["satisfaction"]["count"], period["satisfaction"]["average"]) == (1, 2.0)
    assert period["escalations"] == {
        "district_head": 1,
        "hq_coordinator": 1,
        "regional_coordinator": 0,
    }
    # A window not aligned to months (12–16 November): R2, R3 and the first escalation.
    window = await dashboard(
        client, "/reports/requests", **{"from": "2026-11-12", "to": "2026-11-16"}
    )
    assert window["period"]["created"] == 2
    assert window["period"]["escalations"]["district_head"] == 1
    assert window["period"]["escalations"]["hq_coordinator"] == 0
    health_agency = await dashboard(client, "/reports/requests", agency="health")
    assert health_agency["period"]["escalations"]["hq_coordinator"] == 1
    # Filters: district, category, agency, period.
    d2 = await dashboard(client, "/reports/requests", district="d2")
    assert d2["live"]["by_status"] == {"routed": 1}
    housing = await dashboard(client, "/reports/requests", category="housing")
    assert housing["live"]["by_status"] == {"resolved": 1}
    social = await dashboard(client, "/reports/requests", agency="social_protection")
    assert social["live"]["by_status"] == {"sent": 1}
    psych = await dashboard(client, "/reports/requests", agency="psychological_help", hq="hq-d1")
    assert psych["period"]["first_response"]["count"] == 1
    early = await dashboard(
        client, "/reports/requests", **{"from": "2026-11-01", "to": "2026-11-11"}
    )
    assert early["period"]["created"] == 1
    daily = await dashboard(
        client, "/reports/requests/daily", **{"from": "2026-11-10", "to": "2026-11-12"}
    )
    assert [d["created"] for d in daily] == [1, 0, 1]

    # Appointments, region-wide, by kind of specialist and by specialist.
    appointments = await dashboard(client, "/reports/appointments")
    assert appointments["period"] == {
        "booked": {"psychologist": 1, "lawyer": 1},
        "cancelled": {"lawyer": 1},
        "rescheduled": {"psychologist": 1},
    }
    assert appointments["active"] == {"psychologist": 1}
    assert [
        (s["specialist_id"], s["title"], s["booked"], s["cancelled"], s["rescheduled"], s["active"])
        for s in appointments["by_specialist"]
    ] == [
        ("law-1", "Юрист Петров И. И.", 1, 1, 0, 0),
        ("psy-1", "Психолог Орлова Е. С.", 1, 0, 0, 0),
        ("psy-2", "Психолог Смирнова А. А.", 0, 0, 1, 1),
    ]
    later = await dashboard(
        client, "/reports/appointments", **{"from": "2026-11-13", "to": "2026-11-13"}
    )
    assert later["period"] == {"booked": {"lawyer": 1}, "cancelled": {}, "rescheduled": {}}

    # Families: coverage, needs, measures; curator workload.
    families = await dashboard(client, "/reports/families")
    coverage = families["coverage"]
    assert (coverage["families"], coverage["eligible"], coverage["connected"]) == (3, 3, 2)
    assert coverage["connected_percent"] == 66.7
    assert coverage["by_district"] == {
        "d1": {"eligible": 2, "connected": 2, "connected_percent": 100.0},
        "d2": {"eligible": 1, "connected": 0, "connected_percent": 0.0},
    }
    assert families["needs_open"] == {"housing": 1}
    assert families["measures"] == {
        "free_school_meals": {"assigned": 1, "provided": 1},
        "psychologist": {"assigned": 1, "provided": 0},
    }
    workload = await dashboard(client, "/reports/workload", district="d1")
    assert workload == [
        {
            "curator_id": "cur-1",
            "families": 1,
            "open_needs": 1,
            "open_requests": 1,
            "overdue_plan_items": 1,
        },
        {
            "curator_id": "cur-2",
            "families": 1,
            "open_needs": 0,
            "open_requests": 0,
            "overdue_plan_items": 0,
        },
    ]

    # Scoping: a district head sees only their district; an agency only its figures.
    head = {"as_role": "district_head", "as_district": "d2"}
    assert (await dashboard(client, "/reports/requests", **head))["live"]["by_status"] == {
        "routed": 1
    }
    other = await client.get(
        "/reports/requests",
        params={"district": "d1"},
        headers={"X-Actor-Role": "district_head", "X-Actor-District": "d2"},
    )
    assert other.status_code == 403
    agency = {"as_role": "agency", "as_agency": "housing"}
    assert (await dashboard(client, "/reports/requests", **agency))["live"]["by_status"] == {
        "resolved": 1
    }
    denied = await client.get(
        "/reports/workload", headers={"X-Actor-Role": "agency", "X-Actor-Agency": "housing"}
    )
    assert denied.status_code == 403
    assert (await client.get("/reports/requests")).status_code == 401

    # Exports: Russian headers and a header block.
    xlsx = await client.get(
        "/reports/export/workload",
        params={**NOVEMBER, "district": "d1", "format": "xlsx"},
        headers=REGIONAL,
    )
    assert xlsx.status_code == 200, xlsx.text
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    lines = [tuple(c for c in row if c is not None) for row in sheet.iter_rows(values_only=True)]
    assert lines[0] == ("Отчёт", "Нагрузка социальных кураторов")
    assert lines[2][1] == "региональный координатор"
    assert lines[5][0] == "Куратор"
    assert lines[6][:5] == ("cur-1", 1, 1, 1, 1)
    csv = await client.get(
        "/reports/export/requests", params={**NOVEMBER, "format": "csv"}, headers=REGIONAL
    )
    assert "Поступило за период;3" in csv.content.decode("utf-8-sig")
    assert "Эскалаций: координатор муниципального штаба;1" in csv.content.decode("utf-8-sig")
    appointments_csv = await client.get(
        "/reports/export/appointments", params={**NOVEMBER, "format": "csv"}, headers=REGIONAL
    )
    text = appointments_csv.content.decode("utf-8-sig")
    assert "Отмен за период: юрист;1" in text
    assert "Психолог Смирнова А. А.: записей / отмен / переносов / предстоит;0 / 0 / 1 / 1" in text
    # A district head sees the appointments of their district's families only (the family's
    # district when it was booked); an HQ coordinator those of the HQ; agencies none.
    head_appointments = await client.get(
        "/reports/appointments",
        params=NOVEMBER,
        headers={"X-Actor-Role": "district_head", "X-Actor-District": "d1"},
    )
    assert head_appointments.status_code == 200, head_appointments.text
    assert head_appointments.json()["scope"] == {"geo": "d:d1"}
    assert head_appointments.json()["period"] == {
        "booked": {"psychologist": 1},
        "cancelled": {},
        "rescheduled": {"psychologist": 1},
    }
    assert head_appointments.json()["active"] == {"psychologist": 1}
    hq_appointments = await client.get(
        "/reports/appointments",
        params=NOVEMBER,
        headers={"X-Actor-Role": "hq_coordinator", "X-Actor-Hq": "hq-d2"},
    )
    assert hq_appointments.status_code == 200, hq_appointments.text
    assert hq_appointments.json()["period"] == {
        "booked": {"lawyer": 1},
        "cancelled": {"lawyer": 1},
        "rescheduled": {},
    }
    assert hq_appointments.json()["active"] == {}
    agency_appointments = await client.get(
        "/reports/appointments", headers={"X-Actor-Role": "agency", "X-Actor-Agency": "housing"}
    )
    assert agency_appointments.status_code == 403

    # Redelivery: the same events again, with the processed-ids record lost (a crash after
    # the effects): nothing changes.
    live_before = await snapshot(settings, settings.database_name)
    db_client = create_mongo_client(settings)
    await projections_of(db_client[settings.database_name]).drop_collection(PROCESSED_COLLECTION)
    await db_client.close()
    await publish(settings, events)
    await eventually(lambda: caught_up(settings), timeout_s=60, what="the redelivery consumed")
    live_after = await snapshot(settings, settings.database_name)
    assert live_after[FIGURES] == live_before[FIGURES]
    assert [s["_id"] for s in live_after[STATES]] == [s["_id"] for s in live_before[STATES]]

    # Rebuild: replaying the topics into an empty database yields exactly the live figures.
    rebuilt_db = settings.database_name + "_rebuilt"
    db_client = create_mongo_client(settings)
    try:
        result = await replay(settings, db_client[rebuilt_db], commit_offsets=False)
    finally:
        await db_client.close()
    assert result.events == 2 * len(events)
    rebuilt = await snapshot(settings, rebuilt_db)
    assert rebuilt[FIGURES] == live_after[FIGURES]
    assert rebuilt[STATES] == live_after[STATES]

    # The same with states written behind the fold every 7 events and figures every 20:
    # documents written before are then updated by _id, the others inserted; the result is
    # the same.
    chunked_db = settings.database_name + "_chunked"
    chunked = settings.model_copy(
        update={"replay_flush_events": 7, "replay_figure_flush_events": 20}
    )
    db_client = create_mongo_client(settings)
    try:
        await replay(chunked, db_client[chunked_db], commit_offsets=False)
    finally:
        await db_client.close()
    rebuilt_in_chunks = await snapshot(settings, chunked_db)
    assert rebuilt_in_chunks[FIGURES] == live_after[FIGURES]
    assert rebuilt_in_chunks[STATES] == live_after[STATES]


def half_year() -> list[Event]:
    """A family's requests created through six months, each answered and resolved days later.

    One family: its events are one partition, in order, so the late FeedbackReceived for its
    January request comes after the replay has written January.
    """
    events: list[Event] = []
    family = uuid.uuid4()
    first = None
    for n in range(150):
        request = uuid.uuid4()
        first = first or (family, request)
        when = datetime(2026, 1, 2, 9, tzinfo=UTC) + timedelta(days=1.2 * n)
        cat = (NeedCategory.HOUSING, NeedCategory.HEALTH)[n % 2]
        district = ("d1", "d2")[n % 2]
        common = {"family_id": family, "request_id": request, "category": cat}
        events += [
            RequestCreated(
                **common,
                urgency=Urgency.NORMAL,
                channel=Channel.CURATOR,
                district=district,
                hq=f"hq-{district}",
                curator_id="cur-1",
                created_by="cur-1",
                occurred_at=when,
            ),
            RequestStatusChanged(
                **common,
                version=2,
                previous_status=RequestStatus.ROUTED,
                status=RequestStatus.ACCEPTED,
                district=district,
                changed_by="x",
                occurred_at=when + timedelta(days=1),
            ),
            RequestStatusChanged(
                **common,
                version=3,
                previous_status=RequestStatus.ACCEPTED,
                status=RequestStatus.RESOLVED,
                district=district,
                changed_by="x",
                occurred_at=when + timedelta(days=5),
            ),
        ]
    assert first is not None
    events.append(
        FeedbackReceived(
            family_id=first[0],
            request_id=first[1],
            rating=2,
            comment="долго",
            given_by="family",
            occurred_at=datetime(2026, 1, 20, 12, tzinfo=UTC),
        )
    )
    return events


async def test_periods_long_past_written_during_the_replay_equal_figures_held_to_the_end(
    make_settings: Callable[..., Any],
) -> None:
    """The replay writes the figures of periods every partition has left behind while it folds.

    Small batches and flushes make it do so many times; a late event then updates a
    document already written. Both rebuilds hold the same figures and states.
    """
    settings: ReportingSettings = make_settings(ReportingSettings)
    await publish(settings, half_year())
    client = create_mongo_client(settings)
    try:
        held = await replay(
            settings, client[settings.database_name + "_held"], commit_offsets=False
        )
        early_settings = settings.model_copy(
            update={"replay_batch_size": 100, "replay_flush_events": 20}
        )
        early = await replay(
            early_settings, client[settings.database_name + "_early"], commit_offsets=False
        )
    finally:
        await client.close()
    assert held.past_figure_documents == 0
    assert early.past_figure_documents > 0
    assert early.past_figure_documents < early.figure_documents
    held_figures = await snapshot(settings, settings.database_name + "_held")
    early_figures = await snapshot(settings, settings.database_name + "_early")
    assert early_figures[FIGURES] == held_figures[FIGURES]
    assert early_figures[STATES] == held_figures[STATES]
    # The late rating changed January documents written before: updates, not inserts.
    assert held.figure_updates == 0
    assert early.figure_updates > 0
    (january,) = [d for d in early_figures[FIGURES] if d["_id"] == "month:2026-01|region|-|all"]
    assert january["created"] == 25
