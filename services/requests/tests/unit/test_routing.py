from pathlib import Path

import pytest
from patronage_contracts import Agency, NeedCategory
from patronage_requests.routing.service import load_router
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def test_every_category_has_an_agency_in_the_packaged_table() -> None:
    router = load_router()
    for category in NeedCategory:
        assert router.agencies_for(category, None)


def test_childcare_is_split_between_two_agencies() -> None:
    agencies = load_router().agencies_for(NeedCategory.CHILDCARE, "any")
    assert agencies == (Agency.SOCIAL_PROTECTION, Agency.EDUCATION)


def test_district_override(tmp_path: Path) -> None:
    table = tmp_path / "routing.yaml"
    table.write_text(
        "default: {housing: [housing]}\ndistricts: {elets: {housing: [social_protection]}}\n"
    )
    router = load_router(table)
    assert router.agencies_for(NeedCategory.HOUSING, "elets") == (Agency.SOCIAL_PROTECTION,)
    assert router.agencies_for(NeedCategory.HOUSING, "lipetsk") == (Agency.HOUSING,)
    with pytest.raises(LookupError, match="health"):
        router.agencies_for(NeedCategory.HEALTH, "lipetsk")


def test_unknown_agency_in_the_table_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "routing.yaml"
    table.write_text("default: {housing: [no_such_agency]}\n")
    with pytest.raises(ValidationError):
        load_router(table)
