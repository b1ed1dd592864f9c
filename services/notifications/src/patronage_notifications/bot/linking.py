"""Link a Telegram chat to a passport: a curator's one-time code, or the shared phone."""

import secrets
from datetime import timedelta
from uuid import UUID

from patronage_common.logging import get_logger

from ..contacts import service as contacts
from ..contacts.flows import forget_contact
from ..context import Notifier

log = get_logger(__name__)
CODE_DIGITS = 6


async def issue_link_code(
    *, notifier: Notifier, family_id: UUID, curator_id: str
) -> dict[str, str]:
    """A fresh one-time code for the family, valid for ``link_code_ttl_s``."""
    expires_at = notifier.clock() + timedelta(seconds=notifier.settings.link_code_ttl_s)
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if await contacts.create_link_code(
            db=notifier.runtime.db,
            code=code,
            family_id=family_id,
            curator_id=curator_id,
            expires_at=expires_at,
        ):
            return {"code": code, "family_id": str(family_id), "expires_at": expires_at.isoformat()}


async def link_by_code(*, notifier: Notifier, chat_id: int, code: str) -> str | None:
    """Link the chat with a valid code; the family id, or None."""
    family_id = await contacts.redeem_link_code(
        db=notifier.runtime.db, code=code.strip(), now=notifier.clock()
    )
    if family_id is not None:
        await contacts.link_chat(
            db=notifier.runtime.db, family_id=family_id, chat_id=chat_id, at=notifier.clock()
        )
        forget_contact(notifier, family_id)
    return family_id


async def link_by_phone(*, notifier: Notifier, chat_id: int, phone: str) -> str | None:
    """Link the chat to the one passport with this phone; None if none or several."""
    response = await notifier.http.get(
        f"{notifier.settings.passport_url.rstrip('/')}/passports",
        params={"phone": phone, "limit": 2},
    )
    if response.status_code != 200:
        log.warning("phone look-up refused", status=response.status_code)
        return None
    items = response.json().get("items") or []
    if len(items) != 1:
        return None
    family_id = str(items[0]["family_id"])
    await contacts.link_chat(
        db=notifier.runtime.db, family_id=family_id, chat_id=chat_id, at=notifier.clock()
    )
    forget_contact(notifier, family_id)
    return family_id
