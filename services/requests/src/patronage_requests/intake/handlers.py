"""Consume the intake topic in batches: each valid command becomes one routed request."""

import asyncio
from typing import Any

from faststream.kafka import KafkaRouter
from opentelemetry import trace
from patronage_common.consumers import subscription
from patronage_common.logging import get_logger
from patronage_common.messaging import MessageRefused, dead_letter
from patronage_common.runtime import HandlerRuntime, ServiceRuntime
from patronage_contracts import SubmitHelpRequest
from patronage_contracts.topics import REQUEST_INTAKE_TOPIC
from pydantic import ValidationError

from ..families.flows import FamilyNotFoundError
from ..help_requests.changes import ActionInvalidError
from ..settings import RequestsSettings
from . import flows

log = get_logger(__name__)
CONSUMER = "requests.intake"
TOPIC = REQUEST_INTAKE_TOPIC.name

REFUSED = (ValidationError, MessageRefused, FamilyNotFoundError, ActionInvalidError)
"""What makes a command go to the DLQ; anything else is transient (the batch comes again)."""


def parse(body: Any) -> SubmitHelpRequest:
    """The command in ``body``; ``MessageRefused`` or ``ValidationError`` if it is none."""
    if not isinstance(body, dict) or body.get("type") != "SubmitHelpRequest":
        raise MessageRefused("not a SubmitHelpRequest command (field 'type')")
    return SubmitHelpRequest.model_validate(body)


async def handle_batch(runtime: ServiceRuntime, bodies: list[Any]) -> int:
    """Create the batch's requests together; refused commands go to the DLQ with the reason.

    A request id seen before (in this batch or stored earlier) is dropped. Returns how
    many requests were created.
    """
    commands: dict[Any, tuple[SubmitHelpRequest, Any]] = {}
    for body in bodies:
        try:
            command = parse(body)
        except REFUSED as exc:
            await dead_letter(
                runtime.broker, runtime.settings, topic=TOPIC, body=body, exc=exc, consumer=CONSUMER
            )
            continue
        commands.setdefault(command.request_id, (command, body))

    families = await flows.families_of(
        runtime=runtime, family_ids={command.family_id for command, _ in commands.values()}
    )

    async def submit(command: SubmitHelpRequest, body: Any) -> bool:
        try:
            created = await flows.submit_help_request(
                runtime=runtime, command=command, family=families.get(command.family_id)
            )
        except REFUSED as exc:
            await dead_letter(
                runtime.broker, runtime.settings, topic=TOPIC, body=body, exc=exc, consumer=CONSUMER
            )
            return False
        if not created:
            log.info("resubmitted help request dropped", request_id=str(command.request_id))
        return created

    created = await asyncio.gather(*(submit(c, b) for c, b in commands.values()))
    return sum(created)


def kafka_router(settings: RequestsSettings) -> KafkaRouter:
    """The batch subscriber of the intake topic."""
    router = KafkaRouter()

    @router.subscriber(
        settings.topic(TOPIC),
        batch=True,
        max_records=settings.intake_batch_max_records,
        batch_timeout_ms=settings.intake_batch_timeout_ms,
        **subscription(
            settings,
            TOPIC,
            consumer=CONSUMER,
            description="Create and route submitted help requests (once per request id)",
        ),
    )
    async def consume(bodies: list[Any], runtime: HandlerRuntime) -> None:
        trace.get_current_span().set_attribute("patronage.consumer", CONSUMER)
        with runtime.foreground.serving():
            await handle_batch(runtime, bodies)

    return router
