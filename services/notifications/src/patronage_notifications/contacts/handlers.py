"""Keep contact snapshots current from the passport topic."""

from patronage_common.consumers import EventRouter
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import (
    ConsentWithdrawn,
    CuratorAssigned,
    PassportRegistered,
    PassportUpdated,
)
from patronage_contracts.topics import PASSPORT_EVENTS_TOPIC

from ..context import NOTIFIER_CONTEXT_KEY, Notifier
from . import service
from .flows import forget_contact


def _forget(runtime: ServiceRuntime, family_id: str) -> None:
    notifier: Notifier | None = runtime.broker.context.get(NOTIFIER_CONTEXT_KEY)
    if notifier is not None:
        forget_contact(notifier, family_id)


router = EventRouter(
    PASSPORT_EVENTS_TOPIC.name, consumer="notifications.contacts", description="Contact snapshots"
)


@router.handles(PassportRegistered)
async def on_passport_registered(event: PassportRegistered, runtime: ServiceRuntime) -> None:
    """A new family: its district, HQ and curator; contacts are fetched when first needed."""
    await service.update_contact(
        db=runtime.db,
        family_id=str(event.family_id),
        fields={"district": event.district, "hq": event.hq, "curator_id": event.curator_id},
    )
    _forget(runtime, str(event.family_id))


@router.handles(CuratorAssigned)
async def on_curator_assigned(event: CuratorAssigned, runtime: ServiceRuntime) -> None:
    """A family's curator changed."""
    await service.update_contact(
        db=runtime.db, family_id=str(event.family_id), fields={"curator_id": event.curator_id}
    )
    _forget(runtime, str(event.family_id))


@router.handles(PassportUpdated)
async def on_passport_updated(event: PassportUpdated, runtime: ServiceRuntime) -> None:
    """Changed contacts or address: fetch the passport again before the next notification."""
    if {"contacts", "address"} & set(event.sections):
        await service.update_contact(
            db=runtime.db, family_id=str(event.family_id), fields={"fetched": False}
        )
        _forget(runtime, str(event.family_id))


@router.handles(ConsentWithdrawn)
async def on_consent_withdrawn(event: ConsentWithdrawn, runtime: ServiceRuntime) -> None:
    """No consent to contact: the family gets no more messages from us."""
    if "contact" in event.scope or "personal_data" in event.scope:
        await service.update_contact(
            db=runtime.db, family_id=str(event.family_id), fields={"consent_to_contact": False}
        )
        _forget(runtime, str(event.family_id))
