import datetime as dt
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from patronage_contracts import (
    Channel,
    NeedCategory,
    RecipientRole,
    RequestCreated,
    RequestEscalated,
    RequestStatus,
    SlaBreached,
    SlaClock,
    SlaWarning,
    Urgency,
)
from patronage_requests.settings import RequestsSettings
from patronage_requests.sla import domain
from patronage_requests.sla.domain import ClockState, FiringLevel, SlaRecord
from patronage_requests.sla.policy import load_policy
from patronage_requests.sla.working_time import BusinessTime, CalendarTime, load_calendar
from pydantic import ValidationError

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
H = dt.timedelta(hours=1)
BUSINESS = BusinessTime(load_calendar())
FR, RES = SlaClock.FIRST_RESPONSE, SlaClock.RESOLUTION


def msk(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MSK)


MONDAY_10 = msk(3, 2, 10)  # Monday, March 2 2026


def new_record(urgency: Urgency = Urgency.NORMAL, at: dt.datetime = MONDAY_10) -> SlaRecord:
    created = RequestCreated(
        family_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        category=NeedCategory.SOCIAL_LEGAL,  # default: 9 h / 90 h, urgent 4 h / 48 h
        urgency=urgency,
        channel=Channel.CURATOR,
        district="Елецкий",
        hq="hq-elets",
        curator_id="curator-1",
        created_by="curator-1",
        occurred_at=at,
    )
    policy = load_policy()
    return domain.open_record(
        created,
        targets=policy.targets(created.category, urgency),
        warning_percent=policy.warning_percent,
        grace=4 * H,
    )


def change(
    record: SlaRecord, status: RequestStatus, at: dt.datetime, scale: object = BUSINESS
) -> SlaRecord:
    updated = domain.apply_status(
        record,
        status=status,
        version=record.version + 1,
        at=at,
        scale=scale,  # type: ignore[arg-type]
    )
    assert updated is not None
    return updated


def fire(
    record: SlaRecord, now: dt.datetime, scale: object = BUSINESS
) -> tuple[SlaRecord, list[str]]:
    due = domain.due_firings(record, now, scale)  # type: ignore[arg-type]
    fired = record.fired | {t.key for t in due}
    return record.model_copy(update={"fired": fired}), [t.key for t in due]


def test_normal_request_deadlines_are_in_working_hours() -> None:
    record = new_record()
    # 9 working hours from Monday 10:00 is Tuesday 10:00; 75 % (6 h 45 min) is 16:45.
    assert domain.due_at(record, FR, BUSINESS) == msk(3, 3, 10)
    triggers = domain.triggers(record, FR, BUSINESS)
    assert [t.level for t in triggers] == list(FiringLevel)
    assert triggers[0].at == msk(3, 2, 16, 45)
    # Escalations: 4 working hours apart after the breach.
    assert [t.at for t in triggers[2:]] == [msk(3, 3, 14), msk(3, 3, 18), msk(3, 4, 13)]


def test_urgent_request_counts_calendar_hours() -> None:
    record = new_record(Urgency.URGENT, at=msk(3, 6, 20))  # Friday evening
    assert domain.due_at(record, FR, CalendarTime()) == msk(3, 7, 0)  # 4 hours, Saturday
    assert domain.due_at(record, RES, CalendarTime()) == msk(3, 8, 20)


def test_warning_then_breach_then_one_escalation_per_grace_period() -> None:
    record = new_record()
    record, fired = fire(record, msk(3, 2, 16, 44))
    assert fired == []
    record, fired = fire(record, msk(3, 2, 16, 45))
    assert fired == ["first_response:warning"]
    record, fired = fire(record, msk(3, 3, 10))
    assert fired == ["first_response:breach"]
    record, fired = fire(record, msk(3, 3, 14))
    assert fired == ["first_response:district_head"]
    record, fired = fire(record, msk(3, 4, 13))  # late scan: both remaining levels
    assert fired == ["first_response:hq_coordinator", "first_response:regional_coordinator"]
    record, fired = fire(record, msk(3, 30, 12))
    assert "first_response" not in " ".join(fired)


@pytest.mark.parametrize(
    "at",
    [
        MONDAY_10,
        msk(3, 6, 17, 30),  # Friday, half an hour before the end of the day
        msk(3, 7, 12),  # Saturday
        msk(5, 8, 20),  # the evening before the May holidays
        msk(12, 31, 9),  # New Year's Eve
    ],
)
@pytest.mark.parametrize("paused", [dt.timedelta(0), 3 * H + dt.timedelta(seconds=7), 40 * H])
def test_each_moment_a_clock_fires_is_counted_from_its_start(
    at: dt.datetime, paused: dt.timedelta
) -> None:
    # The moments are counted on one from another; each must be what counting from the
    # clock's start gives.
    for urgency, scale in ((Urgency.NORMAL, BUSINESS), (Urgency.URGENT, CalendarTime())):
        record = new_record(urgency, at=at)
        record = record.model_copy(
            update={
                "clocks": {
                    k: c.model_copy(update={"paused_s": paused.total_seconds()})
                    for k, c in record.clocks.items()
                }
            }
        )
        for clock, c in record.clocks.items():
            start, budget, grace = c.started_at, c.budget + paused, 4 * H
            due = scale.add(start, budget)
            assert [t.at for t in domain.triggers(record, clock, scale)] == [
                scale.add(start, c.budget * 75 / 100 + paused),
                due,
                *(scale.add(due, grace * step) for step in (1, 2, 3)),
            ]
            assert domain.due_at(record, clock, scale) == due


def test_accepted_in_time_stops_the_first_response_clock() -> None:
    record = change(new_record(), RequestStatus.ROUTED, MONDAY_10)
    record = change(record, RequestStatus.ACCEPTED, msk(3, 2, 15))
    _, fired = fire(record, msk(3, 5, 10))
    assert not any(key.startswith("first_response") for key in fired)
    view = domain.view(record, FR, msk(3, 5, 10), BUSINESS)
    assert view.state is ClockState.MET
    assert view.elapsed == 5 * H
    assert domain.pending_times(record, BUSINESS)  # the resolution clock still runs


def test_a_late_scan_still_fires_what_came_due_before_the_stop() -> None:
    record = change(new_record(), RequestStatus.ACCEPTED, msk(3, 3, 11))  # an hour late
    _, fired = fire(record, msk(3, 3, 12))
    assert fired == ["first_response:warning", "first_response:breach"]
    assert domain.view(record, FR, msk(3, 3, 12), BUSINESS).state is ClockState.MISSED


def test_a_record_behind_its_request_fires_nothing_and_looks_again() -> None:
    record = change(new_record(), RequestStatus.ROUTED, MONDAY_10)
    due = domain.due_firings(record, msk(3, 3, 10), BUSINESS)
    assert [t.key for t in due] == ["first_response:warning", "first_response:breach"]
    moved_on = (
        RequestStatus.RESOLVED,
        RequestStatus.CANCELLED,
        RequestStatus.NEEDS_INFO,
        RequestStatus.ACCEPTED,
    )
    for status in moved_on:
        # The request moved on; its clock record has not seen it yet: look again (the
        # record catches up, from its events or from the request itself).
        assert domain.check_against_request(record, due, status) == ([], True)
    assert domain.check_against_request(record, due, RequestStatus.ROUTED) == (due, False)


def test_a_record_that_saw_the_stop_drops_what_its_status_stops() -> None:
    record = change(new_record(), RequestStatus.ROUTED, MONDAY_10)
    record = change(record, RequestStatus.RESOLVED, msk(3, 3, 11))  # after the breach
    due = domain.due_firings(record, msk(3, 3, 12), BUSINESS)
    assert [t.key for t in due] == ["first_response:warning", "first_response:breach"]
    assert domain.check_against_request(record, due, RequestStatus.RESOLVED) == ([], False)


def test_a_running_clock_behind_the_request_looks_again_later() -> None:
    record = change(new_record(), RequestStatus.ROUTED, MONDAY_10)
    record = change(record, RequestStatus.ACCEPTED, msk(3, 2, 11))
    due = domain.due_firings(record, msk(3, 20, 12), BUSINESS)
    assert {t.clock for t in due} == {RES}
    # In progress since, unseen by the record: somebody may have acted on the breach.
    check = domain.check_against_request(record, due, RequestStatus.IN_PROGRESS)
    assert check == ([], True)


def history(
    record: SlaRecord, *changes: tuple[RequestStatus, dt.datetime]
) -> tuple[domain.StatusEntry, ...]:
    """The request document's history: the record's version, then ``changes`` after it."""
    raw = [
        {"version": record.version + i, "status": status.value, "at": at.isoformat()}
        for i, (status, at) in enumerate(changes, start=1)
    ]
    return domain.recorded_history(list(reversed(raw)))


def test_the_request_history_reads_oldest_first_and_may_be_missing() -> None:
    record = change(new_record(), RequestStatus.ROUTED, MONDAY_10)
    entries = history(
        record, (RequestStatus.ACCEPTED, msk(3, 2, 11)), (RequestStatus.RESOLVED, msk(3, 2, 12))
    )
    assert [(e.version, e.status, e.at) for e in entries] == [
        (2, RequestStatus.ACCEPTED, msk(3, 2, 11)),
        (3, RequestStatus.RESOLVED, msk(3, 2, 12)),
    ]
    assert domain.recorded_history(None) == ()


def test_a_pause_begun_and_ended_unseen_shows_in_the_request_history() -> None:
    record = change(new_record(), RequestStatus.ACCEPTED, msk(3, 2, 11))
    record = change(record, RequestStatus.IN_PROGRESS, msk(3, 2, 11, 30))
    warning_at = domain.triggers(record, RES, BUSINESS)[0].at
    due = domain.due_firings(record, warning_at, BUSINESS)
    assert [t.key for t in due] == ["resolution:warning"]
    # Asked the family Monday 12:00, answered Thursday 12:00: same status as the record
    # saw, but two changes it has not seen.
    unseen = history(
        record,
        (RequestStatus.NEEDS_INFO, msk(3, 2, 12)),
        (RequestStatus.IN_PROGRESS, msk(3, 5, 12)),
    )
    assert not domain.lags_behind(record, RequestStatus.IN_PROGRESS)  # the status alone
    assert domain.lags_behind(record, RequestStatus.IN_PROGRESS, unseen)
    assert domain.check_against_request(record, due, RequestStatus.IN_PROGRESS, unseen) == (
        [],
        True,
    )
    caught_up = domain.reconcile(
        record,
        current_status=RequestStatus.IN_PROGRESS,
        version=record.version + 2,
        updated_at=msk(3, 5, 12),
        history=unseen,
        now=warning_at,
        scale=BUSINESS,
    )
    assert (caught_up.status, caught_up.version) == (RequestStatus.IN_PROGRESS, record.version + 2)
    # Mon 12-18, Tue and Wed 9-18, Thu 9-12: 27 working hours paused, none of it counted.
    assert domain.due_at(caught_up, RES, BUSINESS) == BUSINESS.add(
        domain.due_at(record, RES, BUSINESS), 27 * H
    )
    assert domain.due_firings(caught_up, warning_at, BUSINESS) == []
    assert not domain.lags_behind(caught_up, RequestStatus.IN_PROGRESS, unseen)
    # The same changes arriving later as events are stale.
    assert (
        domain.apply_status(
            caught_up,
            status=RequestStatus.IN_PROGRESS,
            version=record.version + 2,
            at=msk(3, 5, 12),
            scale=BUSINESS,
        )
        is None
    )


def test_without_a_history_the_current_status_stops_or_pauses_the_clocks() -> None:
    record = change(new_record(), RequestStatus.ROUTED, MONDAY_10)
    now = msk(3, 10, 12)

    def caught_up(status: RequestStatus, updated_at: dt.datetime | None) -> SlaRecord:
        return domain.reconcile(
            record,
            current_status=status,
            version=5,
            updated_at=updated_at,
            history=(),
            now=now,
            scale=BUSINESS,
        )

    resolved = caught_up(RequestStatus.RESOLVED, msk(3, 2, 15))
    assert (resolved.status, resolved.version) == (RequestStatus.RESOLVED, 5)
    assert all(c.stopped_at == msk(3, 2, 15) for c in resolved.clocks.values())
    assert domain.pending_times(resolved, BUSINESS) == []
    waiting = caught_up(RequestStatus.NEEDS_INFO, msk(3, 2, 12))
    assert waiting.paused_since == msk(3, 2, 12)
    assert domain.view(waiting, RES, now, BUSINESS).state is ClockState.PAUSED
    assert domain.due_firings(waiting, now, BUSINESS) == []
    # No instant known: as of the last change the record saw; never after now.
    assert caught_up(RequestStatus.CANCELLED, None).clocks[RES].stopped_at == MONDAY_10
    assert caught_up(RequestStatus.CLOSED, msk(3, 30, 9)).clocks[RES].stopped_at == now
    assert caught_up(RequestStatus.ROUTED, None) == record  # nothing to catch up


def test_looks_at_a_lagging_record_are_counted_per_record_version() -> None:
    record = change(new_record(), RequestStatus.ROUTED, MONDAY_10)
    first = domain.next_lag_mark(record, msk(3, 2, 12))
    assert (first.version, first.since, first.checks) == (1, msk(3, 2, 12), 1)
    record = record.model_copy(update={"behind": first})
    again = domain.next_lag_mark(record, msk(3, 2, 13))
    assert (again.since, again.checks) == (msk(3, 2, 12), 2)
    moved = change(
        record.model_copy(update={"behind": again}), RequestStatus.ACCEPTED, msk(3, 3, 9)
    )
    assert domain.next_lag_mark(moved, msk(3, 3, 10)).checks == 1  # the events are coming


def test_which_statuses_run_which_clock() -> None:
    assert domain.clock_runs(FR, RequestStatus.ROUTED)
    assert not domain.clock_runs(FR, RequestStatus.ACCEPTED)
    assert domain.clock_runs(RES, RequestStatus.IN_PROGRESS)
    assert not domain.clock_runs(RES, RequestStatus.NEEDS_INFO)
    assert not domain.clock_runs(RES, RequestStatus.CLOSED)


def test_needs_info_pauses_and_resuming_moves_the_deadline_by_the_paused_working_time() -> None:
    record = change(new_record(), RequestStatus.ACCEPTED, msk(3, 2, 11))
    before = domain.due_at(record, RES, BUSINESS)
    record = change(record, RequestStatus.NEEDS_INFO, msk(3, 3, 12))
    paused = domain.view(record, RES, msk(3, 20, 12), BUSINESS)
    assert paused.paused
    assert paused.state is ClockState.PAUSED
    assert paused.elapsed == 11 * H  # Mon 10-18 and Tue 9-12
    assert domain.pending_times(record, BUSINESS) == []
    _, fired = fire(record, msk(3, 30, 12))
    assert fired == []  # nothing fires while paused, however long
    # Resumed Thursday 12:00: Tue 12-18, Wed 9-18, Thu 9-12 = 18 working hours paused.
    record = change(record, RequestStatus.IN_PROGRESS, msk(3, 5, 12))
    assert domain.due_at(record, RES, BUSINESS) == BUSINESS.add(before, 18 * H)
    assert not domain.view(record, RES, msk(3, 5, 13), BUSINESS).paused
    assert domain.view(record, RES, msk(3, 5, 13), BUSINESS).elapsed == 12 * H


def test_a_re_route_does_not_reset_the_clocks() -> None:
    record = change(new_record(), RequestStatus.ROUTED, MONDAY_10)
    due = domain.due_at(record, RES, BUSINESS)
    record = change(record, RequestStatus.ACCEPTED, msk(3, 2, 12))
    record = change(record, RequestStatus.ROUTED, msk(3, 3, 12))  # handed to another agency
    assert domain.due_at(record, RES, BUSINESS) == due
    assert domain.view(record, FR, msk(3, 3, 12), BUSINESS).state is ClockState.MET


def test_acting_on_a_breach_stops_the_escalation() -> None:
    record = change(new_record(), RequestStatus.ACCEPTED, msk(3, 2, 11))
    due = domain.due_at(record, RES, BUSINESS)
    record, fired = fire(record, BUSINESS.add(due, 4 * H))
    assert fired[-2:] == ["resolution:breach", "resolution:district_head"]
    record = change(record, RequestStatus.IN_PROGRESS, BUSINESS.add(due, 5 * H))
    _, fired = fire(record, BUSINESS.add(due, 40 * H))
    assert fired == []
    assert domain.view(record, RES, BUSINESS.add(due, 40 * H), BUSINESS).state is (
        ClockState.BREACHED
    )


def test_finishing_stops_both_clocks_and_stale_changes_are_ignored() -> None:
    record = change(new_record(), RequestStatus.RESOLVED, msk(3, 2, 12))
    assert all(c.stopped_at == msk(3, 2, 12) for c in record.clocks.values())
    assert domain.pending_times(record, BUSINESS) == []
    stale = domain.apply_status(
        record, status=RequestStatus.ACCEPTED, version=1, at=msk(3, 2, 13), scale=BUSINESS
    )
    assert stale is None


def test_firing_events_carry_what_notifications_need() -> None:
    record = new_record()
    triggers = domain.triggers(record, FR, BUSINESS)
    warning = domain.firing_event(record, triggers[0], msk(3, 2, 16, 46), BUSINESS)
    assert isinstance(warning, SlaWarning)
    assert (warning.percent, warning.elapsed_s, warning.budget_s) == (75, 6 * 3600 + 2700, 9 * 3600)
    assert warning.due_at == msk(3, 3, 10)
    assert (warning.district, warning.hq, warning.curator_id) == (
        "Елецкий",
        "hq-elets",
        "curator-1",
    )
    assert warning.family_id == record.family_id
    breach = domain.firing_event(record, triggers[1], msk(3, 3, 10), BUSINESS)
    assert isinstance(breach, SlaBreached)
    assert breach.percent == 100
    escalated = domain.firing_event(record, triggers[3], msk(3, 3, 18), BUSINESS)
    assert isinstance(escalated, RequestEscalated)
    assert (escalated.level, escalated.step) == (RecipientRole.HQ_COORDINATOR, 2)
    assert escalated.overdue_s == 8 * 3600
    again = domain.firing_event(record, triggers[3], msk(3, 3, 19), BUSINESS)
    assert again.event_id == escalated.event_id  # one firing, one event id


def test_every_category_and_urgency_has_budgets() -> None:
    policy = load_policy()
    for category in NeedCategory:
        for urgency in Urgency:
            targets = policy.targets(category, urgency)
            assert targets.budget(FR) < targets.budget(RES)


def test_a_policy_file_overrides_the_packaged_one(tmp_path: Path) -> None:
    path = tmp_path / "sla.yaml"
    path.write_text(
        "default: {normal: {first_response_hours: 1, resolution_hours: 2}}\n"
        "categories: {housing: {normal: {first_response_hours: 3, resolution_hours: 30}}}\n"
    )
    policy = load_policy(path)
    assert policy.targets(NeedCategory.HOUSING, Urgency.NORMAL).budget(RES) == 30 * H
    assert policy.targets(NeedCategory.HEALTH, Urgency.NORMAL).budget(FR) == H
    with pytest.raises(LookupError, match="urgent"):
        policy.targets(NeedCategory.HEALTH, Urgency.URGENT)
    path.write_text("default: {normal: {first_response_hours: 0, resolution_hours: 2}}\n")
    with pytest.raises(ValidationError):
        load_policy(path)


def test_an_unknown_region_time_zone_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="SLA_TIME_ZONE"):
        RequestsSettings(sla_time_zone="Europe/Nowhere")
    with pytest.raises(ValidationError, match="SLA_WORKDAY_END"):
        RequestsSettings(sla_workday_start=dt.time(18), sla_workday_end=dt.time(9))
