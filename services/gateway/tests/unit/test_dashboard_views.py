"""The dashboard's query checks and figure formatting (pure)."""

from patronage_common.identity import Identity, Role
from patronage_gateway.clients import ServiceError
from patronage_gateway.dashboards.filters import chooses_place, read_query
from patronage_gateway.dashboards.flows import errors_of
from patronage_gateway.dashboards.views import (
    appointment_rows,
    coverage_rows,
    daily_rows,
    duration,
    percent,
    status_rows,
    workload_rows,
)
from patronage_gateway.pages.families import sla_alerts

ADMIN = Identity(subject="admin-1", role=Role.REGIONAL_ADMIN)
HEAD = Identity(subject="head-elets", role=Role.DISTRICT_HEAD, district="elets")
HQ = Identity(subject="hq-elets", role=Role.HQ_COORDINATOR, hq="hq-elets")


def test_a_valid_query_becomes_the_reporting_parameters() -> None:
    query = read_query(
        {"from": "2026-11-01", "to": "2026-11-23", "district": " dankov ", "agency": "housing"},
        ADMIN,
    )
    assert query.errors == {}
    assert query.params == {
        "from": "2026-11-01",
        "to": "2026-11-23",
        "district": "dankov",
        "agency": "housing",
    }
    assert query.query_string == "from=2026-11-01&to=2026-11-23&district=dankov&agency=housing"


def test_wrong_values_are_kept_with_a_russian_error_next_to_each_field() -> None:
    query = read_query(
        {"from": "01.11.2026", "to": "2026-11-05", "agency": "police", "category": "x"}, ADMIN
    )
    assert query.values["from"] == "01.11.2026"  # shown back as typed
    assert query.errors == {
        "from": "Дата в формате ГГГГ-ММ-ДД, например 2026-11-01",
        "agency": "Неизвестное ведомство",
        "category": "Неизвестное направление помощи",
    }
    reversed_period = read_query({"from": "2026-11-10", "to": "2026-11-01"}, ADMIN)
    assert reversed_period.errors == {"to": "Конец периода раньше его начала"}
    both = read_query({"district": "elets", "hq": "hq-elets"}, ADMIN)
    assert both.errors == {"hq": "Выберите район или штаб, не оба сразу"}
    long_name = read_query({"district": "д" * 101}, ADMIN)
    assert long_name.errors == {"district": "Слишком длинное название района"}


def test_heads_see_their_own_place_in_the_form() -> None:
    head = read_query({}, HEAD)
    assert (head.values["district"], head.values["hq"]) == ("elets", "")
    assert head.params == {"district": "elets"}
    hq = read_query({}, HQ)
    assert (hq.values["district"], hq.values["hq"]) == ("", "hq-elets")
    # Another place is passed on: the reporting service refuses it (a field error).
    assert read_query({"district": "dankov"}, HEAD).params == {"district": "dankov"}
    assert chooses_place(ADMIN)
    assert not chooses_place(HEAD)
    assert not chooses_place(HQ)


def test_refusals_of_the_reporting_service_land_on_their_fields() -> None:
    refused = ServiceError(
        403, [{"loc": ["query", "district"], "msg": "Глава района видит только свой район"}]
    )
    assert errors_of(refused) == {"district": "Глава района видит только свой район"}
    assert errors_of(ServiceError(403, "Этой роли отчёты недоступны")) == {
        "_form": "Этой роли отчёты недоступны"
    }
    assert errors_of(ServiceError(404, None)) == {"_form": "отчёт недоступен (404)"}


def test_durations_and_shares_read_like_people_write_them() -> None:
    assert duration(None) == "—"
    assert duration(0) == "0 мин"
    assert duration(12 * 60 + 20) == "12 мин"
    assert duration(5 * 3600 + 20 * 60) == "5 ч 20 мин"
    assert duration(2 * 3600) == "2 ч"
    assert duration(3 * 86400 + 4 * 3600 + 59) == "3 дн 4 ч"
    assert duration(86400, "en") == "1 d"
    assert percent(87.5) == "87,5 %"
    assert percent(100.0) == "100 %"
    assert percent(None) == "—"


def test_rows_for_the_bar_charts() -> None:
    rows = status_rows({"routed": 4, "resolved": 1})
    assert [r["status"] for r in rows][:3] == ["new", "routed", "accepted"]
    by_status = {r["status"]: (r["count"], r["percent"]) for r in rows}
    assert by_status["routed"] == (4, 100)
    assert by_status["resolved"] == (1, 25)
    assert by_status["new"] == (0, 0)
    assert [r["percent"] for r in status_rows({})] == [0] * len(rows)
    agency = status_rows({"sent": 2, "accepted": 1})
    assert [r["status"] for r in agency][:4] == ["new", "routed", "sent", "accepted"]
    days = daily_rows([{"day": "2026-11-01", "created": 2}, {"day": "2026-11-02", "created": 8}])
    assert [(d["day"], d["percent"]) for d in days] == [("2026-11-01", 25), ("2026-11-02", 100)]
    coverage = coverage_rows(
        {
            "elets": {"eligible": 4, "connected": 3, "connected_percent": 75.0},
            "dankov": {"eligible": 0, "connected": 0, "connected_percent": None},
        }
    )
    assert [(c["district"], c["percent"]) for c in coverage] == [("dankov", 0), ("elets", 75)]
    load = workload_rows(
        [
            {"curator_id": "a", "families": 3, "open_requests": 1},
            {"curator_id": "b", "families": 1, "open_requests": 4},
        ]
    )
    assert [(r["curator_id"], r["percent"]) for r in load] == [("b", 100), ("a", 25)]


def test_a_familys_most_urgent_deadline_is_flagged_on_the_curators_list() -> None:
    def request(family: str, *states: str) -> dict[str, object]:
        return {"family_id": family, "sla": [{"state": s} for s in states]}

    alerts = sla_alerts(
        [
            request("f1", "running", "at_risk"),
            request("f1", "breached", "running"),
            request("f2", "at_risk"),
            request("f3", "running", "met", "paused"),
            {"family_id": "f4"},  # clocks not started yet
        ]
    )
    assert alerts == {"f1": "breached", "f2": "at_risk"}


def test_appointments_by_kind_of_specialist() -> None:
    rows = appointment_rows(
        {
            "period": {
                "booked": {"psychologist": 1, "lawyer": 3},
                "cancelled": {"lawyer": 1},
                "rescheduled": {},
            },
            "active": {"psychologist": 1, "lawyer": 2},
        }
    )
    assert rows == [
        {"kind": "lawyer", "booked": 3, "cancelled": 1, "rescheduled": 0, "active": 2},
        {"kind": "psychologist", "booked": 1, "cancelled": 0, "rescheduled": 0, "active": 1},
    ]
    assert appointment_rows({}) == []
