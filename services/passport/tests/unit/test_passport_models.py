import pytest
from patronage_passport.passports.models import PassportCreate
from patronage_passport.passports.phones import normalize_phone
from pydantic import ValidationError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "raw", ["8 (900) 123-45-67", "+7 900 123 45 67", "89001234567", "9001234567"]
)
def test_phone_is_normalized_to_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+79001234567"


@pytest.mark.parametrize("raw", ["123", "+1 202 555 0143", "телефон"])
def test_bad_phone_is_refused_in_russian(raw: str) -> None:
    with pytest.raises(ValueError, match=r"номер|телефон"):
        normalize_phone(raw)


def test_passport_without_consent_is_refused_with_a_field_error() -> None:
    with pytest.raises(ValidationError) as info:
        PassportCreate(
            applicant_full_name="Иванова Мария Петровна",
            phone="+79001234567",
            district="lipetsk",
            hq="hq",
            categories=["svo_family"],  # type: ignore[list-item]
            consent_given=False,
        )
    (error,) = info.value.errors()
    assert error["loc"] == ("consent_given",)
    assert "согласия" in error["msg"]
