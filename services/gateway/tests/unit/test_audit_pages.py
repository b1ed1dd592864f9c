"""The audit log's indexes: every entry is found by each of its search paths."""

from datetime import UTC, date, datetime

import pytest
from patronage_gateway.audit.legacy import legacy_bucket_ids
from patronage_gateway.audit.models import Action, AuditEntry, AuditQuery
from patronage_gateway.audit.service import index_keys, matches, page_id, query_index_key

pytestmark = pytest.mark.unit

ENTRY = AuditEntry(
    entry_id="e1",
    at=datetime(2026, 3, 5, 14, 7, tzinfo=UTC),
    actor="cur-1",
    role="curator",
    action=Action.READ,
    subject_kind="passport",
    subject_id="fam-1",
    what="паспорт",
)
FLAGGED = ENTRY.model_copy(update={"entry_id": "e2", "flagged": True, "reason": "звонок"})


@pytest.mark.parametrize(
    "query",
    [
        AuditQuery(day=date(2026, 3, 5)),
        AuditQuery(day=date(2026, 3, 5), actor="cur-1"),
        AuditQuery(day=date(2026, 3, 5), subject_id="fam-1"),
        AuditQuery(day=date(2026, 3, 5), actor="cur-1", subject_id="fam-1"),
    ],
)
def test_every_query_reads_an_index_the_entry_was_written_to(query: AuditQuery) -> None:
    assert query_index_key(query) in index_keys(ENTRY)
    assert matches(ENTRY, query)


@pytest.mark.parametrize(
    "query",
    [
        AuditQuery(day=date(2026, 3, 6)),
        AuditQuery(day=date(2026, 3, 5), actor="cur-2"),
        AuditQuery(day=date(2026, 3, 5), subject_id="fam-2"),
        AuditQuery(day=date(2026, 3, 5), actor="cur-1", subject_id="fam-2"),
        AuditQuery(day=date(2026, 3, 5), flagged_only=True),
    ],
)
def test_other_queries_do_not_match(query: AuditQuery) -> None:
    assert not matches(ENTRY, query)


def test_only_a_flagged_entry_goes_to_the_days_flagged_index() -> None:
    assert "flagged:2026-03-05" not in index_keys(ENTRY)
    assert "flagged:2026-03-05" in index_keys(FLAGGED)
    flagged_only = AuditQuery(day=date(2026, 3, 5), flagged_only=True)
    assert query_index_key(flagged_only) == "flagged:2026-03-05"
    assert matches(FLAGGED, flagged_only)


def test_flagged_search_of_one_actor_reads_the_actors_index_and_filters() -> None:
    query = AuditQuery(day=date(2026, 3, 5), actor="cur-1", flagged_only=True)
    assert query_index_key(query) == "actor:2026-03-05:cur-1"
    assert matches(FLAGGED, query)
    assert not matches(ENTRY, query)


def test_pages_of_different_indexes_never_share_an_id() -> None:
    ids = {page_id(key, n) for key in index_keys(FLAGGED) for n in range(3)}
    assert len(ids) == 4 * 3


def test_a_day_query_still_reads_the_previous_layouts_ten_minute_buckets() -> None:
    ids = legacy_bucket_ids(AuditQuery(day=date(2026, 3, 5)))
    assert len(ids) == len(set(ids)) == 144
    assert "time:2026-03-05:1400" in ids
    assert legacy_bucket_ids(AuditQuery(day=date(2026, 3, 5), actor="cur-1")) == [
        "actor:cur-1:2026-03-05"
    ]
