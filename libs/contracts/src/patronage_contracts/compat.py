"""JSON Schemas of the contracts and the compatibility rule between two versions.

Rule: within a schema version, a change may only add optional fields. A removed field,
a changed field type, or a newly required field is incompatible and needs a new version.
"""

import json
from pathlib import Path
from typing import Any

from .envelope import Message
from .registry import ALL_MESSAGES

Schema = dict[str, Any]
_IGNORED_KEYS = {"description", "title", "examples"}


def schema_file_name(model: type[Message]) -> str:
    """``<Type>.v<schema_version>.json``."""
    version = model.model_fields["schema_version"].default
    return f"{model.model_fields['type'].default}.v{version}.json"


def current_schemas() -> dict[str, Schema]:
    """The schema of every published message, by file name."""
    return {schema_file_name(m): m.model_json_schema(mode="serialization") for m in ALL_MESSAGES}


def _resolve(node: Any, defs: Schema) -> Any:
    """Inline ``$ref``s and drop prose, so two schemas compare by structure only."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _resolve(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _resolve(v, defs) for k, v in node.items() if k not in _IGNORED_KEYS}
    if isinstance(node, list):
        return [_resolve(v, defs) for v in node]
    return node


def incompatibilities(old: Schema, new: Schema) -> list[str]:
    """What in ``new`` breaks consumers written against ``old`` (empty if compatible)."""
    old_props = _resolve(old.get("properties", {}), old.get("$defs", {}))
    new_props = _resolve(new.get("properties", {}), new.get("$defs", {}))
    problems = [f"field {name!r} was removed" for name in old_props if name not in new_props]
    problems += [
        f"field {name!r} changed its type"
        for name, schema in old_props.items()
        if name in new_props and new_props[name] != schema
    ]
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    problems += [f"field {name!r} became required" for name in sorted(newly_required)]
    return problems


def write_schemas(directory: Path) -> list[Path]:
    """Write the current schemas into ``directory`` (one file per message and version)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in current_schemas().items():
        path = directory / name
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
