"""The notification rules: data (rules.yaml) and the pure functions that apply them."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from patronage_contracts import NotificationChannel, RecipientRole, message_type

URGENCIES = ("normal", "urgent", "from_event")
ACTIONS = ("answer_question", "rate_request")
STAFF_CHANNEL = NotificationChannel.IN_APP


class RulesError(ValueError):
    """The rules file is not valid; the message names the entry."""


@dataclass(frozen=True)
class Rule:
    """One line of the rules: for an event, who is told with which template."""

    event_type: str
    recipients: tuple[RecipientRole, ...]
    template: str
    urgency: str = "normal"
    when: Mapping[str, frozenset[str]] = field(default_factory=dict)
    unless: Mapping[str, frozenset[str]] = field(default_factory=dict)
    channels: tuple[NotificationChannel, ...] = ()
    actions: tuple[str, ...] = ()

    def applies_to(self, data: Mapping[str, Any]) -> bool:
        """Whether the event's fields meet ``when`` and avoid ``unless``."""
        for name, allowed in self.when.items():
            if _as_text(data.get(name)) not in allowed:
                return False
        return all(_as_text(data.get(name)) not in refused for name, refused in self.unless.items())

    def is_urgent(self, data: Mapping[str, Any]) -> bool:
        """Urgent notifications ignore quiet hours."""
        if self.urgency == "from_event":
            return _as_text(data.get("urgency")) == "urgent"
        return self.urgency == "urgent"


@dataclass(frozen=True)
class Rulebook:
    """Every rule by event type; rules awaiting their contract are kept apart."""

    rules: Mapping[str, tuple[Rule, ...]]
    awaiting_contracts: Mapping[str, tuple[Rule, ...]]

    def matching(self, event_type: str, data: Mapping[str, Any]) -> list[Rule]:
        """The rules that apply to one event."""
        return [rule for rule in self.rules.get(event_type, ()) if rule.applies_to(data)]

    @property
    def templates(self) -> set[str]:
        """Every template a rule names (also of rules awaiting contracts)."""
        everything = [*self.rules.values(), *self.awaiting_contracts.values()]
        return {rule.template for rules in everything for rule in rules}


def _as_text(value: Any) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def _values(entry: Mapping[str, Any], key: str, where: str) -> dict[str, frozenset[str]]:
    raw = entry.get(key) or {}
    if not isinstance(raw, Mapping):
        raise RulesError(f"{where}: '{key}' must map field names to lists of values")
    return {
        str(name): frozenset(_as_text(v) for v in (vals if isinstance(vals, list) else [vals]))
        for name, vals in raw.items()
    }


def _rule(event_type: str, entry: Any, where: str) -> Rule:
    if not isinstance(entry, Mapping):
        raise RulesError(f"{where}: a rule must be a mapping")
    unknown = set(entry) - {
        "when",
        "unless",
        "recipients",
        "template",
        "urgency",
        "channels",
        "actions",
    }
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
    try:
        recipients = tuple(RecipientRole(r) for r in entry.get("recipients") or [])
        channels = tuple(NotificationChannel(c) for c in entry.get("channels") or [])
    except ValueError as exc:
        raise RulesError(f"{where}: {exc}") from exc
    if not recipients:
        raise RulesError(f"{where}: 'recipients' must name at least one role")
    template = entry.get("template")
    if not isinstance(template, str) or not template:
        raise RulesError(f"{where}: 'template' is required")
    urgency = str(entry.get("urgency", "normal"))
    if urgency not in URGENCIES:
        raise RulesError(f"{where}: urgency must be one of {URGENCIES}")
    actions = tuple(str(a) for a in entry.get("actions") or [])
    if set(actions) - set(ACTIONS):
        raise RulesError(f"{where}: actions must be among {ACTIONS}")
    return Rule(
        event_type=event_type,
        recipients=recipients,
        template=template,
        urgency=urgency,
        when=_values(entry, "when", where),
        unless=_values(entry, "unless", where),
        channels=channels,
        actions=actions,
    )


def _section(raw: Any, name: str, *, known_types: bool) -> dict[str, tuple[Rule, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise RulesError(f"'{name}' must map event types to lists of rules")
    section: dict[str, tuple[Rule, ...]] = {}
    for event_type, entries in raw.items():
        if known_types:
            try:
                message_type(str(event_type))
            except LookupError as exc:
                raise RulesError(
                    f"{name}.{event_type}: no such event in libs/contracts "
                    "(put it under awaiting_contracts until it exists)"
                ) from exc
        if not isinstance(entries, list) or not entries:
            raise RulesError(f"{name}.{event_type}: a non-empty list of rules is required")
        section[str(event_type)] = tuple(
            _rule(str(event_type), e, f"{name}.{event_type}[{i}]") for i, e in enumerate(entries)
        )
    return section


def parse_rulebook(text: str) -> Rulebook:
    """Rules from YAML text; raises ``RulesError`` naming the faulty entry."""
    raw = yaml.safe_load(text) or {}
    if not isinstance(raw, Mapping):
        raise RulesError("the rules file must be a mapping with 'rules'")
    return Rulebook(
        rules=_section(raw.get("rules"), "rules", known_types=True),
        awaiting_contracts=_section(
            raw.get("awaiting_contracts"), "awaiting_contracts", known_types=False
        ),
    )


def load_rulebook(path: Path | None = None) -> Rulebook:
    """The rules from ``path``, or the packaged rules.yaml."""
    if path is not None:
        return parse_rulebook(path.read_text(encoding="utf-8"))
    return parse_rulebook(files(__package__).joinpath("rules.yaml").read_text(encoding="utf-8"))


FAMILY_CHANNEL_ORDER = (
    NotificationChannel.TELEGRAM,
    NotificationChannel.SMS,
    NotificationChannel.EMAIL,
)
PREFERENCE_CHANNEL = {
    "telegram": NotificationChannel.TELEGRAM,
    "sms": NotificationChannel.SMS,
    "phone": NotificationChannel.SMS,  # calls are a curator's job; text the phone instead
    "email": NotificationChannel.EMAIL,
}


def family_channel(
    *,
    addresses: Mapping[NotificationChannel, str | None],
    preferred: str | None,
    unreachable: Iterable[str],
    available: Iterable[NotificationChannel],
    allowed: Iterable[NotificationChannel] = (),
) -> NotificationChannel | None:
    """The family's preferred channel if it can be used, else the first that can."""
    usable = set(available) - {NotificationChannel(u) for u in unreachable}
    if allowed := tuple(allowed):
        usable &= set(allowed)
    first = PREFERENCE_CHANNEL.get(preferred or "")
    order = ((first,) if first else ()) + FAMILY_CHANNEL_ORDER
    for channel in order:
        if channel in usable and addresses.get(channel):
            return channel
    return None
