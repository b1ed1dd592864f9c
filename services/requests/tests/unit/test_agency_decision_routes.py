"""Each agency decision keeps its own route, body and documentation in the OpenAPI."""

from typing import Any

import pytest
from patronage_requests.main import create_app
from patronage_requests.settings import RequestsSettings

pytestmark = pytest.mark.unit

# path: (operation summary, description, body model, body required)
DECISIONS = {
    "accept": (
        "Accept Task",
        "The agency takes the task (409 if the task cannot be accepted now).",
        "AgencyReportIn",
        False,
    ),
    "start": (
        "Start Task",
        "The agency starts working on the task (in progress).",
        "AgencyReportIn",
        False,
    ),
    "ask": (
        "Ask For Information",
        "The agency needs information; the request waits for the answer.",
        "AgencyQuestionIn",
        True,
    ),
    "resolve": (
        "Resolve Task",
        "The agency did its part: what was done.",
        "AgencyResultIn",
        True,
    ),
    "reject": (
        "Reject Task",
        "The agency refuses the task, with the reason.",
        "AgencyRejectionIn",
        True,
    ),
}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    settings = RequestsSettings(
        environment="test",
        kafka_bootstrap_servers="127.0.0.1:1",
        mongodb_url="mongodb://127.0.0.1:1",
    )
    document: dict[str, Any] = create_app(settings).openapi()
    return document


def _body_model(operation: dict[str, Any]) -> str:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    refs = [schema] if "$ref" in schema else schema["anyOf"]
    names = [r["$ref"].rsplit("/", 1)[-1] for r in refs if "$ref" in r]
    assert len(names) == 1
    return names[0]


@pytest.mark.parametrize("path", DECISIONS)
def test_every_agency_decision_is_documented_with_its_own_body(
    openapi: dict[str, Any], path: str
) -> None:
    summary, description, model, required = DECISIONS[path]
    operations = openapi["paths"][f"/requests/{{request_id}}/tasks/{{task_id}}/{path}"]
    assert list(operations) == ["post"]
    operation = operations["post"]
    assert (operation["summary"], operation["description"]) == (summary, description)
    assert _body_model(operation) == model
    assert operation["requestBody"].get("required", False) is required
    assert {p["name"] for p in operation["parameters"]} == {
        "request_id",
        "task_id",
        "X-Patronage-Identity",
        "X-Actor",
    }
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response == {"$ref": "#/components/schemas/AgencyRequestView"}
    assert "422" in operation["responses"]


def test_a_decision_that_carries_a_text_requires_it_in_its_body(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    for _, _, model, required in DECISIONS.values():
        fields = set(schemas[model]["properties"])
        assert "report_id" in fields
        assert (len(fields) == 2) is required  # report_id and the decision's text
