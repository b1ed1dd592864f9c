"""Per-document locks make read-modify-write safe without multi-field filters."""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from patronage_common.locks import LOCKS, LockTimeoutError, locked
from patronage_common.settings import ServiceSettings
from patronage_common.store import create_mongo_client
from patronage_contracts import utc_now

pytestmark = pytest.mark.integration


async def test_concurrent_read_modify_write_loses_no_update(
    make_settings: Callable[..., Any],
) -> None:
    settings: ServiceSettings = make_settings(ServiceSettings, service_name="locktest")
    client = create_mongo_client(settings)
    db = client[settings.database_name]
    try:
        await db["things"].insert_one({"_id": "t", "count": 0})

        async def increment() -> None:
            async with locked(db, "things:t"):
                current = await db["things"].find_one({"_id": "t"})
                assert current is not None
                await asyncio.sleep(0.001)  # widen the race window
                await db["things"].update_one(
                    {"_id": "t"}, {"$set": {"count": current["count"] + 1}}
                )

        await asyncio.gather(*(increment() for _ in range(25)))
        final = await db["things"].find_one({"_id": "t"})
        assert final is not None
        assert final["count"] == 25
        assert await db[LOCKS].count_documents({}) == 0

        # A lock left by a crashed writer expires; a live one makes others wait, then give up.
        await db[LOCKS].insert_one(
            {"_id": "things:stale", "owner": "gone", "at": utc_now() - timedelta(minutes=5)}
        )
        async with locked(db, "things:stale", ttl_s=30):
            pass
        await db[LOCKS].insert_one({"_id": "things:busy", "owner": "alive", "at": utc_now()})
        with pytest.raises(LockTimeoutError):
            async with locked(db, "things:busy", ttl_s=30, wait_s=0.3):
                pass
    finally:
        await client.close()
