"""Field-level changes between passport versions: what they name, how they are protected."""

import copy
from typing import Any

from patronage_common.identity import Identity, Role
from patronage_passport.passports.access import history_view
from patronage_passport.passports.diffs import (
    HIDDEN,
    diff_documents,
    parse_path,
    render_path,
    seal_changes,
    unseal_changes,
)

PASSPORT: dict[str, Any] = {
    "_id": "f1",
    "version": 3,
    "updated_at": "then",
    "categories": ["svo_family"],
    "serviceman": {"full_name": "Петров Иван", "status": "serving", "status_history": []},
    "contacts": {"phones": ["+79001112233"], "telegram": None, "preferred_channel": "phone"},
    "address": {"district": "elets", "hq": "hq-elets", "locality": "Елец"},
    "members": [
        {
            "member_id": "m1",
            "relation": "applicant",
            "full_name": "Петрова Анна",
            "birth_date": "1990-01-01",
            "snils": None,
            "disability": None,
            "pregnancy": None,
        },
        {
            "member_id": "m2",
            "relation": "child",
            "full_name": "Петров Олег",
            "birth_date": "2015-01-01",
            "snils": "112-233-445 95",
            "disability": {"group": "child", "notes": "ДЦП"},
            "pregnancy": None,
        },
    ],
    "needs": [
        {"need_id": "n1", "category": "health", "status": "open"},
        {"need_id": "n2", "category": "housing", "status": "open"},
    ],
    "plan_items": [],
    "measures": [],
    "restricted_scopes": [],
}


def changed(**sections: Any) -> dict[str, Any]:
    return {**copy.deepcopy(PASSPORT), "version": 4, "updated_at": "now", **sections}


def encrypt(text: str) -> str:
    return "enc:" + text[::-1]


def decrypt(text: str) -> str:
    return text[4:][::-1] if text.startswith("enc:") else text


def test_a_partial_update_names_exactly_the_fields_it_changed() -> None:
    contacts = {**PASSPORT["contacts"], "telegram": "@petrova_a", "preferred_channel": "telegram"}
    changes = diff_documents(PASSPORT, changed(contacts=contacts))
    assert changes == [
        {"path": "contacts.telegram", "kind": "added", "old": None, "new": "@petrova_a"},
        {
            "path": "contacts.preferred_channel",
            "kind": "changed",
            "old": "phone",
            "new": "telegram",
        },
    ]


def test_members_are_compared_by_their_id_added_removed_and_changed() -> None:
    applicant = copy.deepcopy(PASSPORT["members"][0])
    applicant["full_name"] = "Сидорова Анна"
    baby = {
        "member_id": "m3",
        "relation": "child",
        "full_name": "Петрова Ева",
        "birth_date": "2025-01-01",
    }
    changes = diff_documents(PASSPORT, changed(members=[baby, applicant]))
    assert [(c["path"], c["kind"]) for c in changes] == [
        ("members[m1].full_name", "changed"),
        ("members[m2]", "removed"),
        ("members[m3]", "added"),
    ]
    assert changes[1]["old"]["full_name"] == "Петров Олег"
    assert changes[2]["new"] == baby


def test_lists_without_ids_compare_by_position_or_as_a_whole() -> None:
    serviceman = {
        **PASSPORT["serviceman"],
        "status": "wounded",
        "status_history": [{"status": "wounded", "since": "2026-10-01", "note": "в госпитале"}],
    }
    changes = diff_documents(
        PASSPORT, changed(serviceman=serviceman, categories=["svo_family", "large_family"])
    )
    assert [c["path"] for c in changes] == [
        "categories",
        "serviceman.status",
        "serviceman.status_history[0]",
    ]


def test_bookkeeping_is_not_a_change() -> None:
    assert diff_documents(PASSPORT, changed()) == []


def test_paths_round_trip() -> None:
    path = ("members", "[m2]", "disability", "notes")
    assert render_path(path) == "members[m2].disability.notes"
    assert parse_path(render_path(path)) == path


def test_sensitive_values_are_sealed_wherever_the_change_holds_them() -> None:
    child = copy.deepcopy(PASSPORT["members"][1])
    child["disability"]["notes"] = "ДЦП, ходит с опорой"
    child["snils"] = "112-233-445 96"
    serviceman = {
        **PASSPORT["serviceman"],
        "status_note": "контузия",
        "status_history": [{"status": "wounded", "since": "2026-10-01", "note": "осколок"}],
    }
    changes = diff_documents(
        PASSPORT, changed(members=[PASSPORT["members"][0], child], serviceman=serviceman)
    )
    removed = diff_documents(PASSPORT, changed(members=[PASSPORT["members"][0]]))
    sealed = seal_changes(changes + removed, encrypt)
    flat = repr(sealed)
    for secret in ("ДЦП", "112-233-445", "контузия", "осколок"):
        assert secret not in flat
    assert unseal_changes(sealed, decrypt) == changes + removed
    assert "ДЦП" in repr(removed)  # the unsealed change was not changed in place


def test_withdrawn_consent_hides_the_values_of_personal_fields_in_every_version() -> None:
    applicant = {**PASSPORT["members"][0], "full_name": "Сидорова Анна"}
    contacts = {**PASSPORT["contacts"], "telegram": "@petrova_a"}
    baby = {
        "member_id": "m3",
        "relation": "child",
        "full_name": "Петрова Ева",
        "birth_date": "2025-01-01",
        "disability": {"group": "child"},
    }
    changes = diff_documents(
        PASSPORT,
        changed(
            members=[applicant, PASSPORT["members"][1], baby],
            contacts=contacts,
            address={**PASSPORT["address"], "locality": "Липецк"},
        ),
    )
    now = changed(restricted_scopes=["personal_data"])
    shown = history_view(None, changes, now)
    by_path = {c["path"]: c for c in shown}
    assert by_path["members[m1].full_name"]["hidden"] is True
    assert by_path["members[m1].full_name"]["new"] is None
    assert by_path["contacts.telegram"]["new"] is None
    assert by_path["members[m3]"]["new"] == {
        "member_id": "m3",
        "relation": "child",
        "birth_date": "2025-01-01",
        "full_name": HIDDEN,
    }
    assert by_path["address.locality"]["new"] == "Липецк"
    health = history_view(None, changes, changed(restricted_scopes=["health_data"]))
    assert {c["path"]: c for c in health}["members[m3]"]["new"]["disability"] is None
    assert "Сидорова Анна" in repr(history_view(None, changes, PASSPORT))


def test_a_medical_organization_sees_only_the_changes_of_its_health_view() -> None:
    needs = [{**PASSPORT["needs"][0], "status": "met"}, {**PASSPORT["needs"][1], "status": "met"}]
    contacts = {**PASSPORT["contacts"], "telegram": "@petrova_a"}
    child = {**PASSPORT["members"][1], "snils": None, "full_name": "Петров Олег Ив"}
    changes = diff_documents(
        PASSPORT, changed(needs=needs, contacts=contacts, members=[PASSPORT["members"][0], child])
    )
    medic = Identity(subject="clinic", role=Role.MEDICAL_ORGANIZATION)
    shown = history_view(medic, changes, PASSPORT)
    assert [c["path"] for c in shown] == ["members[m2].full_name", "needs[n1].status"]
