"""The indexer: reindex families whenever their passports change, a batch of events at once."""

from typing import Any

from faststream.kafka import KafkaRouter
from opentelemetry import trace
from patronage_common.consumers import subscription
from patronage_common.foreground import Pace
from patronage_common.logging import get_logger
from patronage_common.messaging import MessageRefused, dead_letter
from patronage_common.runtime import HandlerRuntime, ServiceRuntime
from patronage_contracts import PassportRegistered, PassportUpdated
from patronage_contracts.topics import PASSPORT_EVENTS_TOPIC
from pydantic import ValidationError

from ..settings import PassportSettings
from . import flows
from .rebuild import move_index_out

log = get_logger(__name__)
CONSUMER = "passport.search-index"
TOPIC = PASSPORT_EVENTS_TOPIC.name
INDEXED: dict[str, type[PassportRegistered] | type[PassportUpdated]] = {
    "PassportRegistered": PassportRegistered,
    "PassportUpdated": PassportUpdated,
}
"""Events after which a family is reindexed; the topic's others are for other consumers."""


def family_to_reindex(body: Any) -> str | None:
    """Family whose passport the event changed, None if the event is for other consumers.

    ``MessageRefused`` or ``ValidationError`` if the message is not a valid event.
    """
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise MessageRefused("message has no string field 'type'")
    model = INDEXED.get(body["type"])
    return None if model is None else str(model.model_validate(body).family_id)


async def handle_batch(runtime: ServiceRuntime, bodies: list[Any]) -> int:
    """Reindex the families the batch's events changed, together; return how many.

    No processed-event record is kept: a reindex reads the passport's current version,
    so a redelivered batch (or a family changed twice in it) writes nothing new.
    Unreadable events go to the DLQ with the reason.
    """
    families: list[str] = []
    for body in bodies:
        try:
            family_id = family_to_reindex(body)
        except (MessageRefused, ValidationError) as exc:
            await dead_letter(
                runtime.broker, runtime.settings, topic=TOPIC, body=body, exc=exc, consumer=CONSUMER
            )
            continue
        if family_id is not None:
            families.append(family_id)
    unique = list(dict.fromkeys(families))
    await flows.reindex_families(db=runtime.db, family_ids=unique, pace=pace_of(runtime))
    return len(unique)


def pace_of(runtime: ServiceRuntime) -> Pace | None:
    """How the indexer gives way to the service's HTTP requests (None: it does not).

    Its writes cost the store more than the requests it competes with (tens of ms of
    FerretDB's CPU a round trip at 100k passports): while requests are served it pauses
    ``search_index_busy_pause_ratio`` times as long as each round trip took, and catches
    up at full speed once they stop.
    """
    settings = runtime.settings
    assert isinstance(settings, PassportSettings)
    return runtime.foreground.pacer(settings.search_index_busy_pause_ratio)


def kafka_router(settings: PassportSettings) -> KafkaRouter:
    """The batch subscriber of the passport topic that keeps the search index."""
    router = KafkaRouter()

    @router.subscriber(
        settings.topic(TOPIC),
        batch=True,
        max_records=settings.search_index_batch_max_records,
        batch_timeout_ms=settings.search_index_batch_timeout_ms,
        # The group of the one-event consumer it replaces: an upgrade goes on from its offsets.
        **subscription(
            settings,
            TOPIC,
            consumer=CONSUMER,
            description="Search index (families reindexed a batch at a time)",
        ),
    )
    async def consume(bodies: list[Any], runtime: HandlerRuntime) -> None:
        trace.get_current_span().set_attribute("patronage.consumer", CONSUMER)
        await handle_batch(runtime, bodies)

    return router


async def upgrade_index(runtime: ServiceRuntime) -> None:
    """At start-up, move an index kept beside the passports into its own database, and
    families indexed in an earlier format into the current one."""
    if await move_index_out(db=runtime.db):
        log.warning("search index moved into its own database")
    await flows.reindex_earlier_formats(db=runtime.db)
