"""In English mode the names of statuses, categories, urgency and agencies are English."""

import re

import pytest
from patronage_common.testing import eventually
from patronage_gateway.web.render import LABELS

from ..conftest import Stack, browser
from ..helpers import create_request, family_form, json_of, register_family

pytestmark = pytest.mark.integration

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LABELLED = re.compile(
    r'class="(?:status|task-status|badge)"[^>]*>([^<]*)<|<option value="[a-z_]+"[^>]*>([^<]*)<'
)


def russian_labels_in(html: str) -> set[str]:
    """The Russian value names (statuses, categories, agencies...) that appear in the page."""
    return {ru for names in LABELS.values() for ru in names.values() if f">{ru}<" in html}


async def test_an_english_page_names_every_value_in_english(stack: Stack) -> None:
    async with browser(stack, "cur-elets-1") as curator:
        family_id = await register_family(curator, family_form("elets", "Фомина Ирина Олеговна"))
        request_id = await create_request(curator, family_id)
        curator.cookies.set("lang", "en")

        async def routed() -> str | None:
            page = await curator.get(f"/requests/{request_id}")
            return page.text if 'data-status="routed"' in page.text else None

        request_page = await eventually(routed, interval_s=0.5, what="the request routed")
        family_page = (await curator.get(f"/families/{family_id}")).text
        new_family_page = (await curator.get("/families/new")).text

    for html in (request_page, family_page, new_family_page):
        assert russian_labels_in(html) == set()
        for shown in LABELLED.findall(html):
            text = "".join(shown)
            assert not CYRILLIC.search(text), text
    assert ">sent to an agency<" in request_page
    assert "Category: housing · Urgency: normal" in request_page
    assert ">housing and utilities<" in request_page  # the agency
    assert ">family of an SVO participant<" in family_page
    assert "(social curator)" in family_page
    async with browser(stack, "cur-elets-1") as curator:
        curator.cookies.set("lang", "en")
        status = await json_of(await curator.get(f"/api/requests/{request_id}/status"))
    assert status["status_label"] == "sent to an agency"
    assert {t["status_label"] for t in status["tasks"]} == {"sent"}
