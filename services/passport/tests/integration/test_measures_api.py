"""Eligibility, assignment and provision of support measures through the API."""

import httpx
import pytest
from patronage_passport.settings import PassportSettings

from tests.support.agency_client import read_events_until
from tests.support.families import passport_payload

pytestmark = pytest.mark.integration


async def test_eligible_measures_are_explained_assigned_and_provided(
    api: tuple[httpx.AsyncClient, PassportSettings],
) -> None:
    client, settings = api
    passport = (await client.post("/passports", json=passport_payload())).json()
    family = passport["family_id"]
    pupil, toddler = passport["members"][1], passport["members"][2]

    eligible = (await client.get(f"/passports/{family}/eligible-measures")).json()
    by_code = {(m["code"], m["member_id"]): m for m in eligible}
    meals = by_code[("school_meals", pupil["member_id"])]
    assert any(pupil["full_name"] in reason for reason in meals["reasons"])
    assert ("school_meals", toddler["member_id"]) not in by_code
    assert ("kindergarten_priority", toddler["member_id"]) in by_code
    assert ("family_psychologist", None) in by_code

    no_member = await client.post(
        f"/passports/{family}/measures", json={"measure_code": "school_meals"}
    )
    assert no_member.status_code == 422
    assert no_member.json()["detail"][0]["loc"] == ["body", "member_id"]
    unknown = await client.post(f"/passports/{family}/measures", json={"measure_code": "no_such"})
    assert unknown.status_code == 422

    assigned = await client.post(
        f"/passports/{family}/measures",
        json={"measure_code": "school_meals", "member_id": pupil["member_id"]},
    )
    assert assigned.status_code == 201, assigned.text
    measure = assigned.json()["measures"][0]
    assert (measure["status"], measure["agency"]) == ("assigned", "education")
    again = await client.post(
        f"/passports/{family}/measures",
        json={"measure_code": "school_meals", "member_id": pupil["member_id"]},
    )
    assert again.status_code == 422

    provided = await client.post(
        f"/passports/{family}/measures/{measure['assignment_id']}/provided"
    )
    assert provided.json()["measures"][0]["status"] == "provided"
    twice = await client.post(f"/passports/{family}/measures/{measure['assignment_id']}/provided")
    assert twice.status_code == 422

    events = await read_events_until(
        settings.kafka_bootstrap_servers,
        settings.topic("passport.events"),
        lambda seen: any(e["type"] == "MeasureProvided" for e in seen),
    )
    assigned_event = next(e for e in events if e["type"] == "MeasureAssigned")
    assert (assigned_event["measure_code"], assigned_event["agency"]) == (
        "school_meals",
        "education",
    )
    assert assigned_event["member_id"] == pupil["member_id"]
    catalogue = (await client.get("/measures")).json()
    assert {"school_meals", "family_psychologist"} <= {m["code"] for m in catalogue}
