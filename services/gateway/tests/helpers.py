"""Building families and requests through the gateway, as its users do."""

from datetime import date
from typing import Any

import httpx
from patronage_common.testing import eventually

from tests.support.families import unique_phone

from .conftest import csrf_of


def family_form(district: str, applicant: str, **overrides: str) -> dict[str, str]:
    """The new-family form filled in for an SVO family."""
    values = {
        "category": "svo_family",
        "applicant_full_name": applicant,
        "applicant_birth_date": "1990-04-12",
        "phone": unique_phone(),
        "serviceman_full_name": "Петров Андрей Викторович",
        "serviceman_birth_date": "1988-02-03",
        "service_kind": "mobilized",
        "district": district,
        "hq": f"hq-{district}",
        "locality": "Елец",
        "consent": "yes",
    }
    values.update(overrides)
    return values


async def register_family(client: httpx.AsyncClient, form: dict[str, str]) -> str:
    """Register a family through the form; returns its id."""
    page = await client.get("/families/new")
    response = await client.post("/families/new", data={**form, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 303, response.text
    return str(response.headers["location"].rsplit("/", 1)[1])


async def create_request(
    client: httpx.AsyncClient, family_id: str, category: str = "housing"
) -> str:
    """Create a help request from the family page (retrying while the requests service
    has not yet heard of the family)."""

    async def attempt() -> str | None:
        page = await client.get(f"/families/{family_id}")
        response = await client.post(
            f"/families/{family_id}/requests",
            data={
                "category": category,
                "description": "Течёт крыша над детской",
                "urgency": "normal",
                "csrf_token": csrf_of(page.text),
            },
        )
        if response.status_code == 303:
            return str(response.headers["location"].rsplit("/", 1)[1])
        assert response.status_code == 422, response.text
        return None

    return await eventually(attempt, interval_s=0.5, what="the request created")


def today() -> str:
    """Today (UTC) as the audit log's day."""
    return date.today().isoformat()


async def json_of(response: httpx.Response) -> Any:
    """The JSON body, failing with the text if the call failed."""
    assert response.status_code == 200, response.text
    return response.json()
