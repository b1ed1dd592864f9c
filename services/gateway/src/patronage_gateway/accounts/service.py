"""Store access for accounts, login attempts and sessions (every look-up by ``_id``)."""

import hashlib
from datetime import datetime
from typing import Any

from patronage_common.identity import Identity
from patronage_common.store import Database, upsert_one
from pymongo.errors import DuplicateKeyError

from .models import Account, Session

ACCOUNTS = "accounts"
LOGIN_ATTEMPTS = "login_attempts"
SESSIONS = "sessions"


def token_key(token: str) -> str:
    """Stored key of a session token: its hash, so the store never holds usable tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


async def get_account(*, db: Database, login: str) -> Account | None:
    """The account with this login."""
    document = await db[ACCOUNTS].find_one({"_id": login})
    if document is None:
        return None
    return Account(login=document["_id"], **{k: v for k, v in document.items() if k != "_id"})


async def insert_account(*, db: Database, account: Account) -> bool:
    """Store a new account; False if the login is taken."""
    document: dict[str, Any] = account.model_dump(mode="json", exclude={"login"})
    try:
        await db[ACCOUNTS].insert_one({"_id": account.login, **document})
    except DuplicateKeyError:
        return False
    return True


async def get_attempts(*, db: Database, login: str) -> dict[str, Any]:
    """Consecutive failures and the lock of a login."""
    return await db[LOGIN_ATTEMPTS].find_one({"_id": login}) or {"failures": 0}


async def record_failure(
    *, db: Database, login: str, failures: int, locked_until: datetime | None
) -> None:
    """Remember one more failed login."""
    await upsert_one(
        db[LOGIN_ATTEMPTS],
        {"_id": login},
        {"$set": {"failures": failures, "locked_until": locked_until}},
    )


async def clear_failures(*, db: Database, login: str) -> None:
    """A successful login forgets the failures."""
    await db[LOGIN_ATTEMPTS].delete_one({"_id": login})


async def store_session(*, db: Database, token: str, session: Session) -> None:
    """Store a new session under its token's hash."""
    await db[SESSIONS].insert_one({"_id": token_key(token), **session.model_dump(mode="python")})


async def get_session(*, db: Database, token: str) -> Session | None:
    """The session of a token (expired ones included: the caller checks)."""
    document = await db[SESSIONS].find_one({"_id": token_key(token)})
    if document is None:
        return None
    return Session(
        kind=document["kind"],
        identity=Identity.model_validate(document["identity"]),
        csrf_token=document["csrf_token"],
        expires_at=document["expires_at"],
    )


async def delete_session(*, db: Database, token: str) -> None:
    """End a session (logout)."""
    await db[SESSIONS].delete_one({"_id": token_key(token)})
