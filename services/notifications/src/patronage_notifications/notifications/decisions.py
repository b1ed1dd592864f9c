"""From an event and its rules to concrete notifications: who, where, when (no I/O)."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from patronage_contracts import NotificationChannel, RecipientRole

from ..contacts.service import Contact
from ..delivery.channels import Button
from .quiet_hours import quiet_until
from .rules import STAFF_CHANNEL, Rule, family_channel

REGION_RECIPIENT = "region"
ACTION_BUTTONS = {
    "answer_question": ("Ответить", "answer"),
    "rate_request": ("Оценить помощь", "rate"),
}


@dataclass(frozen=True)
class QuietHours:
    """The region's night: families hear only urgent news then."""

    zone: ZoneInfo
    start: time
    end: time


@dataclass(frozen=True)
class Decision:
    """One notification to record and send."""

    rule: Rule
    recipient_role: RecipientRole
    recipient_id: str
    channel: NotificationChannel
    address: str
    urgent: bool
    send_at: datetime | None
    buttons: tuple[Button, ...] = ()


def recipient_id(
    role: RecipientRole, data: Mapping[str, Any], contact: Contact | None
) -> str | None:
    """Who of a role the event concerns (event fields first, then the family's snapshot)."""
    if role is RecipientRole.FAMILY:
        return str(data["family_id"])
    if role is RecipientRole.CURATOR:
        return data.get("curator_id") or (contact.curator_id if contact else None)
    if role is RecipientRole.DISTRICT_HEAD:
        return data.get("district") or (contact.district if contact else None)
    if role is RecipientRole.HQ_COORDINATOR:
        return data.get("hq") or (contact.hq if contact else None)
    return REGION_RECIPIENT


def buttons_for(rule: Rule, data: Mapping[str, Any]) -> tuple[Button, ...]:
    """Inline buttons a rule asks for, bound to the event's request."""
    request_id = data.get("request_id")
    if not request_id:
        return ()
    return tuple(
        Button(text=ACTION_BUTTONS[a][0], data=f"{ACTION_BUTTONS[a][1]}:{request_id}")
        for a in rule.actions
    )


def decide(
    *,
    rules: Sequence[Rule],
    data: Mapping[str, Any],
    contact: Contact | None,
    available: Iterable[NotificationChannel],
    now: datetime,
    quiet: QuietHours,
) -> list[Decision]:
    """Every notification the rules call for; a recipient nobody can reach is skipped."""
    available = frozenset(available)
    decisions: dict[tuple[RecipientRole, str, NotificationChannel], Decision] = {}
    for rule in rules:
        urgent = rule.is_urgent(data)
        for role in rule.recipients:
            who = recipient_id(role, data, contact)
            if not who:
                continue
            if role is RecipientRole.FAMILY:
                if contact is None or not contact.consent_to_contact:
                    continue
                channel = family_channel(
                    addresses=contact.addresses,
                    preferred=contact.preferred_channel,
                    unreachable=contact.unreachable,
                    available=available,
                    allowed=rule.channels,
                )
                if channel is None:
                    continue
                address = contact.address(channel) or ""
                send_at = quiet_until(
                    now, zone=quiet.zone, start=quiet.start, end=quiet.end, urgent=urgent
                )
            else:
                channel = rule.channels[0] if rule.channels else STAFF_CHANNEL
                if channel not in available:
                    continue
                address, send_at = who, None
            key = (role, who, channel)
            if key in decisions:  # two rules for one recipient: the first one speaks
                continue
            decisions[key] = Decision(
                rule=rule,
                recipient_role=role,
                recipient_id=who,
                channel=channel,
                address=address,
                urgent=urgent,
                send_at=send_at,
                buttons=buttons_for(rule, data) if channel is NotificationChannel.TELEGRAM else (),
            )
    return list(decisions.values())
