"""Passport use cases. Each change is one guarded single-document write with its events.

A change locks the passport, reads it, applies a pure function to a decrypted copy,
validates the whole result, stores the new immutable version, then writes the current
document by ``_id`` with the events in its outbox.
"""

import asyncio
import copy
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid4

from patronage_common.crypto import FieldCipher
from patronage_common.locks import locked
from patronage_common.outbox import GROUP_FIELD, NewDocument
from patronage_common.runtime import ServiceRuntime
from patronage_common.telemetry import current_trace_context
from patronage_contracts import (
    Message,
    PassportRegistered,
    PassportUpdated,
    RequestStatus,
    utc_now,
)
from patronage_contracts.envelope import Causation

from ..settings import PassportSettings
from . import service
from .diffs import diff_documents, seal_changes, unseal_changes
from .documents import Document, identity_keys, seal, unseal
from .models import Member, PassportCreate, PlanItemUpdate, Serviceman
from .validation import Problem, check_passport

Change = Callable[[Document, "ChangeContext"], Sequence[Message]]


class PassportNotFoundError(LookupError):
    """No passport with that id."""


class DuplicatePassportError(Exception):
    """The family (a member or a phone) already has a passport."""

    def __init__(self, existing_family_id: str) -> None:
        super().__init__(f"такая семья уже зарегистрирована: паспорт {existing_family_id}")
        self.existing_family_id = existing_family_id


class PassportInvalidError(ValueError):
    """The passport would break a rule across its sections."""

    def __init__(self, problems: list[Problem], prefix: tuple[str | int, ...] = ()) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
        self.prefix = prefix


@lru_cache
def _cipher(keys: str) -> FieldCipher:
    return FieldCipher.from_setting(keys)


def cipher_of(runtime: ServiceRuntime) -> FieldCipher:
    """The field cipher configured for this service."""
    settings = runtime.settings
    assert isinstance(settings, PassportSettings)
    return _cipher(settings.data_encryption_keys)


def stored_now() -> datetime:
    """Now, at the store's precision (BSON dates keep milliseconds)."""
    now = utc_now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class ChangeContext:
    """What a change function may use: who acts, when, and the envelope of its events."""

    def __init__(self, *, family_id: str, actor: str, version: int, now: datetime) -> None:
        self.family_id = family_id
        self.actor = actor
        self.version = version
        self.now = now
        self.today: date = now.astimezone(UTC).date()
        self._flow: Causation = {
            "correlation_id": uuid4(),
            "causation_id": uuid4(),
            "trace_context": current_trace_context(),
            "family_id": UUID(family_id),
        }

    def envelope(self) -> dict[str, Any]:
        """Envelope fields for an event of this change."""
        flow = dict(self._flow)
        flow.pop("causation_id")
        return flow


def validate_document(document: Document, today: date) -> None:
    """Raise ``PassportInvalidError`` if the decrypted document breaks a rule."""
    members = [Member.model_validate(m) for m in document["members"]]
    serviceman = (
        Serviceman.model_validate(document["serviceman"]) if document.get("serviceman") else None
    )
    problems = check_passport(
        categories=document["categories"], serviceman=serviceman, members=members, today=today
    )
    if problems:
        raise PassportInvalidError(problems)


def _keys_of(document: Document) -> list[str]:
    members = [Member.model_validate(m) for m in document["members"]]
    phones = (document.get("contacts") or {}).get("phones") or []
    return identity_keys(members, phones)


def new_passport(
    data: PassportCreate, *, family_id: UUID, actor: str, now: datetime
) -> tuple[Document, list[Message]]:
    """The decrypted document of a new passport and the events that announce it."""
    from .changes import new_needs

    body = data.model_dump(mode="json", exclude={"needs"})
    body["consent"]["recorded_by"] = body["consent"]["recorded_by"] or actor
    ctx = ChangeContext(family_id=str(family_id), actor=actor, version=1, now=now)
    document: Document = {
        "_id": str(family_id),
        **body,
        "restricted_scopes": [],
        "curator_history": (
            [_curator_record(data.curator_id, actor, "первичное закрепление", now)]
            if data.curator_id
            else []
        ),
        "needs": [],
        "measures": [],
        "plan_items": [],
        "plan_review_date": None,
        "created_at": now,
        "created_by": actor,
        "updated_at": now,
        "updated_by": actor,
        "version": 1,
        "version_log": [{"version": 1, "at": now, "by": actor, "sections": ["created"]}],
        "changes": [],  # of this version against the one before: none for the first
        "identity_keys": identity_keys(data.members, data.contacts.phones),
    }
    events: list[Message] = [
        PassportRegistered(
            **ctx.envelope(),
            district=data.address.district,
            hq=data.address.hq,
            categories=tuple(data.categories),
            curator_id=data.curator_id,
            consent_given=True,
            registered_by=actor,
        )
    ]
    events += new_needs(document, ctx, data.needs)
    return document, events


def check_new_passport(data: PassportCreate, today: date) -> None:
    """Raise ``PassportInvalidError`` if the new passport breaks a cross-section rule."""
    problems = check_passport(
        categories=data.categories, serviceman=data.serviceman, members=data.members, today=today
    )
    if problems:
        raise PassportInvalidError(problems)


async def register_passport(
    *, runtime: ServiceRuntime, data: PassportCreate, actor: str
) -> Document:
    """Store a new passport (refusing duplicates), announce it; return it decrypted.

    Two steps: the identity keys (the duplicate check) beside the outbox marker holding the
    events, then the document. Version 1 is the document itself until a change supersedes
    it and keeps it as history.
    """
    now = stored_now()
    check_new_passport(data, now.date())
    family_id = uuid4()
    document, events = new_passport(data, family_id=family_id, actor=actor, now=now)
    keys = document["identity_keys"]

    async def refuse_duplicates(_documents: Sequence[Document]) -> None:
        existing = await service.claim_keys(db=runtime.db, family_id=str(family_id), keys=keys)
        if existing is not None:
            raise DuplicatePassportError(existing)

    sealed = seal(copy.deepcopy(document), cipher_of(runtime))
    # A group of one: the events wait in their own marker, so once they are published the
    # marker is deleted by `_id` and the passport is never rewritten (an outbox in the
    # document cost a `$pullAll` of the whole passport and two lock writes per create, all
    # competing with the next creates for FerretDB's one SQLite writer). A refused passport
    # leaves a marker of nothing, which the relay's next sweep drops.
    await runtime.outbox.insert_many(
        service.PASSPORTS, [NewDocument(sealed, events)], before=refuse_duplicates
    )
    return document


def _curator_record(curator_id: str, actor: str, reason: str, now: datetime) -> Document:
    return {
        "curator_id": curator_id,
        "assigned_at": now,
        "assigned_by": actor,
        "reason": reason,
        "until": None,
    }


def snapshot_of(document: Document) -> Document:
    """What a stored version keeps of a sealed passport document."""
    return {
        k: v for k, v in document.items() if k not in ("outbox", GROUP_FIELD, "version_log", "_id")
    }


async def change_passport(
    *,
    runtime: ServiceRuntime,
    family_id: UUID,
    actor: str,
    sections: list[str],
    change: Change,
    authorize: Callable[[Document], None] | None = None,
) -> Document:
    """Apply ``change`` as a new version of the passport; return the decrypted result.

    ``authorize`` sees the stored passport under the lock and raises to refuse the change.
    """
    cipher = cipher_of(runtime)
    async with locked(runtime.db, f"{service.PASSPORTS}:{family_id}"):
        stored = await service.get_document(db=runtime.db, family_id=family_id)
        if stored is None:
            raise PassportNotFoundError(str(family_id))
        if authorize is not None:
            authorize(stored)
        now = stored_now()
        version = stored["version"] + 1
        before = unseal(copy.deepcopy(stored), cipher)
        working = copy.deepcopy(before)
        ctx = ChangeContext(family_id=str(family_id), actor=actor, version=version, now=now)
        events = list(change(working, ctx))
        validate_document(working, ctx.today)
        # Sealed like the fields they name; the snapshot keeps them once superseded.
        working["changes"] = seal_changes(diff_documents(before, working), cipher.encrypt)
        old_keys: list[str] = stored.get("identity_keys") or []
        new_keys = _keys_of(working)
        added = [k for k in new_keys if k not in old_keys]
        existing = await service.claim_keys(db=runtime.db, family_id=str(family_id), keys=added)
        if existing is not None:
            raise DuplicatePassportError(existing)
        working.update(version=version, updated_at=now, updated_by=actor, identity_keys=new_keys)
        events.append(
            PassportUpdated(
                **ctx.envelope(), version=version, sections=tuple(sections), changed_by=actor
            )
        )
        sealed = seal(copy.deepcopy(working), cipher)
        # The version being superseded becomes history before the new one replaces it.
        superseded = stored["version_log"][-1]
        await service.save_version(
            db=runtime.db,
            family_id=family_id,
            version=stored["version"],
            snapshot=snapshot_of(stored),
            meta={
                "changed_at": superseded["at"],
                "changed_by": superseded["by"],
                "sections": superseded["sections"],
            },
        )
        fields = {
            k: v
            for k, v in sealed.items()
            if k not in ("_id", "outbox", GROUP_FIELD, "version_log")
        }
        await runtime.outbox.update(
            service.PASSPORTS,
            str(family_id),
            {
                "$set": fields,
                "$push": {
                    "version_log": {
                        "version": version,
                        "at": now,
                        "by": actor,
                        "sections": sections,
                    }
                },
            },
            events,
        )
        removed = [k for k in old_keys if k not in new_keys]
        await service.release_keys(db=runtime.db, family_id=str(family_id), keys=removed)
        return working


async def read_passport(
    *, runtime: ServiceRuntime, family_id: UUID, as_of: datetime | None = None
) -> Document:
    """The decrypted passport now, or as it was at ``as_of``."""
    stored = await service.get_document(db=runtime.db, family_id=family_id)
    if stored is None:
        raise PassportNotFoundError(str(family_id))
    if as_of is not None:
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        versions = [v for v in stored["version_log"] if v["at"] <= moment]
        if not versions:
            raise PassportNotFoundError(f"{family_id} на {as_of.isoformat()}")
        version = versions[-1]
        if version["version"] != stored["version"]:
            snapshot = await service.get_version(
                db=runtime.db, family_id=family_id, version=version["version"]
            )
            if snapshot is None:
                raise PassportNotFoundError(f"{family_id} версия {version['version']}")
            stored = {
                "_id": stored["_id"],
                **snapshot["snapshot"],
                "version_log": stored["version_log"][: versions.index(version) + 1],
            }
    return unseal(stored, cipher_of(runtime))  # a fresh document of its own: no copy


async def passport_history(*, runtime: ServiceRuntime, stored: Document) -> list[Document]:
    """Every version of a sealed passport: who, when, which sections, which fields (decrypted).

    A version's changes live in its document while it is current, then in its snapshot:
    the superseded versions are read by ``_id``, concurrently.
    """
    log: list[Document] = stored["version_log"]
    superseded = [v["version"] for v in log if v["version"] != stored["version"]]
    earlier = await asyncio.gather(
        *(
            service.get_version_changes(db=runtime.db, family_id=stored["_id"], version=v)
            for v in superseded
        )
    )
    changes_of = dict(zip(superseded, earlier, strict=True))
    changes_of[stored["version"]] = stored.get("changes") or []
    decrypt = cipher_of(runtime).decrypt
    return [
        {
            "version": v["version"],
            "changed_at": v["at"],
            "changed_by": v["by"],
            "sections": v["sections"],
            "changes": unseal_changes(changes_of.get(v["version"]) or [], decrypt),
        }
        for v in log
    ]


REQUESTS_ACTOR = "system:requests"
"""Who changes the plan when a help request moves."""


async def follow_request_on_plan(
    *,
    runtime: ServiceRuntime,
    family_id: UUID,
    plan_item_id: UUID,
    request_id: UUID,
    request_status: RequestStatus,
) -> None:
    """Link the request to its plan item and move the item as the request moved.

    Nothing is stored when the item already has that status and link (a redelivery).
    """
    from .changes import plan_item_needs_change, plan_item_status_for, update_plan_item

    status = plan_item_status_for(request_status)
    if status is None:
        return
    stored = await service.get_document(db=runtime.db, family_id=family_id)
    if stored is None:
        raise PassportNotFoundError(str(family_id))
    if not plan_item_needs_change(stored, plan_item_id, request_id, status):
        return
    await change_passport(
        runtime=runtime,
        family_id=family_id,
        actor=REQUESTS_ACTOR,
        sections=["plan"],
        change=update_plan_item(
            plan_item_id, PlanItemUpdate(status=status, request_ids=[request_id])
        ),
    )
