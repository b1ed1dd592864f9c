"""Contact snapshots (``_id`` = family id), Telegram chat links and one-time link codes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
from patronage_common.store import Database, Document, upsert_one
from patronage_contracts import NotificationChannel
from pymongo.errors import DuplicateKeyError

CONTACTS = "contacts"
TELEGRAM_LINKS = "telegram_links"
LINK_CODES = "link_codes"


@dataclass(frozen=True)
class Contact:
    """How to reach a family and who looks after it."""

    family_id: str
    curator_id: str | None = None
    district: str | None = None
    hq: str | None = None
    phone: str | None = None
    email: str | None = None
    telegram_chat_id: str | None = None
    preferred_channel: str | None = None
    consent_to_contact: bool = True
    unreachable: frozenset[str] = frozenset()

    def address(self, channel: NotificationChannel) -> str | None:
        """The family's address on a channel, if any."""
        return {
            NotificationChannel.TELEGRAM: self.telegram_chat_id,
            NotificationChannel.SMS: self.phone,
            NotificationChannel.EMAIL: self.email,
        }.get(channel)

    @property
    def addresses(self) -> dict[NotificationChannel, str | None]:
        """Every outbound address of the family."""
        return {c: self.address(c) for c in NotificationChannel}


def to_contact(document: Document) -> Contact:
    """A contact from its stored snapshot."""
    return Contact(
        family_id=str(document["_id"]),
        curator_id=document.get("curator_id"),
        district=document.get("district"),
        hq=document.get("hq"),
        phone=document.get("phone"),
        email=document.get("email"),
        telegram_chat_id=document.get("telegram_chat_id"),
        preferred_channel=document.get("preferred_channel"),
        consent_to_contact=document.get("consent_to_contact", True),
        unreachable=frozenset((document.get("unreachable") or {}).keys()),
    )


async def get_contact(*, db: Database, family_id: str) -> Document | None:
    """The stored snapshot of a family."""
    return await db[CONTACTS].find_one({"_id": family_id})


async def update_contact(*, db: Database, family_id: str, fields: dict[str, Any]) -> None:
    """Set fields of a family's snapshot (created if missing)."""
    await upsert_one(db[CONTACTS], {"_id": family_id}, {"$set": fields})


async def mark_unreachable(
    *, db: Database, family_id: str, channel: NotificationChannel, reason: str, at: datetime
) -> None:
    """Remember that a channel refused the family for good."""
    await upsert_one(
        db[CONTACTS],
        {"_id": family_id},
        {"$set": {f"unreachable.{channel.value}": {"reason": reason, "at": at}}},
    )


async def fetch_passport_contact(
    *, http: httpx.AsyncClient, passport_url: str, family_id: str
) -> dict[str, Any] | None:
    """Ask the passport service for the family's contacts, district and curator."""
    response = await http.get(f"{passport_url.rstrip('/')}/passports/{family_id}")
    if response.status_code == httpx.codes.NOT_FOUND:
        return None
    response.raise_for_status()
    passport = response.json()
    contacts = passport.get("contacts") or {}
    restricted = set(passport.get("restricted_scopes") or [])
    return {
        "district": passport["address"]["district"],
        "hq": passport["address"]["hq"],
        "curator_id": passport.get("curator_id"),
        "phone": (contacts.get("phones") or [None])[0],
        "email": contacts.get("email"),
        "preferred_channel": contacts.get("preferred_channel"),
        "consent_to_contact": bool(contacts.get("consent_to_contact", True))
        and "contact" not in restricted,
        "fetched": True,
    }


async def link_chat(*, db: Database, family_id: str, chat_id: int, at: datetime) -> None:
    """Link a Telegram chat to a family (both directions, each by ``_id``)."""
    await upsert_one(
        db[TELEGRAM_LINKS], {"_id": f"chat:{chat_id}"}, {"$set": {"family_id": family_id, "at": at}}
    )
    await db[CONTACTS].update_one(
        {"_id": family_id},
        {"$set": {"telegram_chat_id": str(chat_id)}, "$unset": {"unreachable.telegram": ""}},
        upsert=True,
    )


async def family_of_chat(*, db: Database, chat_id: int) -> str | None:
    """The family a Telegram chat is linked to."""
    link = await db[TELEGRAM_LINKS].find_one({"_id": f"chat:{chat_id}"})
    return None if link is None else str(link["family_id"])


async def create_link_code(
    *, db: Database, code: str, family_id: UUID, curator_id: str, expires_at: datetime
) -> bool:
    """Store a one-time code; False if the code is taken (draw another)."""
    try:
        await db[LINK_CODES].insert_one(
            {
                "_id": code,
                "family_id": str(family_id),
                "curator_id": curator_id,
                "expires_at": expires_at,
            }
        )
    except DuplicateKeyError:
        return False
    return True


async def redeem_link_code(*, db: Database, code: str, now: datetime) -> str | None:
    """The family of a valid code, which is used up; None if unknown, used or expired."""
    document = await db[LINK_CODES].find_one_and_delete({"_id": code})
    if document is None or document["expires_at"] < now:
        return None
    return str(document["family_id"])
