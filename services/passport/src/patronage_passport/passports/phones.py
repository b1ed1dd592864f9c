"""Russian phone numbers, normalized to +7 E.164."""

import phonenumbers


def normalize_phone(raw: str) -> str:
    """Return ``+7XXXXXXXXXX`` or raise ``ValueError`` with a message in Russian."""
    try:
        parsed = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("телефон не распознан") from exc
    if parsed.country_code != 7 or not phonenumbers.is_valid_number(parsed):
        raise ValueError("нужен действительный российский номер, например +7 900 123-45-67")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
