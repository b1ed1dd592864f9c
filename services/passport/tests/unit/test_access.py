"""Scoping rules of the passport service for each role."""

import pytest
from patronage_common.access import BREAK_GLASS_REQUIRED
from patronage_common.identity import Identity, Role
from patronage_contracts import Agency
from patronage_passport.passports.access import (
    may_change,
    may_read,
    may_register,
    scoped_search,
    view_for,
)

FAMILY = {
    "curator_id": "cur-1",
    "address": {"district": "elets", "hq": "hq-elets"},
    "serviceman": {"full_name": "Петров Иван Иванович"},
    "contacts": {"phones": ["+74742223344"]},
    "members": [
        {
            "member_id": "m1",
            "relation": "applicant",
            "full_name": "Петрова Анна",
            "birth_date": "1990-01-01",
            "snils": "123",
            "disability": {"group": "2"},
        }
    ],
    "needs": [{"category": "health"}, {"category": "housing"}],
    "plan_items": [{"agency": "housing"}],
    "measures": [{"measure_code": "x"}],
}


def who(role: Role, **scope: str) -> Identity:
    return Identity(subject=scope.pop("subject", "someone"), role=role, **scope)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("identity", "allowed"),
    [
        (who(Role.CURATOR, subject="cur-1"), True),
        (who(Role.CURATOR, subject="cur-2"), False),
        (who(Role.DISTRICT_HEAD, district="elets"), True),
        (who(Role.DISTRICT_HEAD, district="lipetsk"), False),
        (who(Role.HQ_COORDINATOR, hq="hq-elets"), True),
        (who(Role.HQ_COORDINATOR, hq="hq-lipetsk"), False),
        (who(Role.REGIONAL_ADMIN), True),
        (who(Role.DISPATCHER), True),
        (who(Role.MEDICAL_ORGANIZATION), True),
        (who(Role.AUDITOR), False),
        (Identity(subject="w", role=Role.AGENCY_WORKER, agency=Agency.HOUSING), False),
        (None, True),
    ],
)
def test_who_reads_a_family(identity: Identity | None, allowed: bool) -> None:
    assert may_read(identity, FAMILY).allowed is allowed


def test_another_curator_reads_only_by_stating_a_reason() -> None:
    stranger = who(Role.CURATOR, subject="cur-2")
    refused = may_read(stranger, FAMILY)
    assert refused.code == BREAK_GLASS_REQUIRED
    assert "причину" in refused.message
    assert may_read(stranger.with_reason("   "), FAMILY).allowed is False
    assert may_read(stranger.with_reason("замещаю в отпуске"), FAMILY).allowed is True


def test_break_the_glass_never_lets_a_curator_change_another_family() -> None:
    stranger = who(Role.CURATOR, subject="cur-2").with_reason("замещаю")
    assert may_change(stranger, FAMILY).allowed is False
    assert may_change(who(Role.CURATOR, subject="cur-1"), FAMILY).allowed is True


@pytest.mark.parametrize(
    "role",
    [Role.DISTRICT_HEAD, Role.DISPATCHER, Role.AUDITOR, Role.MEDICAL_ORGANIZATION],
)
def test_readers_do_not_change(role: Role) -> None:
    assert may_change(who(role, district="elets"), FAMILY).allowed is False


def test_a_curator_registers_families_only_for_themselves() -> None:
    assert may_register(who(Role.CURATOR, subject="cur-1"), "cur-1").allowed
    assert not may_register(who(Role.CURATOR, subject="cur-1"), "cur-2").allowed
    assert not may_register(who(Role.DISPATCHER), None).allowed


def test_a_medical_organization_sees_health_data_only() -> None:
    seen = view_for(who(Role.MEDICAL_ORGANIZATION), dict(FAMILY))
    assert seen["serviceman"] is None
    assert seen["contacts"] is None
    assert "snils" not in seen["members"][0]
    assert seen["members"][0]["disability"] == {"group": "2"}
    assert seen["needs"] == [{"category": "health"}]
    assert seen["plan_items"] == []
    assert seen["measures"] == []


def test_other_roles_see_the_whole_passport() -> None:
    assert view_for(who(Role.CURATOR, subject="cur-1"), FAMILY) is FAMILY


def test_scoped_roles_search_only_inside_their_scope() -> None:
    curator = who(Role.CURATOR, subject="cur-1")
    assert scoped_search(curator, {"curator_id": "cur-1"}).allowed
    assert not scoped_search(curator, {"curator_id": None}).allowed
    assert not scoped_search(curator, {"curator_id": "cur-2"}).allowed
    head = who(Role.DISTRICT_HEAD, district="elets")
    assert scoped_search(head, {"district": "elets"}).allowed
    assert not scoped_search(head, {"district": "gryazi"}).allowed
    assert scoped_search(who(Role.DISPATCHER), {}).allowed
    assert not scoped_search(who(Role.AUDITOR), {}).allowed
    assert scoped_search(None, {}).allowed
