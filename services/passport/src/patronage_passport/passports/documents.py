"""Stored form of a passport: sensitive fields encrypted, look-up keys, restricted reads."""

from datetime import date
from typing import Any

from patronage_common.crypto import FieldCipher

from .enums import ConsentScope, Relation
from .models import Member

Document = dict[str, Any]

# Paths (within a member or the serviceman) whose values are encrypted at rest.
MEMBER_SECRETS = (("snils",), ("disability", "notes"))
SERVICEMAN_SECRETS = (("status_note",),)


def _transform(node: Document | None, path: tuple[str, ...], fn: Any) -> None:
    for key in path[:-1]:
        if not isinstance(node, dict):
            return
        node = node.get(key)
    if isinstance(node, dict) and isinstance(node.get(path[-1]), str):
        node[path[-1]] = fn(node[path[-1]])


def _apply_to_secrets(document: Document, fn: Any) -> Document:
    for member in document.get("members") or []:
        for path in MEMBER_SECRETS:
            _transform(member, path, fn)
    serviceman = document.get("serviceman")
    if isinstance(serviceman, dict):
        for path in SERVICEMAN_SECRETS:
            _transform(serviceman, path, fn)
        for entry in serviceman.get("status_history") or []:
            _transform(entry, ("note",), fn)
    return document


def seal(document: Document, cipher: FieldCipher) -> Document:
    """Encrypt the sensitive fields of a passport document in place."""
    return _apply_to_secrets(document, cipher.encrypt)


def unseal(document: Document, cipher: FieldCipher) -> Document:
    """Decrypt the sensitive fields of a passport document in place."""
    return _apply_to_secrets(document, cipher.decrypt)


def normalize_name(full_name: str) -> str:
    """Lower case, ё as е, single spaces: how names are compared and sorted."""
    return " ".join(full_name.lower().replace("ё", "е").split())


def person_key(full_name: str, birth_date: date | str) -> str:
    """Identity of a person for duplicate detection."""
    return f"person:{normalize_name(full_name)}|{birth_date}"


def phone_key(phone: str) -> str:
    """Identity of a phone number for duplicate detection."""
    return f"phone:{phone}"


def identity_keys(members: list[Member], phones: list[str]) -> list[str]:
    """Every key that must be unique to one passport."""
    keys = [person_key(m.full_name, m.birth_date) for m in members]
    keys += [phone_key(p) for p in phones]
    return list(dict.fromkeys(keys))


def applicant_of(document: Document) -> Document:
    """The applicant member of a stored passport."""
    members: list[Document] = document["members"]
    return next((m for m in members if m["relation"] == Relation.APPLICANT.value), members[0])


def restrict(document: Document) -> Document:
    """What may still be shown after the family withdrew (part of) its consent."""
    restricted = set(document.get("restricted_scopes") or [])
    if ConsentScope.PERSONAL_DATA.value in restricted:
        document["serviceman"] = None
        document["contacts"] = None
        document["members"] = [
            {
                "member_id": m["member_id"],
                "relation": m["relation"],
                "full_name": "скрыто: согласие отозвано",
                "birth_date": m["birth_date"],
            }
            for m in document["members"]
        ]
        return document
    if ConsentScope.HEALTH_DATA.value in restricted:
        for member in document["members"]:
            member["disability"] = None
            member["pregnancy"] = None
    if ConsentScope.CONTACT.value in restricted:
        document["contacts"] = None
    return document
