"""Delivery-log pages against the real store: new logs are written without reading, and two
writers (replicas) creating the same page both keep their entries."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from patronage_common.store import Database, create_mongo_client
from patronage_notifications.delivery.logs import LOGS, PagedLogs, family_log
from patronage_notifications.settings import NotificationsSettings

pytestmark = pytest.mark.integration
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class CountedLogs(PagedLogs):
    """The service's logs, counting the page look-ups they make."""

    def __init__(self) -> None:
        super().__init__()
        self.look_ups = 0

    async def _exists(self, db: Database, key: str, page: int) -> bool:
        self.look_ups += 1
        return await super()._exists(db, key, page)


@pytest.fixture
async def db(make_settings: Callable[..., Any]) -> AsyncIterator[Database]:
    settings = make_settings(NotificationsSettings)
    client = create_mongo_client(settings)
    try:
        yield client[settings.database_name]
    finally:
        await client.close()


async def pages(db: Database, key: str) -> list[list[str]]:
    found = await db[LOGS].find({"_id": {"$regex": f"^{key}#"}}).to_list()
    return [d["ids"] for d in sorted(found, key=lambda d: int(d["_id"].rsplit("#", 1)[1]))]


async def test_a_new_log_is_written_without_reading_it_first(db: Database) -> None:
    logs = CountedLogs()
    first, second = family_log(str(uuid.uuid4())), family_log(str(uuid.uuid4()))

    await logs.append(db=db, entries={first: ["n-1", "n-2"], second: ["n-3"]}, at=AT)
    await logs.append(db=db, entries={first: ["n-4"]}, at=AT)

    assert logs.look_ups == 0
    assert await pages(db, first) == [["n-1", "n-2"], ["n-4"]]
    assert await logs.newest(db=db, key=first, limit=10) == ["n-4", "n-2", "n-1"]


async def test_two_writers_creating_the_same_page_both_keep_their_entries(db: Database) -> None:
    one, other = CountedLogs(), CountedLogs()
    key = family_log(str(uuid.uuid4()))
    neighbour = family_log(str(uuid.uuid4()))

    await asyncio.gather(
        one.append(db=db, entries={key: ["a-1"], neighbour: ["x-1"]}, at=AT),
        other.append(db=db, entries={key: ["b-1"]}, at=AT),
    )

    written = await pages(db, key)
    assert sorted(written) == [["a-1"], ["b-1"]]  # page 0 and page 1, neither overwritten
    assert await pages(db, neighbour) == [["x-1"]]  # the winner's other log is not held up
    assert sorted([one.look_ups, other.look_ups])[0] == 0  # only the one that lost looked
    assert max(one.look_ups, other.look_ups) > 0

    # Each now believes it knows the next page; the one that is wrong finds out and moves on.
    await one.append(db=db, entries={key: ["a-2"]}, at=AT)
    await other.append(db=db, entries={key: ["b-2"]}, at=AT)
    written = await pages(db, key)
    assert len(written) == 4
    assert written[2:] == [["a-2"], ["b-2"]]
    assert set(await one.newest(db=db, key=key, limit=10)) == {"a-1", "b-1", "a-2", "b-2"}


async def test_appends_of_one_writer_at_once_take_their_pages_in_turn(db: Database) -> None:
    logs = CountedLogs()
    shared = "recipient:curator:curator-1"  # batches of several topics tell this curator

    await asyncio.gather(
        *(logs.append(db=db, entries={shared: [f"n-{n}"]}, at=AT) for n in range(3))
    )

    assert logs.look_ups == 0  # no collision with itself, so nothing to look for
    assert sorted(await pages(db, shared)) == [["n-0"], ["n-1"], ["n-2"]]
