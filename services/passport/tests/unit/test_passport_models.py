from datetime import date

import pytest
from patronage_passport.passports.enums import ConsentScope
from patronage_passport.passports.models import Consent
from patronage_passport.passports.phones import normalize_phone
from patronage_passport.passports.snils import normalize_snils, snils_checksum
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


def test_consent_must_cover_personal_data_with_a_field_error() -> None:
    with pytest.raises(ValidationError) as info:
        Consent(scope=[ConsentScope.CONTACT], given_on=date(2026, 1, 1))
    (error,) = info.value.errors()
    assert error["loc"] == ("scope",)
    assert "согласия" in error["msg"]


@pytest.mark.parametrize("raw", ["112-233-445 95", "11223344595", "001-001-998 00"])
def test_valid_snils_is_normalized(raw: str) -> None:
    assert normalize_snils(raw)[3] == "-"


@pytest.mark.parametrize(("raw", "text"), [("112-233-445 96", "контрольное"), ("123", "11 цифр")])
def test_bad_snils_is_refused(raw: str, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        normalize_snils(raw)


def test_snils_checksum_known_value() -> None:
    assert snils_checksum("112233445") == 95
