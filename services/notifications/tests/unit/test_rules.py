from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from patronage_contracts import NotificationChannel, RecipientRole
from patronage_notifications.contacts.service import Contact
from patronage_notifications.notifications.decisions import QuietHours, decide
from patronage_notifications.notifications.rules import (
    RulesError,
    family_channel,
    load_rulebook,
    parse_rulebook,
)
from patronage_notifications.notifications.templates import Templates

pytestmark = pytest.mark.unit

RULES = load_rulebook()
MOSCOW = ZoneInfo("Europe/Moscow")
QUIET = QuietHours(MOSCOW, time(22, 0), time(8, 0))
NOON = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ALL = set(NotificationChannel)


def status_event(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "family_id": str(uuid4()),
        "request_id": str(uuid4()),
        "status": status,
        "category": "housing",
        "curator_id": "curator-7",
        **extra,
    }


def family(**fields: Any) -> Contact:
    return Contact(family_id="f", curator_id="curator-from-passport", **fields)


def decided(event_type: str, data: dict[str, Any], contact: Contact | None, now: datetime = NOON):
    return decide(
        rules=RULES.matching(event_type, data),
        data=data,
        contact=contact,
        available=ALL,
        now=now,
        quiet=QUIET,
    )


def test_needs_info_goes_to_family_and_curator_with_an_answer_button() -> None:
    data = status_event("needs_info", reason="Нужна справка")
    decisions = decided("RequestStatusChanged", data, family(telegram_chat_id="77"))
    by_role = {d.recipient_role: d for d in decisions}
    assert set(by_role) == {RecipientRole.FAMILY, RecipientRole.CURATOR}
    assert by_role[RecipientRole.FAMILY].channel is NotificationChannel.TELEGRAM
    assert by_role[RecipientRole.FAMILY].rule.template == "family_needs_info"
    assert by_role[RecipientRole.FAMILY].buttons[0].data == f"answer:{data['request_id']}"
    assert by_role[RecipientRole.CURATOR].rule.template == "curator_needs_info"
    assert by_role[RecipientRole.CURATOR].channel is NotificationChannel.IN_APP


def test_new_request_from_the_curator_does_not_notify_the_curator() -> None:
    base = {"family_id": "f", "request_id": "r", "category": "health", "urgency": "urgent"}
    assert decided("RequestCreated", {**base, "channel": "curator"}, family()) == []
    (d,) = decided("RequestCreated", {**base, "channel": "chatbot"}, family())
    assert d.recipient_id == "curator-from-passport"
    assert d.urgent is True


def test_family_without_consent_or_address_is_skipped_curator_still_told() -> None:
    data = status_event("accepted")
    no_consent = family(phone="+79000000000", consent_to_contact=False)
    assert [d.recipient_role for d in decided("RequestStatusChanged", data, no_consent)] == [
        RecipientRole.CURATOR
    ]
    assert [d.recipient_role for d in decided("RequestStatusChanged", data, family())] == [
        RecipientRole.CURATOR
    ]


def test_quiet_hours_defer_family_until_eight_local_time_but_not_urgent() -> None:
    night = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)  # 23:30 in Moscow
    contact = family(email="a@b.ru", preferred_channel="email")
    (fam,) = [
        d
        for d in decided("RequestStatusChanged", status_event("routed"), contact, night)
        if d.recipient_role is RecipientRole.FAMILY
    ]
    assert fam.send_at == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 08:00 MSK
    early = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 05:00 MSK: same morning
    (fam,) = [
        d
        for d in decided("RequestStatusChanged", status_event("routed"), contact, early)
        if d.recipient_role is RecipientRole.FAMILY
    ]
    assert fam.send_at == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    (alert,) = decided("ContactUnreachable", {"family_id": "f", "channel": "sms"}, contact, night)
    assert alert.urgent is True
    assert alert.send_at is None


def test_preferred_channel_unless_unreachable_then_next_usable() -> None:
    addresses = {
        NotificationChannel.TELEGRAM: "1",
        NotificationChannel.SMS: "+7900",
        NotificationChannel.EMAIL: None,
    }
    pick = lambda preferred, unreachable=(), available=ALL: family_channel(  # noqa: E731
        addresses=addresses, preferred=preferred, unreachable=unreachable, available=available
    )
    assert pick("sms") is NotificationChannel.SMS
    assert pick("phone") is NotificationChannel.SMS
    assert pick("email") is NotificationChannel.TELEGRAM  # no address: the next one
    assert pick("telegram", ["telegram"]) is NotificationChannel.SMS
    assert pick("telegram", available={NotificationChannel.EMAIL}) is None


def test_rules_reject_unknown_event_types_and_keys() -> None:
    with pytest.raises(RulesError, match="awaiting_contracts"):
        parse_rulebook("rules:\n  NoSuchEvent:\n    - {recipients: [curator], template: x}\n")
    with pytest.raises(RulesError, match="unknown keys"):
        parse_rulebook(
            "rules:\n  RequestCreated:\n    - {recipients: [curator], template: x, to: y}\n"
        )
    with pytest.raises(RulesError, match="district_boss"):
        parse_rulebook(
            "rules:\n  RequestCreated:\n    - {recipients: [district_boss], template: x}\n"
        )


def test_every_rule_has_a_template_and_the_requests_events_are_wired() -> None:
    templates = Templates()
    assert {t for t in RULES.templates if not templates.exists(t)} == set()
    assert {
        "SlaWarning",
        "SlaBreached",
        "RequestEscalated",
        "CuratorAttentionRequested",
        "CuratorTaskCreated",
        "AppointmentReminderDue",
    } <= set(RULES.rules)


def test_region_directory_overrides_one_template(tmp_path: Path) -> None:
    (tmp_path / "curator_needs_info.j2").write_text(
        "{% block subject %}Липецк: вопрос{% endblock %}{% block body %}Вопрос: {{ event.reason }}"
        "{% endblock %}",
        encoding="utf-8",
    )
    templates = Templates(tmp_path)
    context = {"event": {"reason": "Справка"}, "request_ref": "№ 1", "category": "жильё"}
    assert templates.render("curator_needs_info", context).body == "Вопрос: Справка"
    assert "Ведомство запросило" in Templates().render("curator_needs_info", context).subject
    assert templates.exists("family_request_status")  # the others stay packaged
