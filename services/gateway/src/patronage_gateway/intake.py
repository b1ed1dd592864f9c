"""Turning the forms' input into calls of the services: families and help requests."""

from datetime import date
from typing import Any
from uuid import UUID

from patronage_common.identity import Role
from patronage_common.runtime import ServiceRuntime
from patronage_contracts import NeedCategory

from . import guarded
from .audit.models import Action
from .clients import ServiceError, Services
from .web.deps import User
from .web.forms import FORM, field_errors, plain_field


def passport_payload(values: dict[str, str], curator_id: str) -> dict[str, Any]:
    """The passport service's payload from the new-family form."""
    payload: dict[str, Any] = {
        "categories": [values.get("category") or "svo_family"],
        "members": [
            {
                "relation": "applicant",
                "full_name": values.get("applicant_full_name", ""),
                "birth_date": values.get("applicant_birth_date") or None,
            }
        ],
        "contacts": {"phones": [values.get("phone", "")]},
        "address": {
            "district": values.get("district", ""),
            "hq": values.get("hq", ""),
            "locality": values.get("locality", ""),
        },
        "consent": {
            "scope": ["personal_data", "contact", "share_with_agencies"],
            "given_on": date.today().isoformat(),
            "recorded_by": curator_id,
        },
        "curator_id": curator_id,
    }
    if values.get("serviceman_full_name") or values.get("category") == "svo_family":
        payload["serviceman"] = {
            "full_name": values.get("serviceman_full_name", ""),
            "birth_date": values.get("serviceman_birth_date") or None,
            "service_kind": values.get("service_kind") or "mobilized",
        }
    return payload


def contacts_payload(values: dict[str, str]) -> dict[str, Any]:
    """The contacts section from the edit form."""
    phones = [p.strip() for p in values.get("phones", "").replace(";", ",").split(",") if p.strip()]
    payload: dict[str, Any] = {"phones": phones, "preferred_channel": "phone"}
    if values.get("telegram"):
        payload["telegram"] = values["telegram"]
    if values.get("email"):
        payload["email"] = values["email"]
    return payload


class RequestFormError(Exception):
    """The request form has errors (by field)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


async def create_help_request(
    runtime: ServiceRuntime,
    services: Services,
    user: User,
    family_id: UUID,
    values: dict[str, str],
) -> dict[str, Any]:
    """Validate, create through the requests service, audit."""
    errors: dict[str, str] = {}
    if values.get("category") not in {c.value for c in NeedCategory}:
        errors["category"] = "Выберите направление"
    if len(values.get("description", "")) < 3:
        errors["description"] = "Опишите суть обращения (не короче 3 символов)"
    if errors:
        raise RequestFormError(errors)
    payload = {
        "family_id": str(family_id),
        "category": values["category"],
        "description": values["description"],
        "urgency": "urgent" if values.get("urgency") == "urgent" else "normal",
        "channel": "dispatcher" if user.role is Role.DISPATCHER else "curator",
    }
    try:
        created = await services.create_request(user.identity, payload)
    except ServiceError as exc:
        if exc.status_code != 422:
            raise
        if isinstance(exc.detail, list):
            raise RequestFormError(field_errors(exc.detail, plain_field)) from exc
        raise RequestFormError(
            {
                FORM: "Сервис заявок ещё не получил сведения о семье: повторите через несколько "
                f"секунд ({exc.detail})"
            }
        ) from exc
    request_id = str(created["request_id"])
    await guarded.record_write(
        db=runtime.db,
        identity=user.identity,
        subject_kind="request",
        subject_id=request_id,
        what="заявка создана",
        action=Action.CREATE,
    )
    return created
