"""One trace follows a request from the HTTP call through Kafka into every consumer."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from patronage_common.testing import eventually, free_port, serve
from patronage_notifications.main import create_app as create_notifications
from patronage_notifications.settings import NotificationsSettings
from patronage_passport.main import create_app as create_passport
from patronage_passport.settings import PassportSettings
from patronage_reporting.main import create_app as create_reporting
from patronage_reporting.settings import ReportingSettings
from patronage_requests.main import create_app as create_requests
from patronage_requests.settings import RequestsSettings

from tests.support.agency_client import AgencyClient
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration


def consumer_spans(spans: tuple[ReadableSpan, ...], trace_id: int) -> set[str]:
    """``consumer@topic`` of every consumer span in the trace, or in a batch linked to it.

    A batch subscriber processes several traces at once: its span starts a trace of its
    own that links to each message's (OpenTelemetry's way for batches).
    """
    linked = {
        s.context.trace_id
        for s in spans
        if s.context is not None and any(link.context.trace_id == trace_id for link in s.links)
    }
    return {
        f"{(s.attributes or {}).get('patronage.consumer')}@{s.name.split()[0]}"
        for s in spans
        if s.kind is SpanKind.CONSUMER
        and s.context is not None
        and (s.context.trace_id == trace_id or s.context.trace_id in linked)
    }


async def test_trace_id_flows_from_http_through_kafka_into_every_consumer(
    make_settings: Callable[..., Any],
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    ports = {name: free_port() for name in ("passport", "requests", "notifications", "reporting")}
    passport_url = f"http://127.0.0.1:{ports['passport']}"
    requests_settings = make_settings(
        RequestsSettings, http_port=ports["requests"], passport_url=passport_url
    )
    apps = {
        "passport": create_passport(make_settings(PassportSettings), provider),
        "requests": create_requests(requests_settings, provider),
        "notifications": create_notifications(make_settings(NotificationsSettings), provider),
        "reporting": create_reporting(make_settings(ReportingSettings), provider),
    }
    prefix = requests_settings.topic_prefix
    kafka = requests_settings.kafka_bootstrap_servers
    async with (
        serve(apps["passport"], ports["passport"]),
        serve(apps["requests"], ports["requests"]) as requests_url,
        serve(apps["notifications"], ports["notifications"]) as notifications_url,
        serve(apps["reporting"], ports["reporting"]) as reporting_url,
        httpx.AsyncClient() as client,
    ):
        family = await client.post(
            f"{passport_url}/passports",
            json=passport_payload(curator_id="curator-trace"),
        )
        created = await client.post(
            f"{requests_url}/requests",
            json={
                "family_id": family.json()["family_id"],
                "category": "employment",
                "description": "Ищу работу",
            },
        )
        assert created.status_code == 201, created.text
        server_span = next(
            s
            for s in exporter.get_finished_spans()
            if s.kind is SpanKind.SERVER and "POST /requests" in s.name
        )
        assert server_span.context is not None
        trace_id = server_span.context.trace_id

        async with AgencyClient(kafka, prefix, "employment") as agency:
            task, headers = await agency.next_task()
            assert f"{trace_id:032x}" in headers["traceparent"]
            await agency.report(task, "accepted", headers={"traceparent": headers["traceparent"]})

        async def counted() -> bool:
            response = await client.get(
                f"{reporting_url}/reports/requests",
                headers={"X-Actor-Role": "regional_coordinator"},
            )
            return bool(response.json()["live"]["by_status"].get("accepted"))

        await eventually(counted, what="the accepted request counted")

        async def notified() -> bool:
            response = await client.get(
                f"{notifications_url}/notifications", params={"recipient_id": "curator-trace"}
            )
            return len(response.json()) >= 2

        await eventually(notified, what="the curator notified of both changes")

    groups = consumer_spans(exporter.get_finished_spans(), trace_id)
    assert f"requests.agency-status@{prefix}agency.employment.status" in groups
    assert f"notifications.decide@{prefix}requests.events" in groups
    assert f"reporting.requests@{prefix}requests.events" in groups
    producers = {
        str((s.attributes or {}).get("messaging.destination.name"))
        for s in exporter.get_finished_spans()
        if s.kind is SpanKind.PRODUCER and s.context is not None and s.context.trace_id == trace_id
    }
    assert {f"{prefix}requests.events", f"{prefix}agency.employment.requests"} <= producers
