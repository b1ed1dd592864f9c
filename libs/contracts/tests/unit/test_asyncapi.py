from pathlib import Path

import pytest
from patronage_contracts import Agency
from patronage_contracts.asyncapi import build_asyncapi, render_asyncapi

pytestmark = pytest.mark.unit

CHECKED_IN = Path(__file__).resolve().parents[2] / "asyncapi.json"


def test_asyncapi_document_lists_every_agency_topic_with_its_message() -> None:
    document = build_asyncapi()
    assert document["asyncapi"] == "3.0.0"
    for agency in Agency:
        assert f"agency.{agency.value}.requests" in document["channels"]
        assert f"agency.{agency.value}.status" in document["channels"]
    assert "HandleHelpRequest" in document["components"]["schemas"]
    assert "AgencyTaskStatusReported" in document["components"]["schemas"]


def test_checked_in_asyncapi_is_current() -> None:
    assert CHECKED_IN.read_text("utf-8") == render_asyncapi(), (
        "run `make contracts` (python -m patronage_contracts write) and commit asyncapi.json"
    )
