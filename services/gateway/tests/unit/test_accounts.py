"""Passwords, lockout backoff, the demo accounts file and the session cache."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from patronage_common.identity import Identity, Role
from patronage_gateway.accounts.flows import SessionCache, load_demo_accounts
from patronage_gateway.accounts.lockout import lockout_for, seconds_left
from patronage_gateway.accounts.models import Session
from patronage_gateway.accounts.passwords import hash_password, verify_password
from patronage_gateway.settings import DEMO_ACCOUNTS_FILE

pytestmark = pytest.mark.unit


def test_argon2_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("правильный пароль")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "правильный пароль")
    assert not verify_password(stored, "неправильный")
    assert not verify_password(None, "правильный пароль")
    assert not verify_password("not-a-hash", "x")


@pytest.mark.parametrize(
    ("failures", "seconds"), [(0, 0), (4, 0), (5, 30), (6, 60), (7, 120), (20, 900)]
)
def test_lockout_doubles_after_the_free_attempts_up_to_a_cap(failures: int, seconds: int) -> None:
    assert lockout_for(failures, free=5, base_s=30, max_s=900) == timedelta(seconds=seconds)


def test_seconds_left_rounds_up_and_ends() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert seconds_left(None, now) == 0
    assert seconds_left(now - timedelta(seconds=1), now) == 0
    assert seconds_left(now + timedelta(seconds=0.2), now) == 1
    assert seconds_left(now + timedelta(seconds=30), now) == 30


def test_demo_accounts_cover_every_role_with_its_scope() -> None:
    accounts = load_demo_accounts(DEMO_ACCOUNTS_FILE)
    roles = {a.role for a in accounts}
    assert roles >= set(Role) - {Role.SERVICE}
    for account in accounts:
        if account.role is Role.AGENCY_WORKER:
            assert account.agency is not None
        if account.role is Role.DISTRICT_HEAD:
            assert account.district
        if account.role is Role.HQ_COORDINATOR:
            assert account.hq
    assert len({a.login for a in accounts}) == len(accounts)


def _session() -> Session:
    return Session(
        kind="ui",
        identity=Identity(subject="cur-1", role=Role.CURATOR),
        csrf_token="csrf",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


async def test_calls_missing_the_session_cache_together_share_one_store_read() -> None:
    cache = SessionCache(ttl_s=60)
    stored = _session()
    reads = 0
    release = asyncio.Event()

    async def load() -> Session | None:
        nonlocal reads
        reads += 1
        await release.wait()
        return stored

    waiting = [asyncio.ensure_future(cache.read("token", load)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [stored] * 5
    assert reads == 1
    assert await cache.read("token", load) is stored  # now from the cache
    assert reads == 1


async def test_a_session_forgotten_while_it_is_read_is_not_cached() -> None:
    cache = SessionCache(ttl_s=60)
    release = asyncio.Event()

    async def load() -> Session | None:
        await release.wait()
        return _session()

    reading = asyncio.ensure_future(cache.read("token", load))
    await asyncio.sleep(0)
    cache.forget("token")  # logout meanwhile
    release.set()
    await reading
    assert cache.get("token") is None
