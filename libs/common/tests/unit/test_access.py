"""Shared access decisions: break-the-glass for curators and the 403 a refusal becomes."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from patronage_common.access import (
    ALLOW,
    BREAK_GLASS_REQUIRED,
    FORBIDDEN,
    AccessDeniedError,
    access_denied,
    deny,
    enforce,
    outside_scope,
)
from patronage_common.identity import Identity, Role

CURATOR = Identity(subject="cur-1", role=Role.CURATOR)


def test_a_curator_outside_their_families_is_asked_for_a_reason() -> None:
    refused = outside_scope(CURATOR, refusal="вне зоны", family_id="fam-1")
    assert (refused.allowed, refused.code, refused.family_id) == (
        False,
        BREAK_GLASS_REQUIRED,
        "fam-1",
    )
    assert refused.message == "семья закреплена за другим куратором: укажите причину доступа"
    assert outside_scope(CURATOR.with_reason("замещаю коллегу"), refusal="вне зоны") == ALLOW
    assert not outside_scope(CURATOR.with_reason("   "), refusal="вне зоны").allowed


def test_a_reason_opens_nothing_for_other_roles() -> None:
    head = Identity(subject="head-1", role=Role.DISTRICT_HEAD).with_reason("нужно")
    assert outside_scope(head, refusal="семья вне вашей зоны ответственности") == deny(
        "семья вне вашей зоны ответственности"
    )
    assert deny("нет").code == FORBIDDEN


def test_a_refusal_becomes_a_403_with_its_reason_code_and_family() -> None:
    app = FastAPI(exception_handlers={AccessDeniedError: access_denied})

    @app.get("/family")
    def read_family() -> None:
        enforce(outside_scope(CURATOR, refusal="вне зоны", family_id="fam-1"))

    @app.get("/other")
    def read_other() -> None:
        enforce(deny("ваша роль не позволяет"))

    @app.get("/open")
    def read_open() -> dict[str, bool]:
        enforce(ALLOW)
        return {"ok": True}

    client = TestClient(app)
    family = client.get("/family")
    assert family.status_code == 403
    assert family.json() == {
        "detail": "семья закреплена за другим куратором: укажите причину доступа",
        "code": BREAK_GLASS_REQUIRED,
        "family_id": "fam-1",
    }
    other = client.get("/other")
    assert (other.status_code, other.json()) == (
        403,
        {"detail": "ваша роль не позволяет", "code": FORBIDDEN},
    )
    assert client.get("/open").json() == {"ok": True}
