"""The passport service enforces the gateway's signed identity on reads and changes."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from patronage_common.identity import IDENTITY_HEADER, Identity, Role, sign_identity
from patronage_common.testing import eventually, free_port, serve
from patronage_passport.main import create_app
from patronage_passport.settings import PassportSettings

from tests.support.families import passport_payload

pytestmark = pytest.mark.integration

SECRET = "passport-test-identity-secret-0123456789"


def signed(identity: Identity) -> dict[str, str]:
    return {IDENTITY_HEADER: sign_identity(identity, SECRET)}


CURATOR = Identity(subject="cur-a", role=Role.CURATOR)
OTHER_CURATOR = Identity(subject="cur-b", role=Role.CURATOR)


@pytest.fixture
async def strict_api(make_settings: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    settings = make_settings(
        PassportSettings, http_port=port, identity_secret=SECRET, identity_required=True
    )
    async with serve(create_app(settings), port) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def register(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/passports",
        json=passport_payload(district="elets", curator_id="cur-a"),
        headers=signed(CURATOR),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["family_id"])


async def test_unsigned_and_forged_calls_are_refused_when_identity_is_required(
    strict_api: httpx.AsyncClient,
) -> None:
    family_id = await register(strict_api)
    assert (await strict_api.get(f"/passports/{family_id}")).status_code == 401
    forged = {IDENTITY_HEADER: sign_identity(CURATOR, "another-secret-0123456789abcdef")}
    refused = await strict_api.get(f"/passports/{family_id}", headers=forged)
    assert refused.status_code == 401
    assert "удостоверение" in refused.json()["detail"]


async def test_a_curator_reads_another_family_only_with_a_reason(
    strict_api: httpx.AsyncClient,
) -> None:
    family_id = await register(strict_api)
    own = await strict_api.get(f"/passports/{family_id}", headers=signed(CURATOR))
    assert own.status_code == 200
    refused = await strict_api.get(f"/passports/{family_id}", headers=signed(OTHER_CURATOR))
    assert refused.status_code == 403
    assert refused.json()["code"] == "break_glass_required"
    with_reason = OTHER_CURATOR.with_reason("замещаю куратора на время отпуска")
    allowed = await strict_api.get(f"/passports/{family_id}", headers=signed(with_reason))
    assert allowed.status_code == 200
    change = await strict_api.put(
        f"/passports/{family_id}/contacts",
        json={"phones": ["+7 900 111-22-33"]},
        headers=signed(with_reason),
    )
    assert change.status_code == 403


async def test_district_head_and_medical_organization_scopes(
    strict_api: httpx.AsyncClient,
) -> None:
    family_id = await register(strict_api)
    head = Identity(subject="head-elets", role=Role.DISTRICT_HEAD, district="elets")
    stranger = Identity(subject="head-x", role=Role.DISTRICT_HEAD, district="lipetsk-city")
    assert (
        await strict_api.get(f"/passports/{family_id}", headers=signed(head))
    ).status_code == 200
    assert (
        await strict_api.get(f"/passports/{family_id}", headers=signed(stranger))
    ).status_code == 403
    medical = Identity(subject="clinic-1", role=Role.MEDICAL_ORGANIZATION)
    seen = (await strict_api.get(f"/passports/{family_id}", headers=signed(medical))).json()
    assert seen["serviceman"] is None
    assert seen["contacts"] is None
    assert all("snils" not in m or m["snils"] is None for m in seen["members"])


async def test_changes_are_recorded_under_the_signed_subject(
    strict_api: httpx.AsyncClient,
) -> None:
    family_id = await register(strict_api)
    changed = await strict_api.put(
        f"/passports/{family_id}/contacts",
        json={"phones": ["+7 900 111-22-44"]},
        headers={**signed(CURATOR), "X-Actor": "somebody-else"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["updated_by"] == "cur-a"


async def test_search_is_scoped_by_the_signed_identity(strict_api: httpx.AsyncClient) -> None:
    family_id = await register(strict_api)

    async def found(identity: Identity, **params: str) -> httpx.Response:
        return await strict_api.get("/passports", params=params, headers=signed(identity))

    async def own_listed() -> list[str] | None:
        own = await found(CURATOR, curator_id="cur-a")
        return [i["family_id"] for i in own.json()["items"]] or None

    # The search index follows passport.events: the family appears once indexed.
    assert await eventually(own_listed, what="the family in its curator's search") == [family_id]
    assert (await found(CURATOR, district="elets")).status_code == 403
    assert (await found(OTHER_CURATOR, curator_id="cur-a")).status_code == 403
    dispatcher = Identity(subject="disp", role=Role.DISPATCHER)
    assert (await found(dispatcher, district="elets")).status_code == 200
