"""The closed loop with an agency, against the real broker and store."""

import json
import uuid
from typing import Any

import pytest
from patronage_common.testing import eventually

from tests.support.agency_client import AgencyClient, read_events_until, read_topic
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration


async def new_request(services: dict[str, Any], category: str) -> dict[str, Any]:
    created_family = await services["passport"].post("/passports", json=passport_payload())
    assert created_family.status_code == 201, created_family.text
    family = created_family.json()
    response = await services["requests"].post(
        "/requests",
        json={
            "family_id": family["family_id"],
            "category": category,
            "description": "Нужна помощь",
        },
        headers={"X-Actor": "curator-1"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def status_of(services: dict[str, Any], request_id: str) -> dict[str, Any]:
    return dict((await services["requests"].get(f"/requests/{request_id}")).json())


async def test_request_is_split_and_resolves_when_both_agencies_are_done(
    services: dict[str, Any],
) -> None:
    settings = services["settings"]
    created = await new_request(services, "childcare")
    assert created["status"] == "routed"
    assert {t["agency"] for t in created["tasks"]} == {"social_protection", "education"}
    request_id = created["request_id"]

    async with (
        AgencyClient(
            settings.kafka_bootstrap_servers, settings.topic_prefix, "social_protection"
        ) as social,
        AgencyClient(
            settings.kafka_bootstrap_servers, settings.topic_prefix, "education"
        ) as education,
    ):
        social_task, _ = await social.next_task()
        education_task, _ = await education.next_task()
        assert social_task["request_id"] == request_id
        assert social_task["applicant"]["phone"].startswith("+79")
        assert "serviceman" not in json.dumps(education_task)

        await social.report(social_task, "accepted")
        await eventually(
            lambda: _has_status(services, request_id, "accepted"), what="request accepted"
        )
        await social.report(social_task, "resolved", result="Назначена няня")
        await eventually(
            lambda: _has_status(services, request_id, "in_progress"), what="partly resolved"
        )
        await education.report(education_task, "resolved", result="Место в детском саду")
        final = await eventually(
            lambda: _has_status(services, request_id, "resolved"), what="request resolved"
        )
    notes = {t["agency"]: t["note"] for t in final["tasks"]}
    assert notes == {"social_protection": "Назначена няня", "education": "Место в детском саду"}


async def _has_status(
    services: dict[str, Any], request_id: str, status: str
) -> dict[str, Any] | None:
    current = await status_of(services, request_id)
    return current if current["status"] == status else None


async def test_duplicate_report_changes_nothing_and_invalid_transition_is_recorded(
    services: dict[str, Any],
) -> None:
    settings = services["settings"]
    created = await new_request(services, "housing")
    request_id = created["request_id"]
    async with AgencyClient(
        settings.kafka_bootstrap_servers, settings.topic_prefix, "housing"
    ) as housing:
        task, _ = await housing.next_task()
        report = await housing.report(task, "accepted")
        await eventually(lambda: _has_status(services, request_id, "accepted"))
        version_after_first = (await status_of(services, request_id))["version"]

        await housing.report(task, "accepted", event_id=report["event_id"])  # redelivery
        await housing.report(task, "resolved", result="Крыша отремонтирована")
        await eventually(lambda: _has_status(services, request_id, "resolved"))
        await housing.report(task, "in_progress")  # not allowed after resolved

    events = await read_events_until(
        settings.kafka_bootstrap_servers,
        settings.topic("requests.events"),
        lambda seen: any(e["type"] == "AgencyTransitionRefused" for e in seen),
    )
    types = [e["type"] for e in events]
    # The redelivered report was applied once: one task change per distinct report.
    assert types.count("AgencyTaskStatusChanged") == 2
    assert types.count("RequestStatusChanged") == 3  # new→routed, →accepted, →resolved
    refused = next(e for e in events if e["type"] == "AgencyTransitionRefused")
    assert refused["current_status"] == "resolved"
    assert refused["reported_status"] == "in_progress"
    assert "завершена" in refused["reason"]
    final = await status_of(services, request_id)
    assert final["status"] == "resolved"
    # accepted, resolved and the refused report each moved the version once.
    assert final["version"] == version_after_first + 2


async def test_bad_messages_go_to_the_dlq_and_the_next_valid_one_is_applied(
    services: dict[str, Any],
) -> None:
    settings = services["settings"]
    created = await new_request(services, "health")
    request_id = created["request_id"]
    async with (
        AgencyClient(settings.kafka_bootstrap_servers, settings.topic_prefix, "health") as health,
        AgencyClient(settings.kafka_bootstrap_servers, settings.topic_prefix, "housing") as housing,
    ):
        task, _ = await health.next_task()
        await health.send_raw(b"\x00 not json at all", key=task["family_id"])
        await health.report(task, "resolved")  # fails validation: no result given
        unknown = {**task, "request_id": str(uuid.uuid4())}
        await health.report(unknown, "accepted")  # unknown request
        await housing.report(task, "accepted", agency="housing")  # wrong agency's topic
        await health.report(task, "accepted")
        await eventually(lambda: _has_status(services, request_id, "accepted"))

    dead = await read_topic(
        settings.kafka_bootstrap_servers, settings.topic("agency.health.status.dlq"), count=3
    )
    assert dead[0][0] == b"\x00 not json at all"
    assert "result" in dead[1][1]["x-dlq-reason"]
    assert dead[1][1]["x-dlq-original-topic"] == settings.topic("agency.health.status")
    assert "unknown request" in dead[2][1]["x-dlq-reason"]
    wrong_agency = await read_topic(
        settings.kafka_bootstrap_servers, settings.topic("agency.housing.status.dlq"), count=1
    )
    assert "is not the housing agency's" in wrong_agency[0][1]["x-dlq-reason"]
