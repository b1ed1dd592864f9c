"""Find how to reach a family: the snapshot, completed from the passport service once."""

import time

from patronage_common.logging import get_logger

from ..context import Notifier
from . import service
from .service import Contact, to_contact

log = get_logger(__name__)


CACHE_LIMIT = 100_000


def forget_contact(notifier: Notifier, family_id: str) -> None:
    """Drop this replica's cached copy after a change."""
    notifier.contact_cache.pop(family_id, None)


def cached_contact(notifier: Notifier, family_id: str) -> Contact | None:
    """This replica's fresh copy of the family's contact, if it has one (no I/O)."""
    cached = notifier.contact_cache.get(family_id)
    if cached is not None and cached[0] > time.monotonic():
        found: Contact | None = cached[1]
        return found
    return None


async def contact_for(*, notifier: Notifier, family_id: str) -> Contact | None:
    """The family's contact, cached for a short while (notifications come in bursts)."""
    ttl = notifier.settings.contact_cache_ttl_s
    cached = cached_contact(notifier, family_id)
    if cached is not None:
        return cached
    contact = await _read_contact(notifier=notifier, family_id=family_id)
    if ttl > 0 and contact is not None:
        if len(notifier.contact_cache) >= CACHE_LIMIT:
            notifier.contact_cache.clear()
        notifier.contact_cache[family_id] = (time.monotonic() + ttl, contact)
    return contact


async def _read_contact(*, notifier: Notifier, family_id: str) -> Contact | None:
    """The family's contact; asks the passport service when the snapshot lacks contacts."""
    db = notifier.runtime.db
    document = await service.get_contact(db=db, family_id=family_id)
    if document is not None and document.get("fetched"):
        return to_contact(document)
    try:
        fetched = await service.fetch_passport_contact(
            http=notifier.http, passport_url=notifier.settings.passport_url, family_id=family_id
        )
    except Exception as exc:
        # The passport service is down: work with what we know, fetch again next time.
        log.warning("passport not reachable", family_id=family_id, error=str(exc))
        return to_contact(document) if document is not None else None
    if fetched is None:
        return to_contact(document) if document is not None else None
    if document is not None and document.get("consent_to_contact") is False:
        fetched["consent_to_contact"] = False  # a withdrawal we heard of wins
    await service.update_contact(db=db, family_id=family_id, fields=fetched)
    return to_contact({**(document or {}), **fetched, "_id": family_id})
