"""Consume the passport topic (facts, contacts, triggers) and curator requests (contacts)."""

from typing import Any

from patronage_common.consumers import BatchEventRouter, EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import Channel, Event, RequestCreated
from patronage_contracts.passport import PASSPORT_EVENTS
from patronage_contracts.topics import PASSPORT_EVENTS_TOPIC, REQUEST_EVENTS_TOPIC

from . import flows
from .engine import ProactiveEngine


def from_a_curator(body: dict[str, Any]) -> bool:
    """Whether a raw ``RequestCreated`` is a curator's (the only ones that are a contact)."""
    return body.get("channel") == Channel.CURATOR.value


def proactive_routers(engine: ProactiveEngine) -> list[EventRouter | BatchEventRouter]:
    """Subscribers of the proactive rules, bound to the engine's rules and clock."""
    passport_events = EventRouter(
        PASSPORT_EVENTS_TOPIC.name,
        consumer="requests.proactive",
        description="Proactive rules: family facts, contacts and event triggers",
    )

    async def on_passport_event(event: Event, runtime: ServiceRuntime) -> None:
        await flows.on_passport_event(runtime=runtime, engine=engine, event=event)

    for model in PASSPORT_EVENTS:
        passport_events.add(model, on_passport_event)

    async def on_requests_created(events: list[RequestCreated], runtime: ServiceRuntime) -> None:
        for event in events:
            await flows.on_request_created(runtime=runtime, engine=engine, event=event)

    curator_requests = BatchEventRouter(
        REQUEST_EVENTS_TOPIC.name,
        consumer="requests.proactive-contacts",
        types=(RequestCreated,),
        handler=on_requests_created,
        # The other channels' requests are skipped before their claims are stored.
        wants=from_a_curator,
        description="Proactive rules: a curator's request is a contact with the family",
    )
    return [passport_events, curator_requests]
