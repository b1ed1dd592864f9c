"""The curator's and dispatcher's forms: errors next to the field, nothing typed is lost,
changes reach the passport, every change is in the audit log."""

import re

import pytest
from patronage_common.testing import eventually

from ..conftest import Stack, browser, csrf_of
from ..helpers import create_request, family_form, register_family

pytestmark = pytest.mark.integration


async def test_editing_contacts_keeps_the_input_on_error_and_is_audited(stack: Stack) -> None:
    async with browser(stack, "cur-elets-1") as curator:
        family_id = await register_family(curator, family_form("elets", "Громова Нина Петровна"))
        page = await curator.get(f"/families/{family_id}")
        bad = await curator.post(
            f"/families/{family_id}/contacts",
            data={"phones": "12345", "telegram": "@gromova_n", "csrf_token": csrf_of(page.text)},
        )
        assert bad.status_code == 422
        assert 'id="e-phones"' in bad.text
        assert 'value="12345"' in bad.text
        assert 'value="@gromova_n"' in bad.text
        good = await curator.post(
            f"/families/{family_id}/contacts",
            data={
                "phones": "+7 920 111-22-33",
                "telegram": "@gromova_n",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert good.status_code == 303
        shown = await curator.get(f"/families/{family_id}")
        assert "+79201112233" in shown.text
        assert "@gromova_n" in shown.text
        assert "contacts" in shown.text  # the change history lists the section
    async with browser(stack, "head-elets") as head:
        page = await head.get(f"/families/{family_id}")
        assert page.status_code == 200
        assert "Изменить контакты" not in page.text
        refused = await head.post(
            f"/families/{family_id}/contacts",
            data={"phones": "+7 920 111-22-44", "csrf_token": csrf_of(page.text)},
        )
        assert refused.status_code == 403
    async with browser(stack, "auditor-1") as auditor:
        log = await auditor.get("/audit", params={"subject": family_id})
        assert "семья зарегистрирована" in log.text
        assert "контакты" in log.text


async def test_the_dispatcher_finds_a_family_by_phone_and_creates_a_request(
    stack: Stack,
) -> None:
    async with browser(stack, "cur-elets-1") as curator:
        form = family_form("elets", "Лебедева Ольга Юрьевна", phone="+7 915 700-80-90")
        family_id = await register_family(curator, form)
    async with browser(stack, "dispatcher-1") as dispatcher:

        async def found() -> str | None:
            page = await dispatcher.get("/dispatcher", params={"phone": "8 915 700 80 90"})
            return page.text if "Лебедева Ольга Юрьевна" in page.text else None

        await eventually(found, what="the family found by phone")
        desk = await dispatcher.get(
            "/dispatcher", params={"phone": "89157008090", "family": family_id}
        )
        empty = await dispatcher.post(
            f"/families/{family_id}/requests",
            data={
                "category": "",
                "description": "Нужна юридическая консультация",
                "csrf_token": csrf_of(desk.text),
            },
        )
        assert empty.status_code == 422
        assert "Выберите направление" in empty.text
        assert "Нужна юридическая консультация" in empty.text

        async def created() -> str | None:
            response = await dispatcher.post(
                f"/families/{family_id}/requests",
                data={
                    "category": "social_legal",
                    "description": "Нужна юридическая консультация",
                    "csrf_token": csrf_of(desk.text),
                },
            )
            return response.headers.get("location") if response.status_code == 303 else None

        location = await eventually(created, interval_s=0.5, what="the request created")
        page = await dispatcher.get(location)
        assert page.status_code == 200
        assert "Нужна юридическая консультация" in page.text


async def test_a_request_created_a_moment_ago_is_on_the_family_page(stack: Stack) -> None:
    async with browser(stack, "cur-elets-1") as curator:
        family_id = await register_family(curator, family_form("elets", "Панова Мария Ильинична"))
        first = await create_request(curator, family_id, "education")
        second = await create_request(curator, family_id, "housing")
        # At once: the family's request index is folded only every few seconds.
        page = (await curator.get(f"/families/{family_id}")).text
        listed = page[page.index('data-testid="family-requests"') :].split("</ul>", 1)[0]
        assert listed.index(f"/requests/{second}") < listed.index(f"/requests/{first}")
        assert "образование" in listed
        assert "жильё" in listed
        assert listed.count('class="status" data-status=') == 2


async def test_the_curators_requests_carry_sla_badges(stack: Stack) -> None:
    async with browser(stack, "cur-elets-1") as curator:
        family_id = await register_family(curator, family_form("elets", "Белова Ольга Ивановна"))
        request_id = await create_request(curator, family_id, "education")

        async def badged() -> str | None:
            page = await curator.get("/curator")
            return page.text if 'data-sla-clock="resolution"' in page.text else None

        page = await eventually(badged, interval_s=0.5, what="SLA badges on the curator page")
        row = page[page.index(f"/requests/{request_id}") :].split("</tr>", 1)[0]
        assert 'data-sla-clock="first_response" data-sla-state="running"' in row
        assert "первый ответ: идёт" in row
        # A new request is far from its deadlines: no alert on the family's row.
        assert 'data-sla-state="at_risk"' not in page
        assert 'data-sla-state="breached"' not in page
        request_page = (await curator.get(f"/requests/{request_id}")).text
        assert 'data-testid="request-sla"' in request_page
        assert "решение: идёт" in request_page
        curator.cookies.set("lang", "en")
        english = (await curator.get(f"/requests/{request_id}")).text
        assert "resolution: running" in english


async def test_the_dispatcher_logs_calls_and_books_a_free_slot(stack: Stack) -> None:
    async with browser(stack, "cur-elets-1") as curator:
        form = family_form("elets", "Зайцева Марина Львовна", phone="+7 915 700-81-82")
        family_id = await register_family(curator, form)
    async with browser(stack, "dispatcher-1") as dispatcher:
        # A caller nobody knows: a consultation is all a call without a family can be.
        desk = await dispatcher.get("/dispatcher")
        assert 'data-testid="call-form"' in desk.text
        no_family = await dispatcher.post(
            "/dispatcher/calls",
            data={
                "subject": "Куда обратиться за выплатой",
                "outcome": "request_created",
                "description": "Нужна выплата",
                "category": "material",
                "csrf_token": csrf_of(desk.text),
            },
        )
        assert no_family.status_code == 422
        assert "Сначала найдите и выберите семью звонящего" in no_family.text
        assert "Куда обратиться за выплатой" in no_family.text  # nothing typed is lost
        advised = await dispatcher.post(
            "/dispatcher/calls",
            data={
                "subject": "Куда обратиться за выплатой",
                "outcome": "consultation",
                "notes": "Рассказали про МФЦ",
                "csrf_token": csrf_of(desk.text),
            },
        )
        assert advised.status_code == 303, advised.text

        # The family on the line: choose it, pick a free slot from the list, book.
        chosen = await dispatcher.get(
            "/dispatcher", params={"phone": "89157008182", "family": family_id}
        )
        slots = re.findall(r'<option value="([^"|]+\|[^"]+)"', chosen.text)
        assert slots, "free slots are offered"
        booked = await dispatcher.post(
            "/dispatcher/calls",
            data={
                "family_id": family_id,
                "subject": "Ребёнку нужен психолог",
                "category": "psychological",
                "outcome": "appointment_booked",
                "slot": slots[0],
                "csrf_token": csrf_of(chosen.text),
            },
        )
        assert booked.status_code == 303, booked.text
        log = await dispatcher.get(booked.headers["location"])
        assert "Ребёнку нужен психолог" in log.text
        assert 'data-outcome="appointment_booked"' in log.text
        assert 'data-outcome="consultation"' in log.text
        again = await dispatcher.get("/dispatcher", params={"family": family_id})
        assert f'<option value="{slots[0]}"' not in again.text  # the slot is taken now

        # The same slot a second time: refused by the requests service, shown at the field.
        taken = await dispatcher.post(
            "/dispatcher/calls",
            data={
                "family_id": family_id,
                "subject": "Ещё одна запись",
                "outcome": "appointment_booked",
                "slot": slots[0],
                "csrf_token": csrf_of(chosen.text),
            },
        )
        assert taken.status_code == 409
        assert 'id="ce-slot" role="alert">слот уже занят' in taken.text

        # A request from the call.
        request_call = await dispatcher.post(
            "/dispatcher/calls",
            data={
                "family_id": family_id,
                "subject": "Течёт крыша",
                "category": "housing",
                "outcome": "request_created",
                "description": "Течёт крыша над детской",
                "csrf_token": csrf_of(chosen.text),
            },
        )
        assert request_call.status_code == 303, request_call.text
        log = await dispatcher.get(request_call.headers["location"])
        assert 'data-outcome="request_created"' in log.text
        assert re.search(r'href="/requests/[0-9a-f-]{36}"', log.text)
