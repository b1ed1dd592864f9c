"""The paged audit log on the real store: appends from concurrent writers are all kept, a
group of entries is one insert of new pages, every search path finds its entries across
pages."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from patronage_common.store import Database, create_mongo_client
from patronage_gateway.audit.models import Action, AuditEntry, AuditQuery
from patronage_gateway.audit.service import (
    AUDIT_PAGES,
    PAGE_SIZE,
    AuditWriter,
    page_id,
    search,
)
from patronage_gateway.settings import GatewaySettings
from pymongo import AsyncMongoClient, monitoring

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 5)


@pytest.fixture
async def db(make_settings: Callable[..., Any]) -> AsyncIterator[Database]:
    settings = make_settings(GatewaySettings)
    client = create_mongo_client(settings)
    try:
        yield client[settings.database_name]
    finally:
        await client.close()


def entry(
    n: int, *, actor: str = "cur-1", subject: str = "fam-1", flagged: bool = False
) -> AuditEntry:
    return AuditEntry(
        entry_id=str(uuid4()),
        at=datetime(2026, 3, 5, 9, 0, tzinfo=UTC) + timedelta(seconds=n),
        actor=actor,
        role="curator",
        action=Action.READ,
        subject_kind="passport",
        subject_id=subject,
        what="паспорт",
        reason="звонок семьи" if flagged else None,
        flagged=flagged,
    )


async def page_sizes(db: Database, key: str) -> list[int]:
    """The number of entries on each page of an index, in page order."""
    sizes = []
    while page := await db[AUDIT_PAGES].find_one({"_id": page_id(key, len(sizes))}):
        sizes.append(len(page["entries"]))
    return sizes


async def test_concurrent_appends_of_several_writers_lose_nothing(db: Database) -> None:
    # Three writers stand for three gateway replicas; each appends 40 entries concurrently,
    # all of one actor and one subject, so every writer competes for the same indexes.
    writers = [AuditWriter(db) for _ in range(3)]
    entries = [entry(n) for n in range(120)]
    await asyncio.gather(*(writers[n % 3].append(e) for n, e in enumerate(entries)))

    expected = {e.entry_id for e in entries}
    for query in (
        AuditQuery(day=DAY),
        AuditQuery(day=DAY, actor="cur-1"),
        AuditQuery(day=DAY, subject_id="fam-1"),
    ):
        found = [e.entry_id for e in await search(db=db, query=query)]
        assert len(found) == len(expected)
        assert set(found) == expected
    sizes = await page_sizes(db, f"day:{DAY}")
    assert sum(sizes) == 120
    assert max(sizes) <= PAGE_SIZE


async def test_each_group_is_a_new_page_of_each_index_and_a_new_writer_claims_the_next(
    db: Database,
) -> None:
    writer = AuditWriter(db)
    for n in range(3):  # one at a time: each is its own group, on its own page
        await writer.append(entry(n))
    await writer.write_entries([entry(n) for n in range(3, 28)])  # 25 at once: 10, 10, 5
    assert await page_sizes(db, f"actor:{DAY}:cur-1") == [1, 1, 1, 10, 10, 5]

    # A restarted gateway does not know the pages: it finds where the index ends.
    restarted = AuditWriter(db)
    await restarted.append(entry(28))
    await writer.append(entry(29))  # the old writer's guess is taken: it looks again
    assert await page_sizes(db, f"actor:{DAY}:cur-1") == [1, 1, 1, 10, 10, 5, 1, 1]

    newest_first = await search(db=db, query=AuditQuery(day=DAY, actor="cur-1"))
    assert [e.at for e in newest_first] == sorted((e.at for e in newest_first), reverse=True)
    assert len(newest_first) == 30


class CommandNames(monitoring.CommandListener):
    """The store commands a client sends, by name."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_group_of_entries_is_stored_by_one_insert(
    db: Database, make_settings: Callable[..., Any]
) -> None:
    settings = make_settings(GatewaySettings)
    commands = CommandNames()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_url, event_listeners=[commands], tz_aware=True
    )
    try:
        writer = AuditWriter(client[settings.database_name])
        group = [entry(n, subject=f"fam-{n}") for n in range(5)]  # 1 + 1 + 5 indexes
        await writer.write_entries(group)
        assert commands.names == ["insert"]
    finally:
        await client.close()
    for n in range(5):
        found = await search(db=db, query=AuditQuery(day=DAY, subject_id=f"fam-{n}"))
        assert [e.entry_id for e in found] == [group[n].entry_id]
    assert len(await search(db=db, query=AuditQuery(day=DAY))) == 5


async def test_searches_by_actor_and_subject_find_only_theirs_across_pages(db: Database) -> None:
    writer = AuditWriter(db)
    mine = [entry(n, actor="cur-1", subject="fam-1") for n in range(23)]
    others = [entry(n, actor="cur-2", subject="fam-2") for n in range(17)]
    await asyncio.gather(*(writer.append(e) for e in [*mine, *others]))

    by_actor = await search(db=db, query=AuditQuery(day=DAY, actor="cur-2"))
    assert {e.entry_id for e in by_actor} == {e.entry_id for e in others}
    by_subject = await search(db=db, query=AuditQuery(day=DAY, subject_id="fam-1"))
    assert {e.entry_id for e in by_subject} == {e.entry_id for e in mine}
    assert len(await search(db=db, query=AuditQuery(day=DAY))) == 40
    assert await search(db=db, query=AuditQuery(day=DAY + timedelta(days=1))) == []


async def test_flagged_search_reads_the_flagged_index(db: Database) -> None:
    writer = AuditWriter(db)
    flagged = [entry(n, actor="cur-2", flagged=True) for n in range(12)]
    plain = [entry(n) for n in range(30)]
    await asyncio.gather(*(writer.append(e) for e in [*plain, *flagged]))

    assert sum(await page_sizes(db, f"flagged:{DAY}")) == 12
    found = await search(db=db, query=AuditQuery(day=DAY, flagged_only=True))
    assert {e.entry_id for e in found} == {e.entry_id for e in flagged}
    assert all(e.flagged and e.reason == "звонок семьи" for e in found)
    of_actor = await search(db=db, query=AuditQuery(day=DAY, actor="cur-1", flagged_only=True))
    assert of_actor == []


async def test_entries_of_the_previous_layout_are_still_found(db: Database) -> None:
    old = entry(1, actor="cur-9", subject="fam-9")
    stored = old.model_dump(mode="python")
    # As the previous layout wrote it: one growing document per bucket.
    await db["audit"].insert_many(
        [
            {"_id": "time:2026-03-05:0900", "entries": [stored]},
            {"_id": "actor:cur-9:2026-03-05", "entries": [stored]},
            {"_id": "subject:fam-9:2026-03-05", "entries": [stored]},
        ]
    )
    new = entry(2, actor="cur-9", subject="fam-9")
    await AuditWriter(db).append(new)

    for query in (
        AuditQuery(day=DAY),
        AuditQuery(day=DAY, actor="cur-9"),
        AuditQuery(day=DAY, subject_id="fam-9"),
    ):
        found = await search(db=db, query=query)
        assert [e.entry_id for e in found] == [new.entry_id, old.entry_id]
