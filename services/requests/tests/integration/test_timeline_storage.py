"""Timeline buckets in the real store: entries packed as strings beside entries an earlier
version stored as documents, each event shown once."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from patronage_common.store import create_mongo_client, projections_of
from patronage_requests.settings import RequestsSettings
from patronage_requests.timeline import service

pytestmark = pytest.mark.integration


def entry(at: datetime, text: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "at": at,
        "type": "RequestStatusChanged",
        "request_id": str(uuid.uuid4()),
        "text": text,
    }


async def test_new_entries_are_packed_and_an_event_stored_in_both_forms_is_shown_once(
    make_settings: Callable[..., Any],
) -> None:
    settings = make_settings(RequestsSettings)
    client = create_mongo_client(settings)
    db = client[settings.database_name]
    family_id = uuid.uuid4()
    older = entry(datetime(2026, 11, 3, 9, 0, tzinfo=UTC), "Заявка создана")
    newer = entry(datetime(2026, 11, 5, 14, 30, 0, 500000, tzinfo=UTC), "Заявка решена")
    try:
        store = projections_of(db)
        # As an earlier version stored them: the entry a document, the month listed.
        await store[service.BUCKETS].insert_one(
            {"_id": service.bucket_id(family_id, older["at"]), "entries": [older]}
        )
        await store[service.MONTHS].insert_one({"_id": str(family_id), "months": ["2026-11"]})

        # The older event again (the topic replayed) and a new one, in this version's form.
        await service.add_entries(db=db, entries=[(family_id, older), (family_id, newer)])
        await service.add_entries(db=db, entries=[(family_id, newer)])  # redelivered

        bucket = await store[service.BUCKETS].find_one(
            {"_id": service.bucket_id(family_id, older["at"])}
        )
        assert bucket is not None
        assert bucket["entries"] == [
            older,
            service.packed_entry(older),
            service.packed_entry(newer),
        ]
        timeline = await service.read_timeline(db=db, family_id=family_id, limit=10)
        assert timeline == [newer, older]
    finally:
        await client.close()
