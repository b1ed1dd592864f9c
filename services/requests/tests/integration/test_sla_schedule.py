"""The SLA schedule's storage against the real store: chunks written once, read in order."""

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from patronage_common.store import Database, projections_of
from patronage_requests.settings import RequestsSettings
from patronage_requests.sla import service
from patronage_requests.sla.service import ScheduleEntry
from pymongo import AsyncMongoClient, monitoring

pytestmark = pytest.mark.integration

MINUTE = datetime(2026, 3, 3, 7, 0, 20, tzinfo=UTC)


class Writes(monitoring.CommandListener):
    """The write commands sent to the store, by name."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in {"insert", "update", "delete", "findAndModify"}:
            self.counts[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def store(make_settings: Callable[..., Any]) -> AsyncIterator[tuple[Database, Writes]]:
    settings: RequestsSettings = make_settings(RequestsSettings)
    writes = Writes()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, event_listeners=[writes]
    )
    try:
        db = client[settings.database_name]
        await service.start_cursor(db=db, minute=service.minute_key(MINUTE - timedelta(hours=1)))
        yield db, writes
    finally:
        await client.close()


def another_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what this process remembers of the schedule, as another replica would."""
    monkeypatch.setattr(service, "_next_chunk", {})
    monkeypatch.setattr(service, "_listed_minutes", set())


async def test_each_write_adds_a_chunk_of_its_own_and_a_scan_reads_them_all(
    store: tuple[Database, Writes], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = store
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await service.schedule_many(
        db=db,
        entries=[
            ScheduleEntry(first, [MINUTE, MINUTE + timedelta(hours=2)], "a"),
            ScheduleEntry(second, [MINUTE + timedelta(seconds=30)], "b"),
        ],
    )
    another_replica(monkeypatch)  # its next chunk of the minute is taken: it takes the next
    await service.schedule(db=db, request_id=third, times=[MINUTE], token="c")

    key = service.minute_key(MINUTE)
    assert sorted(await service.minute_items(db=db, key=key)) == sorted(
        [str(first), str(second), str(third)]
    )
    chunks = [
        await projections_of(db)[service.SCHEDULE].find_one({"_id": service.chunk_id(key, n)})
        for n in (0, 1)
    ]
    assert [sorted(c["items"]) for c in chunks if c] == [
        sorted([str(first), str(second)]),
        [str(third)],
    ]
    later = service.minute_key(MINUTE + timedelta(hours=2))
    assert await service.minute_items(db=db, key=later) == [str(first)]
    assert await service.day_minutes(db=db, day="20260303") == [key, later]


async def test_a_minute_already_listed_costs_one_insert_and_no_update(
    store: tuple[Database, Writes],
) -> None:
    db, writes = store
    times = [MINUTE + timedelta(hours=h) for h in range(10)]
    await service.schedule(db=db, request_id=uuid.uuid4(), times=times, token="a")
    writes.counts.clear()

    await service.schedule_many(
        db=db,
        entries=[ScheduleEntry(uuid.uuid4(), times, f"t{n}") for n in range(50)],
    )

    assert writes.counts == Counter({"insert": 1})
    for moment in times:
        assert len(await service.minute_items(db=db, key=service.minute_key(moment))) == 51


async def test_a_whole_list_stored_before_chunks_is_read_as_the_first_chunk(
    store: tuple[Database, Writes],
) -> None:
    db, _ = store
    key = service.minute_key(MINUTE)
    old, new = str(uuid.uuid4()), uuid.uuid4()
    await projections_of(db)[service.SCHEDULE].insert_one({"_id": f"due:{key}", "items": [old]})
    await projections_of(db)[service.SCHEDULE].insert_one(
        {"_id": "due-day:20260303", "minutes": [key[8:]]}
    )

    await service.schedule(db=db, request_id=new, times=[MINUTE], token="a")

    assert await service.minute_items(db=db, key=key) == [old, str(new)]


async def test_a_moment_behind_the_cursor_goes_to_the_asap_list(
    store: tuple[Database, Writes],
) -> None:
    db, _ = store
    request_id = uuid.uuid4()
    past = MINUTE - timedelta(hours=2)

    await service.schedule(db=db, request_id=request_id, times=[past, MINUTE], token="t1")

    assert await service.bucket_items(db=db, bucket_id=service.ASAP_ID) == [f"{request_id}|t1"]
    assert await service.minute_items(db=db, key=service.minute_key(past)) == []
    assert await service.minute_items(db=db, key=service.minute_key(MINUTE)) == [str(request_id)]
