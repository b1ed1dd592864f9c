"""Read every figure a dashboard shows from the reporting service, at once."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from patronage_common.identity import Identity

from ..clients import ServiceError, Services
from .filters import FIELDS, DashboardQuery

OVERDUE_SHOWN = 50

# Section → the reporting service's path.
SECTIONS = {
    "requests": "requests",
    "daily": "requests/daily",
    "overdue": "overdue",
    "families": "families",
    "workload": "workload",
    "appointments": "appointments",
}


@dataclass
class Dashboard:
    """The figures of each section that could be read, refusals by field, and the status
    of the page when nothing could be read (422 for a wrong query, else the refusal's)."""

    sections: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    status_code: int = 200


def errors_of(error: ServiceError) -> dict[str, str]:
    """The reporting service's refusal as Russian messages by form field (``_form`` else)."""
    if isinstance(error.detail, list):
        details = error.detail
    else:
        details = [{"msg": error.detail}] if error.detail else []
    errors: dict[str, str] = {}
    for detail in details:
        if not isinstance(detail, dict):
            errors.setdefault("_form", str(detail))
            continue
        loc = detail.get("loc") or []
        name = str(loc[-1]) if loc else ""
        errors.setdefault(name if name in FIELDS else "_form", str(detail.get("msg", "")))
    return errors or {"_form": f"отчёт недоступен ({error.status_code})"}


async def load(services: Services, identity: Identity, query: DashboardQuery) -> Dashboard:
    """Every section of the dashboard; nothing is asked for while the query has errors."""
    if query.errors:
        return Dashboard(errors=dict(query.errors), status_code=422)
    params = {name: dict(query.params) for name in SECTIONS}
    params["overdue"]["limit"] = str(OVERDUE_SHOWN)
    answers = await asyncio.gather(
        *(services.report(identity, path, params[name]) for name, path in SECTIONS.items()),
        return_exceptions=True,
    )
    dashboard = Dashboard()
    for name, answer in zip(SECTIONS, answers, strict=True):
        if isinstance(answer, ServiceError):
            for key, message in errors_of(answer).items():
                dashboard.errors.setdefault(key, message)
            dashboard.status_code = max(dashboard.status_code, answer.status_code)
        elif isinstance(answer, BaseException):
            raise answer
        else:
            dashboard.sections[name] = answer
    if dashboard.sections:
        dashboard.status_code = 200  # what could be read is shown, with the refusals
    return dashboard
