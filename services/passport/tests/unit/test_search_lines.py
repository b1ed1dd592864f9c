import copy
import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from patronage_common.crypto import DEVELOPMENT_KEY, FieldCipher
from patronage_passport.demo import generate_families
from patronage_passport.passports.documents import seal
from patronage_passport.passports.flows import new_passport
from patronage_passport.search.keys import entry_of
from patronage_passport.search.lines import (
    indexed_keys,
    pack,
    posting_keys,
    posting_of,
    result_line,
    summary_of,
    unpack,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def stored_passports(count: int) -> list[dict[str, Any]]:
    """Passports as the store keeps them: sealed, with open and closed needs."""
    cipher = FieldCipher.from_setting(DEVELOPMENT_KEY)
    documents = []
    for data in generate_families(count, seed=5):
        document, _ = new_passport(data, family_id=uuid4(), actor="t", now=NOW)
        document["needs"] = [
            {"category": n.category.value, "status": status}
            for n, status in zip(data.needs, ["open", "resolved", "in_progress"] * 9, strict=False)
        ]
        documents.append(seal(copy.deepcopy(document), cipher))
    return documents


def test_a_posting_gives_back_every_key_its_passport_is_indexed_under() -> None:
    for document in stored_passports(40):
        for scopes in ([], ["personal_data"], ["contact"], ["health_data"]):
            document["restricted_scopes"] = scopes
            posting = posting_of(document)
            assert posting_keys(posting) == set(indexed_keys(document)), scopes
            assert posting["entry"] == entry_of(document)
            assert unpack(document["_id"], pack(posting)) == posting


def test_the_result_line_of_a_posting_is_the_passports_summary() -> None:
    document = stored_passports(1)[0]
    posting = posting_of(document)
    assert result_line(document["_id"], posting) == summary_of(document)
    assert summary_of(document)["phone"] == document["contacts"]["phones"][0]


def test_withdrawn_consent_hides_the_name_and_phone_from_the_line() -> None:
    document = stored_passports(1)[0]
    surname = document["members"][0]["full_name"].split()[0]
    document["restricted_scopes"] = ["personal_data"]
    posting = posting_of(document)
    assert posting["line"]["applicant_full_name"] == "скрыто"
    assert posting["line"]["phone"] is None
    assert posting["match"] == []
    assert surname not in json.dumps(posting["line"], ensure_ascii=False)
    # Withdrawing contact consent hides the phone (as a read does), the name stays.
    document["restricted_scopes"] = ["contact"]
    line = posting_of(document)["line"]
    assert line["phone"] is None
    assert line["applicant_full_name"] != "скрыто"


def test_a_posting_holds_nothing_the_store_seals() -> None:
    checked = 0
    for document in stored_passports(40):
        text = json.dumps(posting_of(document), ensure_ascii=False)
        sealed = [m["snils"] for m in document["members"] if m.get("snils")]
        sealed += [
            m["disability"]["notes"]
            for m in document["members"]
            if (m.get("disability") or {}).get("notes")
        ]
        assert not any(value in text for value in sealed)
        assert "snils" not in text
        assert "disability" not in text
        checked += len(sealed)
    assert checked > 0
