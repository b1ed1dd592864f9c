"""Russian notification texts: Jinja2 templates a region may override file by file."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from patronage_contracts import NotificationChannel
from patronage_contracts.labels import AGENCY_RU, NEED_CATEGORY_RU, REQUEST_STATUS_RU

CHANNEL_RU = {
    NotificationChannel.TELEGRAM: "Telegram",
    NotificationChannel.EMAIL: "электронную почту",
    NotificationChannel.SMS: "SMS",
    NotificationChannel.IN_APP: "приложение",
}
INTAKE_RU = {
    "chatbot": "пришла из чат-бота",
    "dispatcher": "принята диспетчером линии 129",
    "curator": "создана куратором",
    "portal": "пришла с портала",
    "proactive_rule": "создана проактивным правилом",
}
CONSENT_SCOPE_RU = {
    "personal_data": "обработка персональных данных",
    "health_data": "сведения о здоровье",
    "share_with_agencies": "передача данных в ведомства",
    "contact": "связь с семьёй",
}


@dataclass(frozen=True)
class Rendered:
    """A notification's subject line and body."""

    subject: str
    body: str


class TemplateMissingError(LookupError):
    """A rule names a template that exists nowhere."""


class Templates:
    """Renders ``<name>.j2`` (blocks ``subject`` and ``body``); region files win."""

    def __init__(self, region_dir: Path | None = None, zone: str = "Europe/Moscow") -> None:
        loaders: list[Any] = []
        if region_dir is not None:
            loaders.append(FileSystemLoader(str(region_dir)))
        loaders.append(PackageLoader("patronage_notifications.notifications", "templates"))
        self._env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=False,  # plain text for messengers, SMS and text/plain mail  # noqa: S701
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            auto_reload=False,
        )

        region_zone = ZoneInfo(zone)
        self._env.filters["local_time"] = lambda value: local_time(value, region_zone)
        # Listed once: the region's and the packaged files do not change while running.
        self._names = frozenset(self._env.list_templates())

    def exists(self, name: str) -> bool:
        """Whether a template of that name can be loaded."""
        return f"{name}.j2" in self._names

    def render(self, name: str, context: Mapping[str, Any], *, urgent: bool = False) -> Rendered:
        """Subject and body of template ``name`` for ``context`` (one event's, shared by all
        its notifications) and a notification's urgency."""
        if not self.exists(name):
            raise TemplateMissingError(f"template {name}.j2 not found")
        template = self._env.get_template(f"{name}.j2")
        ctx = template.new_context({**context, "urgent": urgent})
        subject = "".join(template.blocks["subject"](ctx)).strip()
        body = "".join(template.blocks["body"](ctx)).strip()
        return Rendered(subject=subject, body=body)


def local_time(value: Any, zone: ZoneInfo) -> str:
    """An event's instant as people of the region read it: ``25.11.2026 в 14:30``."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(zone).strftime("%d.%m.%Y в %H:%M")


def _label(labels: Mapping[Any, str], value: Any) -> str:
    """Russian name of an enumeration value (StrEnum keys compare equal to their text)."""
    if value is None:
        return ""
    return labels.get(str(value), str(value))


def template_context(data: Mapping[str, Any]) -> dict[str, Any]:
    """What every template may use: the event's fields and their Russian names (built once
    per event; ``urgent`` is the notification's, given to ``Templates.render``)."""
    request_id = data.get("request_id")
    return {
        "event": _Fields(data),
        "request_ref": f"№ {str(request_id)[:8]}" if request_id else "",
        "category": _label(NEED_CATEGORY_RU, data.get("category")),
        "status": _label(REQUEST_STATUS_RU, data.get("status")),
        "agency": _label(AGENCY_RU, data.get("agency")),
        "intake": INTAKE_RU.get(str(data.get("channel")), ""),
        "channel_name": _label(CHANNEL_RU, data.get("channel")),
        "scope": ", ".join(CONSENT_SCOPE_RU.get(s, s) for s in data.get("scope") or []),
    }


class _Fields(dict[str, Any]):
    """Event fields for templates: a missing field reads as empty, not as an error."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)
