"""Keep family snapshots current from the passport topic."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import CuratorAssigned, PassportRegistered, PassportUpdated
from patronage_contracts.topics import PASSPORT_EVENTS_TOPIC

from ..help_requests.service import request_ids_of_family
from ..request_lists.service import refresh_line
from . import service

router = EventRouter(
    PASSPORT_EVENTS_TOPIC.name, consumer="requests.families", description="Family snapshots"
)


@router.handles(PassportRegistered)
async def on_passport_registered(event: PassportRegistered, runtime: ServiceRuntime) -> None:
    """A new family: remember its district, HQ and curator."""
    await service.save_family(
        db=runtime.db,
        family_id=event.family_id,
        district=event.district,
        hq=event.hq,
        curator_id=event.curator_id,
    )


@router.handles(PassportUpdated)
async def on_passport_updated(event: PassportUpdated, runtime: ServiceRuntime) -> None:
    """The passport changed: the details kept here are refetched before they are used."""
    await service.note_passport_version(
        db=runtime.db, family_id=event.family_id, version=event.version
    )


@router.handles(CuratorAssigned)
async def on_curator_assigned(event: CuratorAssigned, runtime: ServiceRuntime) -> None:
    """A family's curator changed: its requests move to the new curator's list."""
    await service.set_curator(db=runtime.db, family_id=event.family_id, curator_id=event.curator_id)
    for request_id in await request_ids_of_family(db=runtime.db, family_id=event.family_id):
        await refresh_line(db=runtime.db, request_id=request_id)
