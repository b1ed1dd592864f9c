"""Service errors land next to the right form field, in Russian."""

import pytest
from patronage_gateway.web.forms import FORM, field_errors, passport_field, plain_field

pytestmark = pytest.mark.unit


def test_passport_errors_map_to_the_new_family_form() -> None:
    detail = [
        {"loc": ["body", "members", 0, "full_name"], "msg": "x", "type": "string_pattern_mismatch"},
        {
            "loc": ["body", "contacts", "phones", 0],
            "msg": "Value error, неверный номер",
            "type": "value_error",
        },
        {"loc": ["body", "address", "district"], "msg": "x", "type": "missing"},
        {
            "loc": ["body", "serviceman"],
            "msg": "нужны сведения о военнослужащем",
            "type": "value_error",
        },
        {"loc": ["body", "somewhere"], "msg": "прочее", "type": "value_error"},
    ]
    assert field_errors(detail, passport_field) == {
        "applicant_full_name": "недопустимые символы",
        "phone": "неверный номер",
        "district": "обязательное поле",
        "serviceman_full_name": "нужны сведения о военнослужащем",
        FORM: "прочее",
    }


def test_a_plain_detail_is_a_form_error() -> None:
    assert field_errors("семья не найдена", plain_field) == {FORM: "семья не найдена"}
