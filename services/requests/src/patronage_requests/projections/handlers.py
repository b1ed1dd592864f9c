"""One consumer of the service's own request events for its read models: the family
timelines, the request lists and the SLA clocks.

Each event is fetched, parsed and validated once for all three, not once per read model.
Each read model gets the batch's events of its types, in topic order, and the three apply
them one after another: side by side, their writes reached the store together in bursts that
the routing's own writes queued behind (paced at 200 requests/s, created→agency p99 a median
46.8 ms one after another against 63.7 ms side by side in five alternated runs of
``bench/requests.py``). If any fails, the others still apply the batch, and then the whole
batch is delivered again and all three apply it again. Nothing is claimed
(``claims=False``): each read model absorbs an event applied twice by itself (a timeline
entry is a value fixed by its event, added once; a list line and an SLA record move only to
a newer request version), so the claims — three stored documents for every request, once
eight with a consumer per read model — would only have saved the work of a rare redelivery.

The read models give way to the routing: while the service routes an intake batch or answers
an HTTP request, each pauses after applying a batch up to ``projections_busy_pause_ratio``
times as long as it took (``Foreground``). The further behind they are (the batch's oldest
event), the shorter the pause, and none once ``projections_max_lag_s`` behind: a steady
stream cannot leave them ever further behind, and a replay runs at full speed.

It took over from three consumer groups (``requests.timeline``, ``requests.lists`` and
``requests.sla``): a deployment that ran them replays ``requests.events`` once from the
start into the read models, which absorb it (timeline entries are added once, list lines
and clocks move only to a newer request version).
"""

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from patronage_common.consumers import BatchEventRouter
from patronage_common.foreground import Pace
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import Message, utc_now
from patronage_contracts.topics import REQUEST_EVENTS_TOPIC

from ..request_lists import handlers as lists
from ..settings import RequestsSettings
from ..sla import handlers as sla
from ..timeline import handlers as timeline

CONSUMER = "requests.projections"


@dataclass(frozen=True)
class ReadModel:
    """A read model: the event types it follows and what applies a batch of them."""

    name: str
    types: tuple[type[Message], ...]
    apply: Callable[[list[Any], ServiceRuntime], Awaitable[None]]

    async def apply_batch(self, events: Sequence[Message], runtime: ServiceRuntime) -> None:
        """Apply the batch's events of this model's types (nothing if it has none)."""
        own = [e for e in events if isinstance(e, self.types)]
        if own:
            await self.apply(own, runtime)


READ_MODELS = (
    ReadModel("timeline", timeline.TYPES, timeline.record_on_timelines),
    ReadModel("lists", lists.TYPES, lists.refresh_listings),
    ReadModel("sla", sla.TYPES, sla.on_request_events),
)


async def apply_to_all(
    models: Sequence[ReadModel],
    events: Sequence[Message],
    runtime: ServiceRuntime,
    pace: Pace | None = None,
) -> None:
    """Apply a batch to every model, one after another, each followed by ``pace`` with the
    seconds it took; the first failure is raised once all are done (none is left half-way
    while the batch is delivered again)."""
    failures: list[Exception] = []
    for model in models:
        started = time.perf_counter()
        try:
            await model.apply_batch(events, runtime)
        except Exception as exc:  # the others still apply the batch
            failures.append(exc)
        if pace is not None:
            await pace(time.perf_counter() - started)
    if failures:
        raise failures[0]


def pace_of(runtime: ServiceRuntime, events: Sequence[Message]) -> Pace | None:
    """How the read models give way to the routing for this batch: the further behind they
    are (its oldest event's age), the less, and not at all once ``projections_max_lag_s``
    behind — so under a steady stream they settle where their share keeps up with it."""
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    oldest = min((event.occurred_at for event in events), default=utc_now())
    behind = max(0.0, (utc_now() - oldest).total_seconds())
    if settings.projections_max_lag_s <= 0 or behind >= settings.projections_max_lag_s:
        return None
    share_left = 1 - behind / settings.projections_max_lag_s
    return runtime.foreground.pacer(settings.projections_busy_pause_ratio * share_left)


async def project(events: list[Message], runtime: ServiceRuntime) -> None:
    """Apply a batch of the service's request events to its read models."""
    await apply_to_all(READ_MODELS, events, runtime, pace_of(runtime, events))


router = BatchEventRouter(
    REQUEST_EVENTS_TOPIC.name,
    consumer=CONSUMER,
    types=tuple(dict.fromkeys(t for model in READ_MODELS for t in model.types)),
    handler=project,
    description="Family timelines, request lists by curator and agency, SLA clocks",
    claims=False,
)
