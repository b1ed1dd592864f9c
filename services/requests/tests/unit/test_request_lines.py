"""What a request's line in the curator and agency lists says, and where it is listed."""

import uuid
from datetime import UTC, datetime
from typing import Any

from patronage_contracts import (
    Agency,
    AgencyTaskRef,
    AgencyTaskStatus,
    AgencyTaskStatusChanged,
    Channel,
    NeedCategory,
    RequestCreated,
    RequestRouted,
    RequestStatus,
    RequestStatusChanged,
    Urgency,
)
from patronage_requests.help_requests import domain
from patronage_requests.request_lists.service import (
    bucket_lines,
    folded_bucket,
    latest_changes,
    line_of,
    lines_with_changes,
    listing_of,
    listings_of_new_requests,
    packed_line,
    scopes_of,
    unpacked_line,
)

CREATED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def bucket_of(lines: dict[str, Any]) -> dict[str, Any]:
    """A new day bucket holding ``lines`` (request id → line), as a fold writes it."""
    fields = folded_bucket(None, {r: {"v": line["v"], "line": line} for r, line in lines.items()})
    assert fields is not None
    return fields


def test_a_line_keeps_each_agencys_latest_task_status() -> None:
    request = {
        "created_at": CREATED,
        "status": "in_progress",
        "tasks": [
            {"agency": "housing", "status": "handed_off"},
            {"agency": "social_protection", "status": "resolved"},
            {"agency": "housing", "status": "accepted"},  # handed back to housing
        ],
    }
    line = line_of(request)
    assert line == {
        "created_at": CREATED,
        "status": "in_progress",
        "tasks": {"housing": "accepted", "social_protection": "resolved"},
    }
    assert scopes_of(line, "cur-a") == [
        "agency:housing",
        "agency:social_protection",
        "curator:cur-a",
    ]
    assert scopes_of(line, None) == ["agency:housing", "agency:social_protection"]


def test_next_statuses_follow_the_agency_protocol() -> None:
    assert domain.next_statuses(domain.TASK_SENT) == list(AgencyTaskStatus)
    assert domain.next_statuses("in_progress") == [
        AgencyTaskStatus.NEEDS_INFO,
        AgencyTaskStatus.RESOLVED,
        AgencyTaskStatus.REJECTED,
    ]
    assert domain.next_statuses("resolved") == []
    assert domain.next_statuses(domain.TASK_HANDED_OFF) == []


def test_a_refused_transition_is_explained_with_russian_status_names() -> None:
    reason = domain.refusal_reason("accepted", AgencyTaskStatus.ACCEPTED)
    assert reason == "из статуса «принята» нельзя перейти в «принята»"
    assert "«направлена»" in domain.refusal_reason(domain.TASK_SENT, AgencyTaskStatus.ACCEPTED)


def change(request_id: str, version: int, status: str | None, n: int = 0) -> dict[str, object]:
    line = None if status is None else {"created_at": CREATED, "status": status, "v": version}
    return {
        "bucket": "agency:housing:2026-11-23",
        "request_id": request_id,
        "line": line,
        "v": version,
        "at": CREATED,
        "n": n,
    }


def test_the_latest_change_of_a_line_wins_and_a_removal_takes_it_off() -> None:
    latest = latest_changes(
        [change("r1", 3, "accepted", 1), change("r1", 2, "routed", 0), change("r2", 1, None)]
    )
    pending = latest["agency:housing:2026-11-23"]
    assert {r: c["line"] and c["line"]["status"] for r, c in pending.items()} == {
        "r1": "accepted",
        "r2": None,
    }
    folded = {"r2": {"created_at": CREATED, "status": "routed", "v": 0}}
    assert {r: line["status"] for r, line in lines_with_changes(folded, pending).items()} == {
        "r1": "accepted"
    }


def test_a_change_older_than_the_folded_line_is_ignored() -> None:
    folded = {"r1": {"created_at": CREATED, "status": "resolved", "v": 5}}
    pending = latest_changes([change("r1", 4, "in_progress")])["agency:housing:2026-11-23"]
    assert lines_with_changes(folded, pending) == folded


def creation_events(
    *, at: datetime = CREATED, curator_id: str | None = "cur-a"
) -> tuple[RequestCreated, RequestRouted, RequestStatusChanged]:
    """A new request's three events, as ``new_help_request`` makes them."""
    family_id, request_id = uuid.uuid4(), uuid.uuid4()
    created = RequestCreated(
        occurred_at=at,
        family_id=family_id,
        request_id=request_id,
        category=NeedCategory.HOUSING,
        urgency=Urgency.NORMAL,
        channel=Channel.CHATBOT,
        curator_id=curator_id,
        created_by="bot",
    )
    routed = RequestRouted(
        **created.caused(),
        request_id=request_id,
        tasks=(
            AgencyTaskRef(task_id=uuid.uuid4(), agency=Agency.HOUSING),
            AgencyTaskRef(task_id=uuid.uuid4(), agency=Agency.SOCIAL_PROTECTION),
        ),
    )
    changed = RequestStatusChanged(
        **created.caused(),
        request_id=request_id,
        version=1,
        previous_status=RequestStatus.NEW,
        status=RequestStatus.ROUTED,
        category=NeedCategory.HOUSING,
        changed_by="bot",
    )
    return created, routed, changed


def test_a_new_requests_listing_is_what_its_stored_document_would_give() -> None:
    at = CREATED.replace(microsecond=123_456)
    created, routed, changed = creation_events(at=at)
    stored = {
        # The store keeps milliseconds.
        "created_at": at.replace(microsecond=123_000),
        "status": "routed",
        "version": 1,
        "curator_id": "cur-a",
        "tasks": [
            {"task_id": str(t.task_id), "agency": t.agency.value, "status": domain.TASK_SENT}
            for t in routed.tasks
        ],
    }
    listings = listings_of_new_requests([routed, created, changed])
    assert listings == {str(created.request_id): listing_of(stored, {"curator_id": "cur-a"})}


def test_only_a_request_whose_batch_holds_just_its_creation_is_listed_from_its_events() -> None:
    complete = creation_events()
    without_status = creation_events()[:2]
    later = creation_events()
    accepted = AgencyTaskStatusChanged(
        **later[0].caused(),
        request_id=later[0].request_id,
        task_id=later[1].tasks[0].task_id,
        agency=Agency.HOUSING,
        status=AgencyTaskStatus.ACCEPTED,
    )
    listings = listings_of_new_requests([*complete, *without_status, *later, accepted])
    # The others are read from the store.
    assert list(listings) == [str(complete[0].request_id)]


def test_a_bucket_line_is_stored_as_one_string_and_read_back_the_same() -> None:
    line = {
        "created_at": datetime(2026, 11, 23, 9, 0, 5, 123000, tzinfo=UTC),
        "status": "in_progress",
        "tasks": {"housing": "accepted", "social_protection": "sent"},
        "v": 7,
    }
    packed = packed_line(line)
    assert (
        packed
        == "2026-11-23T09:00:05.123+00:00|in_progress|housing=accepted,social_protection=sent|7"
    )
    assert unpacked_line(packed) == line
    no_tasks = {**line, "tasks": {}}
    assert unpacked_line(packed_line(no_tasks)) == no_tasks


def test_a_line_that_cannot_be_packed_safely_is_stored_as_it_is() -> None:
    line = {"created_at": CREATED, "status": "routed", "tasks": {"housing": "sent"}, "v": 1}
    odd = [
        {**line, "status": "a|b"},  # a separator in a value
        {**line, "tasks": {"housing": "x=y"}},
        {**line, "note": "more"},  # a field this version does not know
        {**line, "created_at": datetime(2026, 11, 23, 9, 0)},  # no time zone
    ]
    for stored in odd:
        assert packed_line(stored) == stored
        assert unpacked_line(stored) == stored  # as an earlier version stored every line


def test_a_bucket_keeps_its_lines_in_one_text_and_reads_them_back() -> None:
    line = {"created_at": CREATED, "status": "routed", "tasks": {"housing": "sent"}, "v": 1}
    lines = {"r-1": line, "r-2": {**line, "status": "resolved", "tasks": {}, "v": 4}}
    fields = bucket_of(lines)
    assert fields == {
        "packed": f"r-1|{packed_line(lines['r-1'])}\nr-2|{packed_line(lines['r-2'])}",
        "lines": {},
    }
    assert bucket_lines(fields) == lines
    assert bucket_lines(None) == {}
    assert folded_bucket(None, {}) is None


def test_a_line_or_request_id_that_would_break_the_text_stays_in_the_map() -> None:
    line = {"created_at": CREATED, "status": "routed", "tasks": {"housing": "sent"}, "v": 1}
    lines = {"plain": line, "odd|id": line, "odd-status": {**line, "status": "a|b"}}
    fields = bucket_of(lines)
    assert fields["packed"] == f"plain|{packed_line(line)}"
    assert set(fields["lines"]) == {"odd|id", "odd-status"}
    assert bucket_lines(fields) == lines


def test_where_an_earlier_version_left_a_line_in_the_map_the_newer_line_is_read() -> None:
    line = {"created_at": CREATED, "status": "routed", "tasks": {"housing": "sent"}, "v": 2}
    older, newer = {**line, "v": 1}, {**line, "status": "accepted", "v": 3}
    bucket = {
        "packed": f"a|{packed_line(line)}\nb|{packed_line(line)}",
        "lines": {"a": packed_line(older), "b": newer},
    }
    assert bucket_lines(bucket) == {"a": line, "b": newer}


def test_a_fold_changes_only_the_changed_rows_and_drops_changes_older_than_the_line() -> None:
    line = {"created_at": CREATED, "status": "routed", "tasks": {"housing": "sent"}, "v": 2}
    bucket = bucket_of({"a": line, "b": line, "c": line})
    rows = bucket["packed"].split("\n")
    accepted = {**line, "status": "accepted", "v": 3}
    folded = folded_bucket(
        bucket,
        {
            "a": {"v": 3, "line": accepted},
            "b": {"v": 1, "line": {**line, "status": "new", "v": 1}},  # older than the line
            "c": {"v": 4, "line": None},  # the request left this list
            "d": {"v": 1, "line": line},  # a new line
        },
    )
    assert folded is not None
    assert bucket_lines(folded) == {"a": accepted, "b": line, "d": line}
    assert rows[1] in folded["packed"].split("\n")  # "b" untouched, as it was stored
    assert folded_bucket(folded, {"b": {"v": 1, "line": None}}) is None  # nothing newer
    assert folded_bucket(None, {"x": {"v": 1, "line": None}}) is None


def test_a_fold_moves_the_map_s_lines_into_the_text_keeping_the_newer_of_each() -> None:
    line = {"created_at": CREATED, "status": "routed", "tasks": {"housing": "sent"}, "v": 2}
    newer, odd = {**line, "status": "accepted", "v": 3}, {**line, "status": "a|b"}
    bucket = {
        "packed": f"a|{packed_line(line)}\nb|{packed_line(line)}",
        "lines": {"a": packed_line({**line, "v": 1}), "b": newer, "odd|id": line, "o": odd},
    }
    folded = folded_bucket(bucket, {"n": {"v": 1, "line": line}})
    assert folded is not None
    assert folded["lines"] == {"odd|id": line, "o": odd}  # those cannot be packed safely
    assert bucket_lines(folded) == {"a": line, "b": newer, "odd|id": line, "o": odd, "n": line}
    removed = folded_bucket(folded, {"o": {"v": 3, "line": None}})
    assert removed is not None
    assert "o" not in bucket_lines(removed)
