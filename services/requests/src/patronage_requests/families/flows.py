"""Find what the requests service needs to know of a family."""

from uuid import UUID

from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document

from ..settings import RequestsSettings
from . import service


class FamilyNotFoundError(LookupError):
    """No passport exists for the family."""


def is_current(family: Document | None, *, need_id: UUID | None, plan_item_id: UUID | None) -> bool:
    """Whether the snapshot has the latest details and knows the need and plan item."""
    if family is None or "details_version" not in family:
        return False
    if family.get("latest_version", 0) > family["details_version"]:
        return False
    # A need or plan item added since the last fetch is worth one more look.
    if need_id is not None and str(need_id) not in family.get("need_ids", []):
        return False
    return plan_item_id is None or str(plan_item_id) in family.get("plan_item_ids", [])


async def family_for_request(
    *,
    runtime: ServiceRuntime,
    family_id: UUID,
    need_id: UUID | None = None,
    plan_item_id: UUID | None = None,
) -> Document:
    """The family's snapshot with the details agencies need; fetched when it is stale."""
    family = await service.get_family(db=runtime.db, family_id=family_id)
    if is_current(family, need_id=need_id, plan_item_id=plan_item_id):
        assert family is not None
        return family
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    passport = await service.fetch_passport(
        passport_url=settings.passport_url,
        family_id=family_id,
        identity_secret=settings.identity_secret,
    )
    if passport is None:
        raise FamilyNotFoundError(f"семья {family_id} не найдена")
    await service.save_details(
        db=runtime.db, family_id=family_id, details=service.details_of(passport)
    )
    stored = await service.get_family(db=runtime.db, family_id=family_id)
    assert stored is not None
    return stored
