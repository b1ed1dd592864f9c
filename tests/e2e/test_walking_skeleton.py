"""The walking skeleton: five service processes, real Kafka, real store, an agency system."""

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from patronage_common.testing import eventually
from patronage_devinfra.resolver import Infrastructure
from patronage_devinfra.stack import RunningStack, run_stack

from tests.support.agency_client import AgencyClient, read_events_until
from tests.support.families import passport_payload

pytestmark = pytest.mark.e2e

CURATOR = "curator-e2e"


@pytest.fixture
def stack(
    infrastructure: Infrastructure, unique_prefix: str, tmp_path: Path
) -> Iterator[tuple[RunningStack, str]]:
    prefix = f"e{unique_prefix}."
    with run_stack(
        infrastructure,
        log_dir=tmp_path / "logs",
        topic_prefix=prefix,
        database_prefix=f"e{unique_prefix}_",
        extra_env={"OUTBOX_RELAY_INTERVAL_S": "0.5"},
    ) as running:
        yield running, prefix


async def live_counts(urls: dict[str, str]) -> dict[str, int]:
    """Requests by status now, as the region's coordinator sees them."""
    figures = await get(
        f"{urls['reporting']}/reports/requests", headers={"X-Actor-Role": "regional_coordinator"}
    )
    return dict(figures["live"]["by_status"])


async def gateway_page(base: str, path: str, *, user: str) -> str:
    """A gateway page seen by a demo account logged in through the form."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        login = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token, "the login form has no CSRF field"
        answer = await client.post(
            "/login",
            data={"login": user, "password": "demo-pass-1", "csrf_token": token.group(1)},
        )
        assert answer.status_code == 303, answer.text
        page = await client.get(path)
        page.raise_for_status()
        return page.text


async def get(url: str, headers: dict[str, str] | None = None) -> Any:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url, headers=headers)
        response.raise_for_status()
        return response.json() if "json" in response.headers["content-type"] else response.text


async def test_request_travels_from_curator_to_agency_and_back_to_every_service(
    stack: tuple[RunningStack, str], infrastructure: Infrastructure
) -> None:
    running, prefix = stack
    urls = running.urls
    kafka = infrastructure.kafka_bootstrap_servers
    async with httpx.AsyncClient(timeout=10) as client:
        passport = await client.post(
            f"{urls['passport']}/passports",
            json=passport_payload(
                district="elets",
                curator_id=CURATOR,
                applicant="Петрова Анна Сергеевна",
                phone="+7 (474) 222-33-44",
            ),
        )
        assert passport.status_code == 201, passport.text
        family_id = passport.json()["family_id"]
        registered = await read_events_until(
            kafka, f"{prefix}passport.events", lambda seen: len(seen) >= 1
        )
        assert registered[0]["type"] == "PassportRegistered"
        assert registered[0]["family_id"] == family_id

        created = await client.post(
            f"{urls['requests']}/requests",
            json={"family_id": family_id, "category": "housing", "description": "Течёт крыша"},
            headers={"X-Actor": CURATOR},
        )
        assert created.status_code == 201, created.text
        request_id = created.json()["request_id"]

    async with AgencyClient(kafka, prefix, "housing") as housing:
        task, headers = await housing.next_task()
        assert task["type"] == "HandleHelpRequest"
        assert task["request_id"] == request_id
        assert task["applicant"] == {"full_name": "Петрова Анна Сергеевна", "phone": "+74742223344"}
        trace = {"traceparent": headers["traceparent"]}
        accepted = await housing.report(task, "accepted", headers=trace)
        await housing.report(task, "resolved", headers=trace, result="Кровля отремонтирована")

    async def resolved() -> dict[str, Any] | None:
        current = await get(f"{urls['requests']}/requests/{request_id}")
        return current if current["status"] == "resolved" else None

    final = await eventually(resolved, what="the request resolved by the agency")
    assert final["tasks"][0]["note"] == "Кровля отремонтирована"

    async def curator_told() -> list[dict[str, Any]] | None:
        notes = await get(f"{urls['notifications']}/notifications?recipient_id={CURATOR}")
        return notes if any("решена" in n["text"] for n in notes) else None

    notes = await eventually(curator_told, what="the curator's notification")
    assert {n["request_id"] for n in notes} == {request_id}

    async def counted() -> dict[str, int] | None:
        counts = await live_counts(urls)
        return counts if counts.get("resolved") == 1 else None

    assert await eventually(counted, what="the report counting the request") == {"resolved": 1}

    page = await gateway_page(urls["gateway"], f"/requests/{request_id}", user="admin-1")
    assert 'data-status="resolved"' in page
    assert "решена" in page
    assert "Кровля отремонтирована" in page

    # A duplicate delivery changes nothing: the agency's report and a request event again.
    events = await read_events_until(
        kafka,
        f"{prefix}requests.events",
        lambda seen: sum(e["type"] == "RequestStatusChanged" for e in seen) >= 3,
    )
    status_changed = next(e for e in events if e["type"] == "RequestStatusChanged")
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{prefix}requests.events",
            json.dumps(status_changed).encode(),
            key=family_id.encode(),
        )
    finally:
        await producer.stop()
    async with AgencyClient(kafka, prefix, "housing") as housing:
        await housing.report(task, "accepted", event_id=accepted["event_id"])
    await asyncio.sleep(3)  # give the consumers time to (wrongly) act on the repeats
    after = await get(f"{urls['requests']}/requests/{request_id}")
    assert after["version"] == final["version"]
    assert after["status"] == "resolved"
    assert len(await get(f"{urls['notifications']}/notifications?recipient_id={CURATOR}")) == len(
        notes
    )
    assert await live_counts(urls) == {"resolved": 1}
