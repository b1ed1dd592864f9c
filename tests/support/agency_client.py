"""An agency's own system, as an agency's developers would write it: plain aiokafka.

It is deliberately not project code: it speaks only the published protocol
(agency.<agency>.requests in, agency.<agency>.status out, JSON, key = family_id).
"""

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


class AgencyClient:
    """Consumes one agency's request topic and publishes status reports back."""

    def __init__(self, bootstrap_servers: str, topic_prefix: str, agency: str) -> None:
        self.agency = agency
        self.requests_topic = f"{topic_prefix}agency.{agency}.requests"
        self.status_topic = f"{topic_prefix}agency.{agency}.status"
        self._consumer = AIOKafkaConsumer(
            self.requests_topic,
            bootstrap_servers=bootstrap_servers,
            group_id=f"{topic_prefix}agency-system-{agency}",
            auto_offset_reset="earliest",
        )
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True
        )

    async def __aenter__(self) -> Self:
        await self._producer.start()
        await self._consumer.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._consumer.stop()
        await self._producer.stop()

    async def next_task(self, timeout_s: float = 60.0) -> tuple[dict[str, Any], dict[str, str]]:
        """The next help-request task for this agency, with its Kafka headers."""
        record = await asyncio.wait_for(self._consumer.getone(), timeout_s)
        headers = {k: v.decode() for k, v in record.headers}
        return json.loads(record.value), headers

    async def report(
        self,
        task: dict[str, Any],
        status: str,
        *,
        headers: dict[str, str] | None = None,
        agency: str | None = None,
        event_id: str | None = None,
        **texts: str,
    ) -> dict[str, Any]:
        """Publish a status report on the task; ``headers`` may carry the traceparent."""
        report = {
            "event_id": event_id or str(uuid.uuid4()),
            "type": "AgencyTaskStatusReported",
            "schema_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "correlation_id": task["correlation_id"],
            "causation_id": task["event_id"],
            "producer": f"agency:{self.agency}",
            "family_id": task["family_id"],
            "request_id": task["request_id"],
            "task_id": task["task_id"],
            "agency": agency or self.agency,
            "status": status,
            **texts,
        }
        await self.send_raw(json.dumps(report).encode(), key=task["family_id"], headers=headers)
        return report

    async def send_raw(
        self, value: bytes, *, key: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Publish arbitrary bytes on the status topic."""
        await self._producer.send_and_wait(
            self.status_topic,
            value,
            key=key.encode() if key else None,
            headers=[(k, v.encode()) for k, v in (headers or {}).items()],
        )


async def read_topic(
    bootstrap_servers: str, topic: str, *, count: int, timeout_s: float = 30.0
) -> list[tuple[bytes, dict[str, str]]]:
    """Read ``count`` records of a topic from its beginning (value and headers)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=f"reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[tuple[bytes, dict[str, str]]] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(records) < count:
                record = await consumer.getone()
                records.append((record.value, {k: v.decode() for k, v in record.headers}))
    finally:
        await consumer.stop()
    return records


async def read_events_until(
    bootstrap_servers: str,
    topic: str,
    done: Callable[[list[dict[str, Any]]], bool],
    *,
    timeout_s: float = 30.0,
) -> list[dict[str, Any]]:
    """Read a topic's JSON events from the beginning, each event_id once, until ``done``."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=f"reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    events: dict[str, dict[str, Any]] = {}
    try:
        async with asyncio.timeout(timeout_s):
            while not done(list(events.values())):
                record = await consumer.getone()
                event = json.loads(record.value)
                events.setdefault(event["event_id"], event)
    finally:
        await consumer.stop()
    return list(events.values())
