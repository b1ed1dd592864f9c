"""Form helpers: field errors from a service's 422 answer, in Russian, next to the field."""

from collections.abc import Callable, Mapping
from typing import Any

FORM = "_form"

PYDANTIC_RU = {
    "missing": "обязательное поле",
    "string_too_short": "слишком коротко",
    "string_too_long": "слишком длинно",
    "string_pattern_mismatch": "недопустимые символы",
    "date_from_datetime_parsing": "неверная дата",
    "date_parsing": "неверная дата",
    "date_from_datetime_inexact": "неверная дата",
    "enum": "выберите значение из списка",
    "value_error": "",
    "too_short": "заполните поле",
}


def message_ru(entry: Mapping[str, Any]) -> str:
    """A person-readable Russian message for one error entry."""
    msg = str(entry.get("msg", ""))
    translated = PYDANTIC_RU.get(str(entry.get("type", "")), "")
    if translated:
        return translated
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg or "неверное значение"


def field_errors(detail: Any, field_of: Callable[[list[Any]], str]) -> dict[str, str]:
    """Map a 422 ``detail`` (a list of entries with ``loc``) onto form field names."""
    errors: dict[str, str] = {}
    if not isinstance(detail, list):
        return {FORM: str(detail)}
    for entry in detail:
        loc = [p for p in entry.get("loc", []) if p != "body"]
        errors.setdefault(field_of(loc), message_ru(entry))
    return errors


def passport_field(loc: list[Any]) -> str:
    """Which field of the new-family form a passport error points at."""
    head = loc[0] if loc else ""
    rest = loc[1:]
    if head == "members":
        return "applicant_birth_date" if "birth_date" in rest else "applicant_full_name"
    if head == "serviceman":
        return "serviceman_birth_date" if "birth_date" in rest else "serviceman_full_name"
    if head == "contacts":
        return "phone"
    if head == "address" and rest:
        return str(rest[0])
    if head == "consent":
        return "consent"
    if head == "categories":
        return "category"
    return FORM


def plain_field(loc: list[Any]) -> str:
    """The first element of the location is the field (flat forms)."""
    return str(loc[0]) if loc else FORM
