"""What a dashboard is asked for: the period, place, agency and category, checked.

Pure: the query string in, the reporting service's parameters and Russian field errors out.
A district head's district and an HQ coordinator's HQ are shown in the form (read-only);
the reporting service narrows every figure to the viewer's scope and refuses a query
outside it, which comes back as that field's error.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from patronage_common.identity import Identity, Role
from patronage_contracts import Agency, NeedCategory

FIELDS = ("from", "to", "district", "hq", "agency", "category")
MAX_TEXT = 100


@dataclass(frozen=True)
class DashboardQuery:
    """The form's values as typed (shown back), the parameters for the reporting service,
    and what is wrong with the values, by field."""

    values: dict[str, str]
    params: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def query_string(self) -> str:
        """The parameters as a URL query (for export links and the live refresh)."""
        return urlencode(self.params)


def chooses_place(identity: Identity) -> bool:
    """Only the region-wide viewer picks a district or an HQ."""
    return identity.role is Role.REGIONAL_ADMIN


def _date(value: str, errors: dict[str, str], name: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "Дата в формате ГГГГ-ММ-ДД, например 2026-11-01"
        return None


def read_query(query: Mapping[str, str], identity: Identity) -> DashboardQuery:
    """Check the dashboard's query; keep what was typed even when it is wrong."""
    values = {name: (query.get(name) or "").strip() for name in FIELDS}
    if identity.role is Role.DISTRICT_HEAD and not values["district"]:
        values["district"] = identity.district or ""
    if identity.role is Role.HQ_COORDINATOR and not values["hq"]:
        values["hq"] = identity.hq or ""
    errors: dict[str, str] = {}
    params: dict[str, str] = {}
    dates = {name: _date(values[name], errors, name) for name in ("from", "to") if values[name]}
    first, last = dates.get("from"), dates.get("to")
    if first and last and last < first:
        errors["to"] = "Конец периода раньше его начала"
    for name in ("from", "to"):
        if dates.get(name):
            params[name] = values[name]
    for name, caption in (("district", "района"), ("hq", "штаба")):
        if len(values[name]) > MAX_TEXT:
            errors[name] = f"Слишком длинное название {caption}"
        elif values[name]:
            params[name] = values[name]
    if params.get("district") and params.get("hq"):
        errors["hq"] = "Выберите район или штаб, не оба сразу"
    if values["agency"]:
        if values["agency"] in {a.value for a in Agency}:
            params["agency"] = values["agency"]
        else:
            errors["agency"] = "Неизвестное ведомство"
    if values["category"]:
        if values["category"] in {c.value for c in NeedCategory}:
            params["category"] = values["category"]
        else:
            errors["category"] = "Неизвестное направление помощи"
    return DashboardQuery(values=values, params=params, errors=errors)
