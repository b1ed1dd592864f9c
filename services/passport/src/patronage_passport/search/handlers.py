"""The indexer: reindex a family whenever its passport changes."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import PassportRegistered, PassportUpdated
from patronage_contracts.topics import PASSPORT_EVENTS_TOPIC

from . import flows

router = EventRouter(
    PASSPORT_EVENTS_TOPIC.name, consumer="passport.search-index", description="Search index"
)


@router.handles(PassportRegistered)
async def on_registered(event: PassportRegistered, runtime: ServiceRuntime) -> None:
    """Index a new passport."""
    await flows.reindex_family(db=runtime.db, family_id=str(event.family_id))


@router.handles(PassportUpdated)
async def on_updated(event: PassportUpdated, runtime: ServiceRuntime) -> None:
    """Reindex a changed passport."""
    await flows.reindex_family(db=runtime.db, family_id=str(event.family_id))


async def upgrade_index(runtime: ServiceRuntime) -> None:
    """At start-up, move families indexed in an earlier format into the current one."""
    await flows.reindex_earlier_formats(db=runtime.db)
