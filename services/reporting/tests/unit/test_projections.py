"""The projections, histograms, periods, scoping and exports as pure functions."""

import csv
import io
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import TopicPartition
from patronage_contracts import Agency
from patronage_reporting.dashboards import exports
from patronage_reporting.dashboards.filters import Filters, ScopeError, scoped
from patronage_reporting.dashboards.service import add_up, overdue_items
from patronage_reporting.deps import Viewer, ViewerRole
from patronage_reporting.family_figures.projection import project_family_event
from patronage_reporting.figures import keys
from patronage_reporting.figures.histogram import bucket_of, quantile
from patronage_reporting.figures.ops import Changes, DatedIds, MonthBuckets, month_of
from patronage_reporting.replay import past_before_month
from patronage_reporting.request_figures import sla
from patronage_reporting.request_figures.projection import (
    on_feedback,
    on_sla_breached,
    on_sla_warning,
    project_request_event,
)

pytestmark = pytest.mark.unit
ZONE = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def event(kind: str, family: str, when: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": kind,
        "family_id": family,
        "occurred_at": when.isoformat(),
        **fields,
    }


def run(project: Any, events: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Project events through one state; return the final state and all changes, merged."""
    state: dict[str, Any] | None = None
    total = Changes()
    for e in events:
        new, changes = project(state, e, ZONE)
        state = new if new is not None else state
        total.merge(changes)
    assert state is not None
    return state, add_up_changes(total)


def add_up_changes(changes: Changes) -> dict[str, Any]:
    return {doc_id: change.inc for doc_id, change in changes.documents.items()}


def request_events(family: str, request: str) -> list[dict[str, Any]]:
    task = str(uuid.uuid4())
    common = {"request_id": request, "category": "housing"}
    return [
        event(
            "RequestCreated",
            family,
            T0,
            **common,
            urgency="normal",
            district="d1",
            hq="h1",
            curator_id="c1",
        ),
        event(
            "RequestRouted",
            family,
            T0,
            request_id=request,
            tasks=[{"task_id": task, "agency": "housing"}],
        ),
        event(
            "RequestStatusChanged", family, T0, **common, version=1, status="routed", district="d1"
        ),
        event(
            "AgencyTaskStatusChanged",
            family,
            T0 + timedelta(hours=3),
            request_id=request,
            task_id=task,
            agency="housing",
            status="resolved",
        ),
        event(
            "RequestStatusChanged",
            family,
            T0 + timedelta(hours=3),
            **common,
            version=2,
            status="resolved",
            district="d1",
        ),
    ]


def test_request_life_counts_each_transition_once_even_when_redelivered() -> None:
    family, request = str(uuid.uuid4()), str(uuid.uuid4())
    events = request_events(family, request)
    _, once = run(project_request_event, events)
    _, twice = run(project_request_event, events + events + [events[2]])
    assert twice == once
    live = once["live|d:d1|-|housing"]
    assert {k: v for k, v in live.items() if v} == {"status.resolved": 1}
    day = once["day:2026-11-23|region|-|all"]
    assert day["created"] == 1
    assert day[f"frt.{bucket_of(3 * 3600)}"] == 1
    assert day[f"ttr.{bucket_of(3 * 3600)}"] == 1
    assert once["month:2026-11|hq:h1|housing|all"]["created"] == 1
    assert once["curator:c1"]["open_requests"] == 0


def test_an_older_status_version_does_not_move_the_request_back() -> None:
    family, request = str(uuid.uuid4()), str(uuid.uuid4())
    events = request_events(family, request)
    stale = {**events[2], "event_id": str(uuid.uuid4())}
    state, changes = run(project_request_event, [*events, stale])
    assert state["st"] == "resolved"
    assert changes["live|region|-|all"]["status.routed"] == 0


def test_sla_breach_lists_the_request_until_it_is_resolved_and_counts_it_late() -> None:
    family, request = str(uuid.uuid4()), str(uuid.uuid4())
    events = request_events(family, request)
    state, _ = run(project_request_event, events[:3])
    due = T0 + timedelta(hours=2)
    warned = on_sla_warning(state, clock="resolution", due_at=due, occurred_at=T0, zone=ZONE)
    again = on_sla_warning(state, clock="resolution", due_at=due, occurred_at=T0, zone=ZONE)
    breached = on_sla_breached(state, clock="resolution", due_at=due, occurred_at=due, zone=ZONE)
    assert warned.as_dict()["day:2026-11-23|d:d1|housing|all"]["$inc"] == {
        "sla.resolution.warned": 1
    }
    assert again.as_dict() == {}
    listed = breached.as_dict()[keys.overdue_day_id("d:d1", date(2026, 11, 23))]
    entry = listed["$set"][f"r.{request}_resolution"]
    assert (entry["due_at"], entry["agencies"]) == (due.isoformat(), ["housing"])
    rest = Changes()
    for e in events[3:]:
        new, changes = project_request_event(state, e, ZONE)
        state = new or state
        rest.merge(changes)
    done = rest.as_dict()
    assert done[keys.overdue_day_id("d:d1", date(2026, 11, 23))]["$unset"] == {
        f"r.{request}_resolution": ""
    }
    assert done["day:2026-11-23|region|-|all"]["$inc"]["sla.resolution.late"] == 1
    assert done["day:2026-11-23|region|-|all"]["$inc"]["sla.resolution.stopped"] == 1


def test_a_new_rating_replaces_the_old_one() -> None:
    family, request = str(uuid.uuid4()), str(uuid.uuid4())
    state, _ = run(project_request_event, request_events(family, request))
    total = Changes()
    total.merge(on_feedback(state, rating=2, occurred_at=T0, zone=ZONE))
    total.merge(on_feedback(state, rating=5, occurred_at=T0, zone=ZONE))
    total.merge(on_feedback(state, rating=5, occurred_at=T0, zone=ZONE))
    assert total.as_dict()["month:2026-11|region|-|all"]["$inc"] == {"rating.2": 0, "rating.5": 1}
    assert total.as_dict()["curator:c1"]["$inc"] == {"rating.2": 0, "rating.5": 1}


def test_coverage_and_workload_follow_curator_and_consent() -> None:
    family = str(uuid.uuid4())
    need, item = str(uuid.uuid4()), str(uuid.uuid4())
    events = [
        event(
            "PassportRegistered",
            family,
            T0,
            district="d1",
            hq="h1",
            categories=["svo_family"],
            registered_by="x",
        ),
        event(
            "NeedRecorded",
            family,
            T0,
            need_id=need,
            category="housing",
            district="d1",
            recorded_by="x",
        ),
        event(
            "PlanItemAdded", family, T0, plan_item_id=item, agency="housing", deadline="2026-11-20"
        ),
        event(
            "CuratorAssigned",
            family,
            T0,
            curator_id="c1",
            district="d1",
            reason="r",
            assigned_by="x",
        ),
        event(
            "CuratorAssigned",
            family,
            T0,
            curator_id="c2",
            district="d1",
            reason="r",
            assigned_by="x",
        ),
        event("ConsentWithdrawn", family, T0, scope=["contact"], recorded_by="x"),
    ]
    _, changes = run(project_family_event, events)
    live = changes["live|d:d1|-|fam"]
    assert (live["families"], live["eligible"], live["connected"]) == (1, 1, 1)
    assert changes["curator:c1"] == {"families": 0, "open_needs": 0, "due.2026-11-20": 0}
    assert changes["curator:c2"] == {"families": 1, "open_needs": 1, "due.2026-11-20": 1}
    assert changes["coverage|region"] == {
        "d.d1.families": 1,
        "d.d1.eligible": 1,
        "d.d1.connected": 1,
    }
    withdrawn = event("ConsentWithdrawn", family, T0, scope=["personal_data"], recorded_by="x")
    _, after = run(project_family_event, [*events, withdrawn, withdrawn])
    assert after["live|d:d1|-|fam"]["connected"] == 0
    assert after["live|d:d1|-|fam"]["eligible"] == 1


def test_overdue_plan_items_are_those_due_before_today() -> None:
    due = {"2026-11-20": 2, "2026-11-23": 1, "2026-11-22": 0}
    assert overdue_items(due, date(2026, 11, 23)) == 2


@pytest.mark.parametrize("seed", range(5))
def test_quantiles_are_within_the_documented_precision(seed: int) -> None:
    rng = random.Random(seed)
    samples = [rng.lognormvariate(9, 1.5) for _ in range(2001)]
    histogram: dict[int, int] = {}
    for s in samples:
        histogram[bucket_of(s)] = histogram.get(bucket_of(s), 0) + 1
    ordered = sorted(samples)
    for q in (0.5, 0.9):
        exact = ordered[max(0, int(-(-q * len(ordered) // 1)) - 1)]
        estimate = quantile(histogram, q)
        assert estimate is not None
        assert abs(estimate - exact) <= 0.12 * exact + 30


def test_a_period_is_whole_months_and_edge_days() -> None:
    cover = keys.cover_range(date(2026, 10, 30), date(2026, 12, 2)).periods
    assert cover == (
        "day:2026-10-30",
        "day:2026-10-31",
        "month:2026-11",
        "day:2026-12-01",
        "day:2026-12-02",
    )


def test_scoping_narrows_or_refuses() -> None:
    november = Filters(date(2026, 11, 1), date(2026, 11, 30))
    head = Viewer(ViewerRole.DISTRICT_HEAD, district="d2")
    assert scoped(november, head).district == "d2"
    with pytest.raises(ScopeError):
        scoped(Filters(november.first, november.last, district="d1"), head)
    agency = Viewer(ViewerRole.AGENCY, agency="housing")
    assert scoped(november, agency).agency is Agency.HOUSING
    with pytest.raises(ScopeError):
        scoped(Filters(november.first, november.last, agency=Agency.HEALTH), agency)
    assert scoped(november, Viewer(ViewerRole.REGIONAL)) == november


def test_sla_compliance_is_the_share_of_stopped_clocks_that_were_not_late() -> None:
    figures = sla.clock_figures({"stopped": 10, "late": 1, "breached": 2})
    assert figures["compliance_percent"] == 90.0
    assert (figures["met"], figures["breached"]) == (9, 2)
    assert sla.clock_figures({})["compliance_percent"] is None  # nothing stopped yet


def test_add_up_sums_nested_counters() -> None:
    total = add_up([{"_id": "a", "s": {"x": 1}, "n": 2}, {"_id": "b", "s": {"x": 2, "y": 1}}])
    assert total == {"s": {"x": 3, "y": 1}, "n": 2}


def test_csv_export_has_the_header_block_then_russian_columns() -> None:
    table = exports.Table(
        title="Нагрузка социальных кураторов",
        viewer="глава района, район d1",
        filters="период 01.11.2026–30.11.2026",
        generated_at=datetime(2026, 11, 23, 10, 0, tzinfo=ZONE),
        columns=exports.WORKLOAD_COLUMNS,
        rows=[["c1", 1, 2, 3, 4]],
    )
    lines = list(csv.reader(io.StringIO(exports.to_csv(table).decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Отчёт", "Нагрузка социальных кураторов"]
    assert lines[2] == ["Для кого", "глава района, район d1"]
    assert lines[5][0] == "Куратор"
    assert lines[6] == ["c1", "1", "2", "3", "4"]


def test_any_window_is_read_from_few_documents_and_equals_the_scripted_counts() -> None:
    """Requests on every day of three months; unaligned windows summed from the figures."""
    rng = random.Random(3)
    changes = Changes()
    created_on: list[date] = []
    answered_on: list[date] = []
    day = date(2026, 9, 1)
    while day <= date(2026, 11, 30):
        for _ in range(rng.randrange(0, 4)):
            family, request = str(uuid.uuid4()), str(uuid.uuid4())
            # 22:30 UTC is already the next day in Moscow: the calendar day is the region's.
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=22, minutes=30)
            life = request_events(family, request)
            shift = at - T0
            state: dict[str, Any] | None = None
            for e in life:
                e["occurred_at"] = (datetime.fromisoformat(e["occurred_at"]) + shift).isoformat()
                state, _ = project_request_event(state, e, ZONE, changes)
            created_on.append((at.astimezone(ZONE)).date())
            answered_on.append((at + timedelta(hours=3)).astimezone(ZONE).date())
        day += timedelta(days=1)
    documents = {d["_id"]: d for d in changes.as_new_documents()}

    for first, last in [
        (date(2026, 9, 17), date(2026, 10, 16)),
        (date(2026, 10, 2), date(2026, 10, 29)),
        (date(2026, 9, 30), date(2026, 11, 1)),
        (date(2026, 9, 1), date(2026, 11, 30)),
        (date(2026, 10, 12), date(2026, 10, 12)),
    ]:
        cover = keys.cover_range(first, last)
        assert len(cover) <= 16

        def ids(periods: tuple[str, ...]) -> list[dict[str, Any]]:
            return [
                documents[i]
                for p in periods
                if (i := keys.figure_id(p, "d:d1", keys.ALL_AGENCIES, "housing")) in documents
            ]

        period = add_up(ids(cover.periods), ids(cover.minus))
        assert period.get("created", 0) == sum(first <= d <= last for d in created_on)
        assert sum(period.get("frt", {}).values()) == sum(first <= d <= last for d in answered_on)
        resolved = period.get("sla", {}).get("resolution", {}).get("stopped", 0)
        assert resolved == sum(first <= d <= last for d in answered_on)
    assert len(keys.cover_range(date(2026, 9, 17), date(2026, 10, 16))) <= 11


def _apply_update(document: dict[str, Any], update: dict[str, Any]) -> None:
    """What the store does with ``$inc``/``$set``/``$unset`` of dotted paths (for the test)."""
    for operator, fields in update.items():
        for path, value in fields.items():
            *parents, leaf = path.split(".")
            target = document
            for part in parents:
                target = target.setdefault(part, {})
            if operator == "$inc":
                target[leaf] = target.get(leaf, 0) + value
            elif operator == "$set":
                target[leaf] = value
            else:
                target.pop(leaf, None)


def test_a_flush_split_into_inserts_and_updates_equals_upserting_every_change() -> None:
    """Spread and flat increments of one field add up; written documents get updates only."""
    earlier, later = Changes(), Changes()
    for changes in (earlier, later):
        changes.inc_all(("a", "b"), "status.new")
        changes.inc("a", "status.new", 2)
        changes.inc_all(("b", "c"), "created")
        changes.put("c", "ids.cur_1", 1)
        changes.put("a", "r.x_first_response", {"clock": "first_response"})
    later.remove("a", "r.x_first_response")
    later.inc("b", "status.new", -1)

    upserted: dict[str, dict[str, Any]] = {}
    for changes in (earlier, later):
        for doc_id, update in changes.as_dict().items():
            _apply_update(upserted.setdefault(doc_id, {"_id": doc_id}), update)

    stored: dict[str, dict[str, Any]] = {}
    written: set[str] = set()
    for changes in (earlier, later):
        fresh, updates = changes.split(written)
        assert not {d["_id"] for d in fresh} & written
        assert set(updates) <= written
        stored.update({d["_id"]: d for d in fresh})
        written |= {d["_id"] for d in fresh}
        for doc_id, update in updates.items():
            _apply_update(stored[doc_id], update)

    assert stored == upserted
    assert stored["a"] == {"_id": "a", "status": {"new": 6}, "r": {}}
    assert stored["b"] == {"_id": "b", "status": {"new": 1}, "created": 2}
    assert stored["c"] == {"_id": "c", "created": 2, "ids": {"cur_1": 1}}


def test_month_buckets_hold_each_documents_changes_in_one_place() -> None:
    """Split bucket by bucket, the changes equal the same changes kept in one ``Changes``."""
    jan_day, jan_month = "day:2026-01-05|region|-|all", "month:2026-01|region|-|all"
    jan_decade, feb_day = "dec:2026-01-1|region|-|all", "day:2026-02-02|region|-|all"
    live = "live|region|-|all"
    buckets, flat = MonthBuckets(), Changes()
    for changes in (buckets, flat):
        changes.inc_all((jan_day, jan_decade, jan_month), "created", 2)
        changes.inc_all((live, "live|d:d1|-|all"), "status.new")
        changes.inc_all((jan_month, feb_day), "odd")  # two months at once: spread by document
        changes.inc(feb_day, "created")
        changes.put(jan_month, "ids.cur_1", 1)
        changes.put(live, "ids.cur_2", 1)
        changes.remove(live, "ids.cur_2")

    assert sorted(buckets.months) == ["2026-01", "2026-02"]
    merged: dict[str, dict[str, Any]] = {}
    for part in buckets.parts():
        part_documents = part.as_dict()
        assert not set(part_documents) & set(merged)  # a document in one bucket only
        merged.update(part_documents)
    assert merged == flat.as_dict()
    assert set(buckets.months["2026-01"].as_dict()) == {jan_day, jan_decade, jan_month}
    assert set(buckets.as_dict()) == {live, "live|d:d1|-|all"}  # the undated part

    (january,) = buckets.pop_before("2026-02")
    assert set(january.as_dict()) == {jan_day, jan_decade, jan_month}
    assert sorted(buckets.months) == ["2026-02"]
    assert buckets.pop_before("2026-02") == []


def test_month_buckets_take_a_late_change_to_a_popped_month_into_a_new_bucket() -> None:
    """A tuple's month is remembered, its bucket is not: a month taken out starts afresh."""
    jan = ("day:2026-01-05|region|-|all", "month:2026-01|region|-|all")
    buckets = MonthBuckets()
    buckets.inc_all(jan, "created")
    (january,) = buckets.pop_before("2026-02")
    buckets.inc_all(jan, "created", 2)  # a late event of January
    buckets.inc_all(jan, "rating.5")

    assert january.as_dict() == {doc_id: {"$inc": {"created": 1}} for doc_id in jan}
    assert buckets.months["2026-01"].as_dict() == {
        doc_id: {"$inc": {"created": 2, "rating.5": 1}} for doc_id in jan
    }
    assert buckets.as_dict() == {}  # nothing went to the undated part


def test_dated_tuples_carry_the_month_of_their_documents() -> None:
    """The projections' day/decade/month tuples name their month; ``MonthBuckets`` files
    their changes there, as it would by looking at every ``_id``."""
    request = project_request_event(
        None,
        {
            "type": "RequestCreated",
            "event_id": "e1",
            "request_id": "r1",
            "family_id": "f1",
            "category": "material",
            "district": "d1",
            "hq": "h1",
            "occurred_at": "2026-01-31T22:30:00+00:00",  # 1 February in Moscow
        },
        ZoneInfo("Europe/Moscow"),
    )[0]
    assert request is not None
    dated: list[tuple[str, ...]] = []

    class Recording(MonthBuckets):
        def inc_all(self, doc_ids: tuple[str, ...], path: str, n: int = 1) -> None:
            dated.append(doc_ids)
            super().inc_all(doc_ids, path, n)

    buckets = Recording()
    project_request_event(
        request,
        {
            "type": "RequestStatusChanged",
            "event_id": "e2",
            "request_id": "r1",
            "family_id": "f1",
            "category": "material",
            "version": 1,
            "status": "accepted",
            "occurred_at": "2026-01-31T22:40:00+00:00",
        },
        ZoneInfo("Europe/Moscow"),
        buckets,
    )
    carried = [ids for ids in dated if isinstance(ids, DatedIds)]
    assert carried
    for ids in carried:
        assert ids.month == "2026-02"
        assert {month_of(doc_id) for doc_id in ids} == {"2026-02"}
        assert ids == tuple(ids)  # an ordinary tuple of ``_id``s otherwise
    assert sorted(buckets.months) == ["2026-02"]
    in_february = set(buckets.months["2026-02"].as_dict())
    assert in_february == {doc_id for ids in carried for doc_id in ids}


def test_a_month_is_past_a_month_after_the_slowest_partition_left_it() -> None:
    zone = ZoneInfo("Europe/Moscow")
    a, b, c = (TopicPartition("requests.events", p) for p in range(3))
    reached = {a: "2026-04-10T09:00:00Z", b: "2026-03-01T00:30:00Z"}
    # c not read yet: nothing is past.
    assert past_before_month(reached, [a, b, c], zone) == ""
    # b is on 1 March in Moscow, 31 days later than 29 January: December is past.
    assert past_before_month(reached, [a, b], zone) == "2026-01"
    # b is done: only a counts (10 April less 31 days: 10 March): February is past.
    assert past_before_month(reached, [a], zone) == "2026-03"
    assert month_of("overdue|region|2026-01-05") is None
    assert month_of("curator:cur_1") is None
    assert month_of("dec:2026-01-3|d:d1|-|all") == "2026-01"
    assert month_of("month:2026-02|region|-|all") == "2026-02"
