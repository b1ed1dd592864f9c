import json
import uuid
from typing import Any

import pytest
from patronage_contracts import AGENCY_VIEWS, Agency, HandleHelpRequest
from patronage_requests.families.service import details_of
from patronage_requests.families.views import family_view

pytestmark = pytest.mark.unit

APPLICANT_ID, PUPIL_ID, GRANDMA_ID = (str(uuid.uuid4()) for _ in range(3))


def passport(
    scope: tuple[str, ...] = ("personal_data", "share_with_agencies", "health_data"),
) -> dict[str, Any]:
    """A passport as GET /passports/{id} returns it, serviceman included."""
    return {
        "family_id": str(uuid.uuid4()),
        "version": 3,
        "categories": ["svo_family", "large_family"],
        "serviceman": {"full_name": "Иванов Андрей Петрович", "status": "wounded"},
        "members": [
            {
                "member_id": APPLICANT_ID,
                "relation": "applicant",
                "full_name": "Иванова Мария Ивановна",
                "birth_date": "1988-05-17",
            },
            {
                "member_id": PUPIL_ID,
                "relation": "child",
                "full_name": "Иванов Пётр Андреевич",
                "birth_date": "2016-09-01",
                "school": {"school": "МБОУ СОШ № 5", "grade": 4},
            },
            {
                "member_id": GRANDMA_ID,
                "relation": "grandparent",
                "full_name": "Иванова Нина Петровна",
                "birth_date": "1950-01-02",
                "disability": {"group": "2", "notes": "диагноз"},
            },
        ],
        "contacts": {"phones": ["+79001234567"]},
        "address": {"district": "elets", "hq": "hq-elets", "locality": "Елец", "house": "5"},
        "consent": {"scope": list(scope)},
        "restricted_scopes": [],
        "curator_id": "curator-1",
        "needs": [],
        "plan_items": [],
    }


def command(agency: Agency, member_id: str | None = None, **kw: Any) -> HandleHelpRequest:
    family = details_of(passport(**kw))
    return HandleHelpRequest(
        family_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        task_id=uuid.uuid4(),
        agency=agency,
        category="childcare",
        urgency="normal",
        description="Нужна помощь",
        **family_view(agency, family, member_id=uuid.UUID(member_id) if member_id else None),
    )


def test_the_snapshot_keeps_nothing_of_the_serviceman() -> None:
    details = json.dumps(details_of(passport()), ensure_ascii=False)
    assert "serviceman" not in details
    assert "Андрей Петрович" not in details.replace("Андреевич", "")
    assert "диагноз" not in details  # only a disability flag is kept


def test_education_gets_the_children_and_the_contact_only() -> None:
    message = command(Agency.EDUCATION)
    assert [c.full_name for c in message.children] == ["Иванов Пётр Андреевич"]
    assert message.children[0].school == "МБОУ СОШ № 5"
    assert message.children[0].grade == "4"
    assert message.applicant is not None
    assert message.applicant.phone == "+79001234567"
    assert (message.member, message.address, message.household) == (None, None, None)
    text = message.model_dump_json()
    assert "serviceman" not in text
    assert "wounded" not in text
    assert "svo_family" not in text


def test_health_gets_the_member_concerned_with_a_disability_flag() -> None:
    message = command(Agency.HEALTH, member_id=GRANDMA_ID)
    assert message.member is not None
    assert (message.member.full_name, message.member.has_disability) == (
        "Иванова Нина Петровна",
        True,
    )
    assert message.children == ()
    assert "serviceman" not in message.model_dump_json()
    assert "svo_family" not in message.model_dump_json()
    applicant = command(Agency.HEALTH).member
    assert applicant is not None
    assert applicant.full_name == "Иванова Мария Ивановна"


def test_other_agencies_get_their_own_part() -> None:
    employment = command(Agency.EMPLOYMENT)
    assert employment.applicant is not None
    assert (employment.children, employment.member, employment.household) == ((), None, None)
    housing = command(Agency.HOUSING)
    assert housing.address is not None
    assert housing.address.locality == "Елец"
    social = command(Agency.SOCIAL_PROTECTION)
    assert social.household is not None
    assert (social.household.members_count, social.household.children_count) == (3, 1)
    assert social.children == ()


@pytest.mark.parametrize("agency", list(Agency))
def test_no_agency_gets_more_than_its_view(agency: Agency) -> None:
    message = command(agency)
    family_fields = {"applicant", "children", "member", "address", "household"}
    sent = {f for f in family_fields if getattr(message, f) not in (None, ())}
    assert sent <= AGENCY_VIEWS[agency]


def test_without_consent_to_share_agencies_get_no_family_data() -> None:
    message = command(Agency.EDUCATION, scope=("personal_data",))
    assert (message.applicant, message.children) == (None, ())


def test_without_consent_to_health_data_no_disability_flag_is_sent() -> None:
    message = command(
        Agency.HEALTH, member_id=GRANDMA_ID, scope=("personal_data", "share_with_agencies")
    )
    assert message.member is not None
    assert message.member.has_disability is False
