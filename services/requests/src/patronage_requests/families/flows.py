"""Find what the requests service needs to know of a family."""

from uuid import UUID

from patronage_common.runtime import ServiceRuntime
from patronage_common.store import Document

from ..settings import RequestsSettings
from . import service


class FamilyNotFoundError(LookupError):
    """No passport exists for the family."""


async def family_for_request(*, runtime: ServiceRuntime, family_id: UUID) -> Document:
    """The family's snapshot with applicant contact; asks the passport service once."""
    family = await service.get_family(db=runtime.db, family_id=family_id)
    if family is not None and "applicant_full_name" in family:
        return family
    settings = runtime.settings
    assert isinstance(settings, RequestsSettings)
    passport = await service.fetch_family(passport_url=settings.passport_url, family_id=family_id)
    if passport is None:
        raise FamilyNotFoundError(f"семья {family_id} не найдена")
    await service.save_contact(
        db=runtime.db,
        family_id=family_id,
        district=passport["district"],
        hq=passport["hq"],
        curator_id=(family or {}).get("curator_id", passport.get("curator_id")),
        applicant_full_name=passport["applicant_full_name"],
        phone=passport.get("phone"),
    )
    stored = await service.get_family(db=runtime.db, family_id=family_id)
    assert stored is not None
    return stored
