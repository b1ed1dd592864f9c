"""Login with lockout, sessions and API tokens, demo accounts."""

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import yaml
from patronage_common.identity import Identity
from patronage_common.logging import get_logger
from patronage_common.store import Database
from patronage_contracts import utc_now

from ..settings import GatewaySettings
from . import service
from .lockout import lockout_for, seconds_left
from .models import Account, DemoAccount, Session
from .passwords import hash_password, verify_password

log = get_logger(__name__)


class LoginFailedError(Exception):
    """Wrong login or password (the message never says which)."""


class LoginLockedError(Exception):
    """Too many failures: wait ``seconds`` before trying again."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"locked for {seconds} s")
        self.seconds = seconds


async def authenticate(
    *, db: Database, settings: GatewaySettings, login: str, password: str
) -> Account:
    """The account if the password matches; counts failures and locks after too many."""
    now = utc_now()
    attempts = await service.get_attempts(db=db, login=login)
    wait = seconds_left(attempts.get("locked_until"), now)
    if wait:
        raise LoginLockedError(wait)
    account = await service.get_account(db=db, login=login)
    hash_ = account.password_hash if account and not account.disabled else None
    if account is not None and verify_password(hash_, password):
        if attempts.get("failures"):
            await service.clear_failures(db=db, login=login)
        return account
    if account is None:
        verify_password(None, password)  # as slow as a known login
    failures = int(attempts.get("failures", 0)) + 1
    lock = lockout_for(
        failures,
        free=settings.login_free_attempts,
        base_s=settings.login_lockout_base_s,
        max_s=settings.login_lockout_max_s,
    )
    locked_until = now + lock if lock else None
    await service.record_failure(db=db, login=login, failures=failures, locked_until=locked_until)
    log.warning("login failed", login=login, failures=failures)
    if locked_until is not None:
        raise LoginLockedError(seconds_left(locked_until, now))
    raise LoginFailedError(login)


async def open_session(
    *, db: Database, identity: Identity, kind: str, ttl_s: int
) -> tuple[str, Session]:
    """A new session (``ui``) or API token (``api``): the secret token and what it holds."""
    token = secrets.token_urlsafe(32)
    session = Session(
        kind=kind,
        identity=identity,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utc_now() + timedelta(seconds=ttl_s),
    )
    await service.store_session(db=db, token=token, session=session)
    return token, session


class SessionCache:
    """Sessions read recently, kept a few seconds so that each call needs no store read.

    A logout removes the session here at once; another gateway replica may still accept it
    for at most ``ttl_s`` seconds.
    """

    def __init__(self, ttl_s: float, max_size: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_size = max_size
        self._entries: dict[str, tuple[float, Session]] = {}
        # Store reads in flight, by token: calls that miss together share one read (when an
        # entry expires, every call in flight with that token misses at once).
        self._reads: dict[str, asyncio.Future[Session | None]] = {}

    def get(self, token: str) -> Session | None:
        """A cached session still fresh, or None."""
        cached = self._entries.get(service.token_key(token))
        if cached is None or time.monotonic() - cached[0] > self.ttl_s:
            return None
        return cached[1]

    def put(self, token: str, session: Session) -> None:
        """Remember a session read from the store."""
        if len(self._entries) >= self.max_size:
            self._entries.clear()
        self._entries[service.token_key(token)] = (time.monotonic(), session)

    def forget(self, token: str) -> None:
        """Drop a session (logout), and whatever read of it is in flight."""
        key = service.token_key(token)
        self._entries.pop(key, None)
        self._reads.pop(key, None)

    async def read(
        self, token: str, load: Callable[[], Awaitable[Session | None]]
    ) -> Session | None:
        """The cached session, else ``load`` it (once for all the calls that ask meanwhile)
        and remember it if there is one."""
        session = self.get(token)
        if session is not None:
            return session
        key = service.token_key(token)
        pending = self._reads.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        pending = self._reads[key] = asyncio.ensure_future(load())
        try:
            session = await asyncio.shield(pending)
            # Not if the session was forgotten (logout) while it was being read.
            if session is not None and self._reads.get(key) is pending:
                self.put(token, session)
        finally:
            if self._reads.get(key) is pending:
                del self._reads[key]
        return session


async def session_of(
    *, db: Database, token: str, kind: str, cache: SessionCache | None = None
) -> Session | None:
    """The live session of a token of this kind, or None."""
    if cache is None:
        session = await service.get_session(db=db, token=token)
    else:
        session = await cache.read(token, lambda: service.get_session(db=db, token=token))
    if session is None or session.kind != kind or session.expires_at <= utc_now():
        return None
    return session


async def close_session(*, db: Database, token: str, cache: SessionCache | None = None) -> None:
    """Log out: the session ends in the store and in this process's cache."""
    if cache is not None:
        cache.forget(token)
    await service.delete_session(db=db, token=token)


def load_demo_accounts(path: Path) -> list[DemoAccount]:
    """The demo accounts of a YAML file (a list under ``accounts``)."""
    document = yaml.safe_load(path.read_text("utf-8")) or {}
    return [DemoAccount.model_validate(a) for a in document.get("accounts", [])]


async def seed_demo_accounts(*, db: Database, path: Path) -> int:
    """Create the demo accounts that do not exist yet; return how many were created."""
    created = 0
    for demo in load_demo_accounts(path):
        if await service.get_account(db=db, login=demo.login) is not None:
            continue
        account = Account(
            **demo.model_dump(exclude={"password"}), password_hash=hash_password(demo.password)
        )
        created += await service.insert_account(db=db, account=account)
    return created
