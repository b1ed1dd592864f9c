"""The dispatcher's call form: what was typed in, checked, as the requests service's call.

Pure: the form's fields in, the ``POST /calls`` body and Russian field errors out. A call
ends in a consultation, a help request or an appointment; the last two need the family.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from patronage_contracts import NeedCategory, Urgency

OUTCOMES = ("consultation", "request_created", "appointment_booked")
SLOT_SEPARATOR = "|"


@dataclass(frozen=True)
class CallForm:
    """The call's body for the requests service, or what is wrong, by form field."""

    payload: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def slot_value(specialist_id: str, starts_at: str) -> str:
    """The value of a free slot in the form's list."""
    return f"{specialist_id}{SLOT_SEPARATOR}{starts_at}"


def read_call_form(form: Mapping[str, str]) -> CallForm:
    """Check the call form; the family is required for a request or an appointment."""
    value = {k: (v or "").strip() for k, v in form.items()}
    errors: dict[str, str] = {}
    subject = value.get("subject", "")
    if len(subject) < 3:
        errors["subject"] = "Укажите тему звонка (не короче 3 символов)"
    outcome = value.get("outcome", "")
    if outcome not in OUTCOMES:
        errors["outcome"] = "Выберите, чем закончился звонок"
    category = value.get("category", "")
    if category and category not in {c.value for c in NeedCategory}:
        errors["category"] = "Неизвестное направление помощи"
    family_id = value.get("family_id", "")
    payload: dict[str, Any] = {
        "subject": subject,
        "outcome": outcome,
        "caller_phone": value.get("caller_phone") or None,
        "caller_name": value.get("caller_name") or None,
        "notes": value.get("notes") or None,
        "category": category or None,
        "family_id": family_id or None,
    }
    if outcome in ("request_created", "appointment_booked") and not family_id:
        errors["family_id"] = "Сначала найдите и выберите семью звонящего"
    if outcome == "request_created":
        if not category:
            errors["category"] = "Выберите направление заявки"
        description = value.get("description", "")
        if len(description) < 3:
            errors["description"] = "Опишите, что нужно семье (не короче 3 символов)"
        urgency = value.get("urgency") or Urgency.NORMAL.value
        if urgency not in {u.value for u in Urgency}:
            errors["urgency"] = "Неизвестная срочность"
        payload["request"] = {
            "category": category,
            "description": description,
            "urgency": urgency,
        }
    if outcome == "appointment_booked":
        specialist_id, _, starts_at = value.get("slot", "").partition(SLOT_SEPARATOR)
        if not specialist_id or not starts_at:
            errors["slot"] = "Выберите свободное время приёма"
        payload["appointment"] = {
            "specialist_id": specialist_id,
            "starts_at": starts_at,
            "note": value.get("appointment_note") or None,
        }
    return CallForm(payload=payload, errors=errors)


FORM_FIELDS = frozenset(
    {"subject", "outcome", "category", "family_id", "description", "urgency", "slot"}
    | {"caller_phone", "caller_name", "notes", "appointment_note"}
)
FIELD_OF_NAME = {"specialist_id": "slot", "starts_at": "slot", "note": "appointment_note"}


def errors_of_refusal(detail: Any) -> dict[str, str]:
    """The requests service's refusal of a call, as form field errors (``_form`` else)."""
    if not isinstance(detail, list):
        return {"_form": str(detail or "звонок не зарегистрирован")}
    errors: dict[str, str] = {}
    for item in detail:
        if not isinstance(item, dict):
            continue
        loc = [str(p) for p in item.get("loc", [])]
        name = FIELD_OF_NAME.get(loc[-1], loc[-1]) if loc else "_form"
        errors.setdefault(name if name in FORM_FIELDS else "_form", str(item.get("msg", "")))
    return errors or {"_form": "звонок не зарегистрирован"}
