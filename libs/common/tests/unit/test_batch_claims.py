"""A batch consumer without claims hands every event of the batch to its handler, each once,
and stores nothing of its own."""

from typing import Any, cast
from uuid import uuid4

import pytest
from patronage_common.consumers import BatchEventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import ConsentWithdrawn, Message

pytestmark = pytest.mark.unit


class NoStore:
    """A runtime whose store must not be touched."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the consumer used runtime.{name}")


async def test_without_claims_every_event_goes_to_the_handler_once_and_nothing_is_stored() -> None:
    given: list[list[Message]] = []

    async def handler(events: list[Message], _runtime: ServiceRuntime) -> None:
        given.append(events)

    router = BatchEventRouter(
        "passport.events",
        consumer="test.read-model",
        types=(ConsentWithdrawn,),
        handler=handler,
        claims=False,
    )
    first, second = (
        ConsentWithdrawn(family_id=uuid4(), scope=("contacts",), recorded_by="curator-1"),
        ConsentWithdrawn(family_id=uuid4(), scope=("health",), recorded_by="curator-2"),
    )
    bodies = [e.model_dump(mode="json") for e in (first, second, first)]  # first delivered twice

    await router.dispatch_batch(bodies, cast(ServiceRuntime, NoStore()))

    assert [[e.event_id for e in batch] for batch in given] == [[first.event_id, second.event_id]]
