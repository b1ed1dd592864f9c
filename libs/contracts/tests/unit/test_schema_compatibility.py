import json
from pathlib import Path

import pytest
from patronage_contracts.compat import current_schemas, incompatibilities

pytestmark = pytest.mark.unit

CHECKED_IN = Path(__file__).resolve().parents[2] / "schemas"
REFRESH = "run `make contracts` (python -m patronage_contracts write) and commit the result"


def checked_in() -> dict[str, dict[str, object]]:
    return {p.name: json.loads(p.read_text("utf-8")) for p in CHECKED_IN.glob("*.json")}


def test_published_schemas_stay_compatible() -> None:
    current = current_schemas()
    broken = {
        name: problems
        for name, old in checked_in().items()
        if (problems := incompatibilities(old, current[name]) if name in current else ["removed"])
    }
    assert not broken, (
        f"incompatible contract changes {broken}: publish a new schema_version instead"
    )


def test_checked_in_schemas_are_up_to_date() -> None:
    stored = checked_in()
    current = json.loads(json.dumps(current_schemas()))
    assert sorted(current) == sorted(stored), REFRESH
    stale = [name for name in current if current[name] != stored[name]]
    assert not stale, f"{stale} changed compatibly: {REFRESH}"


def schema(properties: dict[str, object], required: list[str]) -> dict[str, object]:
    return {"type": "object", "properties": properties, "required": required}


def test_adding_an_optional_field_is_compatible() -> None:
    old = schema({"a": {"type": "string"}}, ["a"])
    new = schema({"a": {"type": "string", "description": "x"}, "b": {"type": "integer"}}, ["a"])
    assert incompatibilities(old, new) == []


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        (schema({}, []), "removed"),
        (schema({"a": {"type": "integer"}}, ["a"]), "changed its type"),
        (schema({"a": {"type": "string"}, "b": {"type": "string"}}, ["a", "b"]), "required"),
    ],
)
def test_incompatible_changes_are_named(new: dict[str, object], problem: str) -> None:
    old = schema({"a": {"type": "string"}}, ["a"])
    assert any(problem in p for p in incompatibilities(old, new))


def test_refs_are_compared_by_structure() -> None:
    old = {"properties": {"x": {"$ref": "#/$defs/E"}}, "$defs": {"E": {"enum": ["a", "b"]}}}
    same = {"properties": {"x": {"$ref": "#/$defs/F"}}, "$defs": {"F": {"enum": ["a", "b"]}}}
    narrowed = {"properties": {"x": {"$ref": "#/$defs/E"}}, "$defs": {"E": {"enum": ["a"]}}}
    assert incompatibilities(old, same) == []
    assert incompatibilities(old, narrowed) == ["field 'x' changed its type"]
