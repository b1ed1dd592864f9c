"""The dispatcher line and appointments, against the real broker and store."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from patronage_common.testing import eventually, free_port, serve
from patronage_passport.main import create_app as create_passport
from patronage_passport.settings import PassportSettings
from patronage_requests.appointments.domain import slot_claim_id
from patronage_requests.appointments.reminders import ReminderScheduler
from patronage_requests.main import create_app as create_requests
from patronage_requests.settings import RequestsSettings

from tests.support.agency_client import read_events_until
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration

MSK = ZoneInfo("Europe/Moscow")
FRIDAY = datetime(2026, 12, 4, 12, 0, tzinfo=MSK)
MONDAY = FRIDAY + timedelta(days=3)  # психолог: пн 09–13, ср 14–18, пт 09–13, по часу


def at(day: datetime, hour: int) -> str:
    return day.replace(hour=hour).isoformat()


class MovableClock:
    """The requests service's clock, moved by the test instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


@pytest.fixture
async def line(make_settings: Callable[..., Any]) -> AsyncIterator[dict[str, Any]]:
    """The passport service and the requests service, whose clock the test moves."""
    passport_port, requests_port = free_port(), free_port()
    clock = MovableClock(FRIDAY)
    settings = make_settings(
        RequestsSettings,
        http_port=requests_port,
        passport_url=f"http://127.0.0.1:{passport_port}",
        # The background pass runs at start-up only; the test runs the passes it checks.
        reminder_interval_s=3600,
    )
    app = create_requests(settings, now=clock)
    async with (
        serve(
            create_passport(make_settings(PassportSettings, http_port=passport_port)), passport_port
        ) as passport_url,
        serve(app, requests_port) as requests_url,
        httpx.AsyncClient(base_url=passport_url) as passport,
        httpx.AsyncClient(
            base_url=requests_url, headers={"X-Actor": "dispatcher-7"}, timeout=30
        ) as requests,
    ):
        yield {
            "passport": passport,
            "requests": requests,
            "settings": settings,
            "clock": clock,
            "app": app,
        }


async def new_family(line: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    created = await line["passport"].post("/passports", json=passport_payload(**overrides))
    assert created.status_code == 201, created.text
    return dict(created.json())


async def events_on(
    line: dict[str, Any], topic: str, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    settings = line["settings"]
    return await read_events_until(settings.kafka_bootstrap_servers, settings.topic(topic), done)


def of_type(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == name]


async def slot_status(line: dict[str, Any], specialist: str, starts_at: str) -> str:
    day = starts_at[:10]
    response = await line["requests"].get(
        f"/specialists/{specialist}/slots", params={"from": day, "to": day}
    )
    assert response.status_code == 200, response.text
    wanted = datetime.fromisoformat(starts_at)
    (slot,) = [
        s for s in response.json()["slots"] if datetime.fromisoformat(s["starts_at"]) == wanted
    ]
    return str(slot["status"])


async def book(
    line: dict[str, Any], family_id: str, starts_at: str, **extra: Any
) -> httpx.Response:
    response: httpx.Response = await line["requests"].post(
        "/appointments",
        json={
            "specialist_id": "psychologist-orlova",
            "starts_at": starts_at,
            "family_id": family_id,
            **extra,
        },
    )
    return response


# --- calls -------------------------------------------------------------------------------


async def test_family_lookup_finds_the_caller_by_phone_or_name(line: dict[str, Any]) -> None:
    phone = "+7 903 555-12-34"
    family = await new_family(line, phone=phone, applicant="Громова Ольга Петровна")

    async def found_by_phone() -> list[dict[str, Any]] | None:
        response = await line["requests"].get(
            "/calls/family-lookup", params={"phone": "89035551234"}
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"]) or None

    (match,) = await eventually(found_by_phone, what="family indexed by phone")
    assert match["family_id"] == family["family_id"]
    assert match["applicant_full_name"] == "Громова Ольга Петровна"
    by_name = await line["requests"].get("/calls/family-lookup", params={"name": "громова ольга"})
    assert [m["family_id"] for m in by_name.json()["items"]] == [family["family_id"]]

    nothing = await line["requests"].get("/calls/family-lookup")
    assert nothing.status_code == 422
    assert nothing.json()["detail"][0]["msg"] == "укажите телефон или ФИО звонящего"
    bad_phone = await line["requests"].get("/calls/family-lookup", params={"phone": "12"})
    assert bad_phone.status_code == 422
    assert bad_phone.json()["detail"][0]["loc"] == ["query", "phone"]


async def test_consultations_are_logged_with_or_without_a_family(line: dict[str, Any]) -> None:
    phone = "+7 903 555-77-01"
    family = await new_family(line, phone=phone)
    await eventually(lambda: _lookup(line, phone), what="family indexed by phone")
    anonymous = await line["requests"].post(
        "/calls",
        json={
            "caller_name": "Мужчина, не представился",
            "subject": "Какие выплаты положены семьям участников СВО",
            "notes": "Рассказали о региональных выплатах, дали адрес МФЦ",
            "outcome": "consultation",
        },
    )
    assert anonymous.status_code == 201, anonymous.text
    known = await line["requests"].post(
        "/calls",
        json={
            "caller_phone": phone,
            "subject": "Как получить путёвку в лагерь",
            "category": "education",
            "outcome": "consultation",
        },
    )
    assert known.status_code == 201, known.text
    assert known.json()["family_id"] == family["family_id"]  # found by the caller's phone
    assert anonymous.json()["family_id"] is None
    assert anonymous.json()["outcome_label"] == "консультация"

    read = await line["requests"].get(f"/calls/{anonymous.json()['call_id']}")
    assert read.json()["notes"] == "Рассказали о региональных выплатах, дали адрес МФЦ"
    log = await line["requests"].get("/calls", params={"day": "2026-12-04"})
    assert [c["call_id"] for c in log.json()["items"]] == [
        anonymous.json()["call_id"],
        known.json()["call_id"],
    ]
    assert (await line["requests"].get("/calls", params={"day": "2026-12-05"})).json()[
        "items"
    ] == []
    assert (await line["requests"].get("/calls")).json()["day"] == "2026-12-04"

    events = await events_on(
        line, "appointments.events", lambda seen: len(of_type(seen, "CallRegistered")) >= 2
    )
    registered = {e["call_id"]: e for e in of_type(events, "CallRegistered")}
    assert registered[anonymous.json()["call_id"]]["family_known"] is False
    assert (
        registered[anonymous.json()["call_id"]]["family_id"]
        == "00000000-0000-0000-0000-000000000000"
    )
    assert registered[known.json()["call_id"]]["family_id"] == family["family_id"]
    assert registered[known.json()["call_id"]]["category"] == "education"
    assert {e["dispatcher_id"] for e in registered.values()} == {"dispatcher-7"}
    assert "notes" not in registered[anonymous.json()["call_id"]]  # free text stays in the store


async def _lookup(line: dict[str, Any], phone: str) -> list[dict[str, Any]] | None:
    response = await line["requests"].get("/calls/family-lookup", params={"phone": phone})
    return list(response.json()["items"]) or None


async def test_a_call_creates_a_request_on_the_dispatcher_channel(line: dict[str, Any]) -> None:
    family = await new_family(line)
    response = await line["requests"].post(
        "/calls",
        json={
            "family_id": family["family_id"],
            "subject": "Протекает крыша",
            "outcome": "request_created",
            "request": {"category": "housing", "description": "Протекает крыша над детской"},
        },
    )
    assert response.status_code == 201, response.text
    call = response.json()
    assert call["outcome"] == "request_created"
    assert call["category"] == "housing"
    request = (await line["requests"].get(f"/requests/{call['request_id']}")).json()
    assert request["channel"] == "dispatcher"
    assert request["created_by"] == "dispatcher-7"
    assert request["family_id"] == family["family_id"]

    requests_events = await events_on(
        line,
        "requests.events",
        lambda seen: any(
            e.get("request_id") == call["request_id"] for e in of_type(seen, "RequestCreated")
        ),
    )
    (created,) = [
        e
        for e in of_type(requests_events, "RequestCreated")
        if e["request_id"] == call["request_id"]
    ]
    assert created["channel"] == "dispatcher"
    assert created["created_by"] == "dispatcher-7"
    call_events = await events_on(
        line, "appointments.events", lambda seen: bool(of_type(seen, "CallRegistered"))
    )
    (registered,) = of_type(call_events, "CallRegistered")
    assert registered["request_id"] == call["request_id"]
    assert registered["outcome"] == "request_created"


async def test_a_call_books_an_appointment(line: dict[str, Any]) -> None:
    family = await new_family(line)
    starts_at = at(MONDAY, 10)
    response = await line["requests"].post(
        "/calls",
        json={
            "family_id": family["family_id"],
            "subject": "Ребёнок тяжело переживает разлуку с отцом",
            "category": "psychological",
            "outcome": "appointment_booked",
            "appointment": {
                "specialist_id": "psychologist-orlova",
                "starts_at": starts_at,
                "note": "Первичная консультация, мама и сын 9 лет",
            },
        },
    )
    assert response.status_code == 201, response.text
    call = response.json()
    appointment = (await line["requests"].get(f"/appointments/{call['appointment_id']}")).json()
    assert appointment["call_id"] == call["call_id"]
    assert appointment["status"] == "booked"
    assert appointment["office_address"] == "г. Липецк, ул. Советская, д. 5, каб. 12"
    assert datetime.fromisoformat(appointment["starts_at"]) == datetime.fromisoformat(starts_at)
    assert await slot_status(line, "psychologist-orlova", starts_at) == "booked"

    events = await events_on(
        line,
        "appointments.events",
        lambda seen: (
            bool(of_type(seen, "CallRegistered")) and bool(of_type(seen, "AppointmentBooked"))
        ),
    )
    (booked,) = of_type(events, "AppointmentBooked")
    (registered,) = of_type(events, "CallRegistered")
    assert booked["call_id"] == call["call_id"]
    assert booked["specialist_title"] == "Психолог Орлова Елена Сергеевна"
    # The family's district and HQ travel with the appointment (district figures).
    assert booked["district"] == "lipetsk-city"
    assert booked["hq"] == "hq-lipetsk-city"
    assert registered["appointment_id"] == booked["appointment_id"]
    assert registered["correlation_id"] == booked["correlation_id"]

    taken = await line["requests"].post(
        "/calls",
        json={
            "family_id": family["family_id"],
            "subject": "Ещё одна запись",
            "outcome": "appointment_booked",
            "appointment": {"specialist_id": "psychologist-orlova", "starts_at": starts_at},
        },
    )
    assert taken.status_code == 409
    assert taken.json()["detail"][0]["loc"] == ["body", "appointment", "starts_at"]
    assert taken.json()["detail"][0]["msg"].startswith("слот уже занят")


async def test_a_request_or_an_appointment_needs_a_family(line: dict[str, Any]) -> None:
    response = await line["requests"].post(
        "/calls",
        json={
            "caller_phone": "+7 999 000-00-00",
            "subject": "Нужна няня",
            "outcome": "request_created",
            "request": {"category": "childcare", "description": "Нужна няня на время работы"},
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "family_id"]
    assert "только консультация" in response.json()["detail"][0]["msg"]
    inconsistent = await line["requests"].post(
        "/calls", json={"subject": "Нужна няня", "outcome": "request_created"}
    )
    assert inconsistent.status_code == 422
    assert inconsistent.json()["detail"][0]["loc"] == ["body", "request"]
    log = await line["requests"].get("/calls", params={"day": "2026-12-04"})
    assert log.json()["items"] == []


# --- appointments --------------------------------------------------------------------------


async def test_specialists_and_their_free_slots(line: dict[str, Any]) -> None:
    specialists = (await line["requests"].get("/specialists")).json()
    kinds = {s["specialist_id"]: s["kind_label"] for s in specialists}
    assert kinds["lawyer-belov"] == "юрист"
    orlova = next(s for s in specialists if s["specialist_id"] == "psychologist-orlova")
    assert orlova["schedule_label"] == "пн 09:00–13:00, ср 14:00–18:00, пт 09:00–13:00"

    week = await line["requests"].get(
        "/specialists/psychologist-orlova/slots", params={"from": "2026-12-04", "to": "2026-12-09"}
    )
    starts = [datetime.fromisoformat(s["starts_at"]).astimezone(MSK) for s in week.json()["slots"]]
    # It is Friday 12:00: Friday's last slot has begun; Monday and Wednesday are ahead.
    assert [s.strftime("%a %H") for s in starts] == [
        "Mon 09", "Mon 10", "Mon 11", "Mon 12", "Wed 14", "Wed 15", "Wed 16", "Wed 17",
    ]  # fmt: skip
    assert {s["status"] for s in week.json()["slots"]} == {"free"}

    too_long = await line["requests"].get(
        "/specialists/psychologist-orlova/slots", params={"from": "2026-12-04", "to": "2026-12-31"}
    )
    assert too_long.status_code == 422
    assert "не более чем на 14 дней" in too_long.json()["detail"][0]["msg"]
    unknown = await line["requests"].get(
        "/specialists/nobody/slots", params={"from": "2026-12-04", "to": "2026-12-04"}
    )
    assert unknown.status_code == 404


async def test_a_slot_outside_the_schedule_or_in_the_past_is_refused(line: dict[str, Any]) -> None:
    family = await new_family(line)
    outside = await book(line, family["family_id"], at(MONDAY, 15))
    assert outside.status_code == 422
    assert outside.json()["detail"][0]["loc"] == ["body", "starts_at"]
    assert "не время приёма" in outside.json()["detail"][0]["msg"]
    past = await book(line, family["family_id"], at(FRIDAY, 10))
    assert past.status_code == 422
    assert "уже прошло" in past.json()["detail"][0]["msg"]
    nobody = await line["requests"].post(
        "/appointments",
        json={
            "specialist_id": "nobody",
            "starts_at": at(MONDAY, 10),
            "family_id": family["family_id"],
        },
    )
    assert nobody.status_code == 422
    assert nobody.json()["detail"][0]["loc"] == ["body", "specialist_id"]


async def test_concurrent_bookings_of_one_slot_let_exactly_one_win(line: dict[str, Any]) -> None:
    families = [await new_family(line) for _ in range(2)]
    starts_at = at(MONDAY, 11)
    responses = await asyncio.gather(
        *(book(line, families[n % 2]["family_id"], starts_at) for n in range(20))
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 19
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["detail"][0]["msg"].startswith("слот уже занят")
    winner = next(r for r in responses if r.status_code == 201).json()
    assert await slot_status(line, "psychologist-orlova", starts_at) == "booked"

    cancelled = await line["requests"].post(
        f"/appointments/{winner['appointment_id']}/cancel", json={"reason": "Семья уезжает"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert await slot_status(line, "psychologist-orlova", starts_at) == "free"
    again = await book(line, families[1]["family_id"], starts_at)
    assert again.status_code == 201, again.text

    events = await events_on(
        line,
        "appointments.events",
        lambda seen: (
            len(of_type(seen, "AppointmentBooked")) >= 2
            and bool(of_type(seen, "AppointmentCancelled"))
        ),
    )
    assert len(of_type(events, "AppointmentBooked")) == 2
    (cancel_event,) = of_type(events, "AppointmentCancelled")
    assert cancel_event["reason"] == "Семья уезжает"
    assert cancel_event["cancelled_by"] == "dispatcher-7"


async def test_reschedule_claims_the_new_slot_and_frees_the_old(line: dict[str, Any]) -> None:
    first, second = await new_family(line, district="dankov"), await new_family(line)
    moving = (await book(line, first["family_id"], at(MONDAY, 9))).json()
    assert (await book(line, second["family_id"], at(MONDAY, 10))).status_code == 201

    onto_taken = await line["requests"].post(
        f"/appointments/{moving['appointment_id']}/reschedule", json={"starts_at": at(MONDAY, 10)}
    )
    assert onto_taken.status_code == 409
    assert await slot_status(line, "psychologist-orlova", at(MONDAY, 9)) == "booked"

    moved = await line["requests"].post(
        f"/appointments/{moving['appointment_id']}/reschedule",
        json={
            "starts_at": (MONDAY + timedelta(days=1)).replace(hour=11).isoformat(),
            "specialist_id": "lawyer-belov",
        },
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["specialist_id"] == "lawyer-belov"
    assert moved.json()["version"] == 2
    assert await slot_status(line, "psychologist-orlova", at(MONDAY, 9)) == "free"
    tuesday_11 = (MONDAY + timedelta(days=1)).replace(hour=11).isoformat()
    assert await slot_status(line, "lawyer-belov", tuesday_11) == "booked"

    cancel = await line["requests"].post(
        f"/appointments/{moving['appointment_id']}/cancel", json={"reason": "Вопрос решён"}
    )
    assert cancel.status_code == 200
    twice = await line["requests"].post(
        f"/appointments/{moving['appointment_id']}/cancel", json={"reason": "Вопрос решён"}
    )
    assert twice.status_code == 409
    assert twice.json()["detail"][0]["msg"] == "запись уже отменена"
    assert await slot_status(line, "lawyer-belov", tuesday_11) == "free"

    events = await events_on(
        line,
        "appointments.events",
        lambda seen: (
            bool(of_type(seen, "AppointmentRescheduled"))
            and bool(of_type(seen, "AppointmentCancelled"))
        ),
    )
    (rescheduled,) = of_type(events, "AppointmentRescheduled")
    assert rescheduled["previous_specialist_id"] == "psychologist-orlova"
    assert rescheduled["specialist_title"] == "Юрист Белов Игорь Николаевич"
    assert datetime.fromisoformat(rescheduled["previous_starts_at"]) == MONDAY.replace(hour=9)
    (cancelled,) = of_type(events, "AppointmentCancelled")
    assert (rescheduled["district"], cancelled["district"]) == ("dankov", "dankov")
    assert (rescheduled["hq"], cancelled["hq"]) == ("hq-dankov", "hq-dankov")


async def test_a_claim_left_by_a_crashed_booking_frees_its_slot_after_a_grace_period(
    line: dict[str, Any],
) -> None:
    family = await new_family(line)
    slots = line["app"].state.runtime.db["appointment_slots"]
    now = line["clock"]()
    for hour, age in ((9, timedelta(seconds=5)), (10, timedelta(minutes=5))):
        # A booking that claimed the slot and stopped before storing its appointment.
        claim_id = slot_claim_id("psychologist-orlova", MONDAY.replace(hour=hour))
        await slots.insert_one(
            {"_id": claim_id, "appointment_id": str(uuid.uuid4()), "claimed_at": now - age}
        )
    in_flight = await book(line, family["family_id"], at(MONDAY, 9))
    assert in_flight.status_code == 409  # it may still be writing its appointment
    abandoned = await book(line, family["family_id"], at(MONDAY, 10))
    assert abandoned.status_code == 201, abandoned.text


# --- reminders -----------------------------------------------------------------------------


async def run_schedulers(line: dict[str, Any], runtimes: list[Any], now: datetime) -> int:
    """Move time and let every replica's scheduler pass at once; how many they published.

    Each pass uses new scheduler objects, as after a restart: all they know is stored.
    """
    line["clock"].now = now
    sent = await asyncio.gather(*(ReminderScheduler(r, line["clock"]).run_once() for r in runtimes))
    return sum(sent)


async def test_reminders_fire_once_across_replicas_and_never_for_old_slots(
    line: dict[str, Any],
) -> None:
    port = free_port()
    replica = create_requests(
        line["settings"].model_copy(update={"http_port": port}), now=line["clock"]
    )
    async with serve(replica, port):
        await _check_reminders(line, [line["app"].state.runtime, replica.state.runtime])


async def _check_reminders(line: dict[str, Any], runtimes: list[Any]) -> None:
    family = await new_family(line)
    kept = (await book(line, family["family_id"], at(MONDAY, 10))).json()
    cancelled = (await book(line, family["family_id"], at(MONDAY, 11))).json()
    moved = (await book(line, family["family_id"], at(MONDAY, 12))).json()
    await line["requests"].post(
        f"/appointments/{cancelled['appointment_id']}/cancel", json={"reason": "Передумали"}
    )
    wednesday = MONDAY + timedelta(days=2)
    reply = await line["requests"].post(
        f"/appointments/{moved['appointment_id']}/reschedule", json={"starts_at": at(wednesday, 14)}
    )
    assert reply.status_code == 200, reply.text

    assert await run_schedulers(line, runtimes, FRIDAY + timedelta(hours=1)) == 0  # nothing due yet
    # Monday 08:30: the kept appointment's 24 h and 2 h reminders are due; the cancelled
    # one's and the moved one's old reminders would be too, but must stay silent.
    assert await run_schedulers(line, runtimes, MONDAY.replace(hour=8, minute=30)) == 2
    assert await run_schedulers(line, runtimes, MONDAY.replace(hour=8, minute=40)) == 0
    # Wednesday 13:00: both reminders of the moved appointment's new slot.
    assert await run_schedulers(line, runtimes, wednesday.replace(hour=13)) == 2

    events = await events_on(
        line,
        "appointments.events",
        lambda seen: len(of_type(seen, "AppointmentReminderDue")) >= 4,
    )
    reminders = of_type(events, "AppointmentReminderDue")
    assert sorted((r["appointment_id"], r["minutes_before"]) for r in reminders) == sorted(
        [
            (kept["appointment_id"], 1440),
            (kept["appointment_id"], 120),
            (moved["appointment_id"], 1440),
            (moved["appointment_id"], 120),
        ]
    )
    moved_reminder = next(r for r in reminders if r["appointment_id"] == moved["appointment_id"])
    assert datetime.fromisoformat(moved_reminder["starts_at"]) == wednesday.replace(hour=14)
    assert moved_reminder["office_address"] == "г. Липецк, ул. Советская, д. 5, каб. 12"
    assert moved_reminder["family_id"] == family["family_id"]
