"""How a timeline entry is stored in its month bucket, and read back."""

from datetime import UTC, datetime

from patronage_requests.timeline.service import packed_entry, unpacked_entry

ENTRY = {
    "event_id": "0b9c3c52-6f0e-4f57-9b7b-3d1f3f2a9a10",
    "at": datetime(2026, 11, 23, 9, 0, 5, 123000, tzinfo=UTC),
    "type": "AgencyTaskStatusChanged",
    "request_id": "5d6e7f80-1a2b-4c3d-8e9f-001122334455",
    "text": "Жилищный отдел: решено | крыша отремонтирована",
}


def test_an_entry_is_stored_as_one_string_and_read_back_the_same() -> None:
    packed = packed_entry(ENTRY)
    assert packed == (
        "2026-11-23T09:00:05.123+00:00|0b9c3c52-6f0e-4f57-9b7b-3d1f3f2a9a10"
        "|AgencyTaskStatusChanged|5d6e7f80-1a2b-4c3d-8e9f-001122334455"
        "|Жилищный отдел: решено | крыша отремонтирована"
    )
    assert unpacked_entry(packed) == ENTRY  # the separator in the text survives
    without_request = {**ENTRY, "request_id": None}
    assert unpacked_entry(packed_entry(without_request)) == without_request


def test_an_entry_that_cannot_be_packed_safely_is_stored_as_it_is() -> None:
    odd = [
        {**ENTRY, "type": "A|B"},  # a separator before the text
        {**ENTRY, "request_id": ""},  # would read back as None
        {**ENTRY, "extra": 1},  # a field this version does not know
        {**ENTRY, "at": datetime(2026, 11, 23, 9, 0)},  # no time zone
    ]
    for entry in odd:
        assert packed_entry(entry) == entry
        assert unpacked_entry(entry) == entry  # as an earlier version stored every entry
