"""Heads' and authorities' dashboard through the gateway: figures from the reporting
service, filters with errors next to the field, scoping, exports and the JSON API."""

import re

import pytest
from patronage_common.testing import eventually

from ..conftest import Stack, api_token, browser, csrf_of
from ..helpers import create_request, family_form, register_family

pytestmark = pytest.mark.integration


def count_of(html: str, status: str) -> int:
    match = re.search(rf'<tr data-status="{status}">.*?class="count">(\d+)<', html, re.S)
    assert match, status
    return int(match.group(1))


async def test_the_dashboard_tracks_requests_in_the_viewers_scope(stack: Stack) -> None:
    async with browser(stack, "cur-elets-1") as curator:
        family_id = await register_family(curator, family_form("elets", "Лаптева Анна Юрьевна"))
        request_id = await create_request(curator, family_id, "housing")
    # The line books the family to a specialist: an appointment of the Elets district.
    async with browser(stack, "dispatcher-1") as dispatcher:
        desk = await dispatcher.get("/dispatcher", params={"family": family_id})
        slot = re.findall(r'<option value="([^"|]+\|[^"]+)"', desk.text)[0]
        booked = await dispatcher.post(
            "/dispatcher/calls",
            data={
                "family_id": family_id,
                "subject": "Нужна консультация специалиста",
                "outcome": "appointment_booked",
                "slot": slot,
                "csrf_token": csrf_of(desk.text),
            },
        )
        assert booked.status_code == 303, booked.text

    async with browser(stack, "admin-1") as admin:

        async def counted() -> str | None:
            page = await admin.get("/dashboard")
            assert page.status_code == 200, page.text
            return page.text if count_of(page.text, "routed") >= 1 else None

        page = await eventually(counted, interval_s=0.5, what="the request on the dashboard")
        for section in ("by-status", "period", "sla", "overdue", "daily", "coverage", "workload"):
            assert f'data-testid="{section}"' in page, section
        assert 'data-curator="cur-elets-1"' in page
        assert 'data-district="elets"' in page
        assert "Данные по всей области" in page
        # The period shown is in the form (this month by default).
        assert re.search(r'name="from" type="date" value="\d{4}-\d{2}-01"', page)
        # Filters: by agency (the request is housing's task, not answered yet), by district.
        housing = await admin.get("/dashboard", params={"agency": "housing"})
        assert count_of(housing.text, "sent") >= 1
        education = await admin.get("/dashboard", params={"agency": "education"})
        assert 'data-status="sent"' not in education.text  # no education task at all
        assert '<option value="housing" selected>' in housing.text
        other = await admin.get("/dashboard", params={"district": "dankov"})
        assert count_of(other.text, "routed") == 0

        # A wrong date: the error next to the field, what was typed kept, nothing asked.
        wrong = await admin.get("/dashboard", params={"from": "31.02.2026", "agency": "housing"})
        assert wrong.status_code == 422
        assert 'id="de-from" role="alert">Дата в формате ГГГГ-ММ-ДД' in wrong.text
        assert 'value="31.02.2026"' in wrong.text
        assert '<option value="housing" selected>' in wrong.text

        # Exports with the page's filters: Russian headers, a header block.
        csv_file = await admin.get(
            "/dashboard/export/requests", params={"format": "csv", "agency": "housing"}
        )
        assert csv_file.status_code == 200, csv_file.text
        assert csv_file.headers["content-type"].startswith("text/csv")
        text = csv_file.content.decode("utf-8-sig")
        assert "Заявки семей: статусы, сроки, оценки" in text
        assert "ведомство housing" in text
        xlsx = await admin.get("/dashboard/export/workload", params={"format": "xlsx"})
        assert xlsx.status_code == 200
        assert xlsx.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        )
        assert xlsx.content[:2] == b"PK"
        assert "attachment" in xlsx.headers["content-disposition"]

    async with browser(stack, "head-elets") as head:

        async def with_appointment() -> str | None:
            page = await head.get("/dashboard")
            return (
                page.text
                if 'data-testid="appointments"' in page.text and "data-kind=" in page.text
                else None
            )

        own_text = await eventually(
            with_appointment, interval_s=0.5, what="the appointment counted"
        )
        kind_row = re.search(
            r'<tr data-kind="([a-z_]+)"><td>[^<]+</td><td class="count">(\d+)<', own_text
        )
        assert kind_row, own_text
        assert int(kind_row.group(2)) == 1
        own = await head.get("/dashboard")
        assert own.status_code == 200
        assert count_of(own.text, "routed") >= 1
        assert 'name="district" type="text" value="elets"' in own.text
        assert "readonly" in own.text
        # Another district: refused by the reporting service, shown next to the field.
        other = await head.get("/dashboard", params={"district": "dankov"})
        assert other.status_code == 403
        assert 'id="de-district" role="alert">Глава района видит только свой район' in other.text
        refused_export = await head.get(
            "/dashboard/export/requests", params={"format": "csv", "district": "dankov"}
        )
        assert refused_export.status_code == 403
        head.cookies.set("lang", "en")
        english = await head.get("/dashboard")
        assert "Requests now" in english.text
        assert "Deadlines kept (SLA)" in english.text

    async with browser(stack, "head-lipetsk-city") as elsewhere:
        page = await elsewhere.get("/dashboard")
        assert count_of(page.text, "routed") == 0  # not their district's request
        assert "data-kind=" not in page.text  # nor its appointment
        assert request_id[:8] not in page.text

    # The same figures as JSON for authorities' own systems, scoped the same way.
    async with browser(stack) as client:
        head_api = await api_token(stack, "head-elets")
        figures = await client.get("/api/reports/requests", headers=head_api)
        assert figures.status_code == 200, figures.text
        assert figures.json()["scope"]["geo"] == "d:elets"
        assert figures.json()["live"]["by_status"].get("routed", 0) >= 1
        daily = await client.get(
            "/api/reports/requests/daily",
            params={"from": "2026-01-01", "to": "2026-01-03"},
            headers=head_api,
        )
        assert [d["day"] for d in daily.json()] == ["2026-01-01", "2026-01-02", "2026-01-03"]
        outside = await client.get(
            "/api/reports/requests", params={"district": "dankov"}, headers=head_api
        )
        assert outside.status_code == 403
        bad = await client.get("/api/reports/overdue", params={"to": "x"}, headers=head_api)
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["query", "to"]
        curator_api = await api_token(stack, "cur-elets-1")
        assert (await client.get("/api/reports/requests", headers=curator_api)).status_code == 403
        unknown = await client.get("/api/reports/secrets", headers=head_api)
        assert unknown.status_code == 422
