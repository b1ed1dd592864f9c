"""The audit log's bucket ``_id``s: every entry is found by each of its search paths."""

from datetime import UTC, date, datetime

import pytest
from patronage_gateway.audit.models import Action, AuditEntry, AuditQuery
from patronage_gateway.audit.service import bucket_ids, matches, query_bucket_ids

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


@pytest.mark.parametrize(
    "query",
    [
        AuditQuery(day=date(2026, 3, 5)),
        AuditQuery(day=date(2026, 3, 5), actor="cur-1"),
        AuditQuery(day=date(2026, 3, 5), subject_id="fam-1"),
        AuditQuery(day=date(2026, 3, 5), actor="cur-1", subject_id="fam-1"),
    ],
)
def test_every_query_reads_a_bucket_the_entry_was_written_to(query: AuditQuery) -> None:
    assert set(query_bucket_ids(query)) & set(bucket_ids(ENTRY))
    assert matches(ENTRY, query)


@pytest.mark.parametrize(
    "query",
    [
        AuditQuery(day=date(2026, 3, 6)),
        AuditQuery(day=date(2026, 3, 5), actor="cur-2"),
        AuditQuery(day=date(2026, 3, 5), subject_id="fam-2"),
        AuditQuery(day=date(2026, 3, 5), actor="cur-1", subject_id="fam-2"),
    ],
)
def test_other_queries_do_not_match(query: AuditQuery) -> None:
    assert not matches(ENTRY, query)


def test_a_day_query_reads_the_days_ten_minute_buckets_and_no_more() -> None:
    ids = query_bucket_ids(AuditQuery(day=date(2026, 3, 5)))
    assert len(ids) == len(set(ids)) == 144
    assert "time:2026-03-05:1400" in ids
    assert bucket_ids(ENTRY)[0] == "time:2026-03-05:1400"
