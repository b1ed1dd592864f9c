"""What changed between two versions of a passport, field by field.

A change is ``{"path", "kind", "old", "new"}``: ``path`` names the field
(``contacts.phones``, ``members[<member_id>].disability.notes``; items of the id-keyed
sections by their id, other list items by position), ``kind`` is added, removed or changed.
Changes hold personal data, so they are protected as the passport's own fields are: the
sensitive values are sealed at rest (``seal_changes``) and every read goes through the
same consent restriction and role view as the passport (``visible_changes``).
"""

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from patronage_common.outbox import GROUP_FIELD

from .enums import ConsentScope

Document = dict[str, Any]
Path = tuple[str, ...]

# Bookkeeping of every version, not data a person changed.
NOT_COMPARED = frozenset(
    {
        "_id",
        "outbox",
        GROUP_FIELD,
        "version_log",
        "version",
        "changes",
        "identity_keys",
        "updated_at",
        "updated_by",
        "created_at",
        "created_by",
    }
)
ITEM_IDS = {
    "members": "member_id",
    "needs": "need_id",
    "plan_items": "plan_item_id",
    "measures": "assignment_id",
}
# Fields encrypted at rest (as ``documents.MEMBER_SECRETS``/``SERVICEMAN_SECRETS``);
# ``*`` is any list item.
SECRET_PATHS: tuple[Path, ...] = (
    ("members", "*", "snils"),
    ("members", "*", "disability", "notes"),
    ("serviceman", "status_note"),
    ("serviceman", "status_history", "*", "note"),
)
HIDDEN = "скрыто: согласие отозвано"
_MISSING = object()


class ChangeKind(StrEnum):
    """How a field changed."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


def diff_documents(old: Document, new: Document) -> list[Document]:
    """Field-level changes from ``old`` to ``new`` (both decrypted passport documents)."""
    changes: list[Document] = []
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in NOT_COMPARED]
    for key in keys:
        _diff((key,), old.get(key, _MISSING), new.get(key, _MISSING), changes)
    return changes


def _diff(path: Path, old: Any, new: Any, out: list[Document]) -> None:
    if old is _MISSING and new is _MISSING:
        return
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in dict.fromkeys([*old, *new]):
            _diff((*path, key), old.get(key, _MISSING), new.get(key, _MISSING), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        if len(path) == 1 and path[0] in ITEM_IDS:
            _diff_items(path, ITEM_IDS[path[0]], old, new, out)
            return
        if any(isinstance(x, dict) for x in [*old, *new]):
            for i in range(max(len(old), len(new))):
                _diff(
                    (*path, f"[{i}]"),
                    old[i] if i < len(old) else _MISSING,
                    new[i] if i < len(new) else _MISSING,
                    out,
                )
            return
    out.append(_change(path, old, new))


def _diff_items(
    path: Path, id_key: str, old: list[Any], new: list[Any], out: list[Document]
) -> None:
    before = {str(item[id_key]): item for item in old}
    after = {str(item[id_key]): item for item in new}
    for item_id in dict.fromkeys([*before, *after]):
        _diff(
            (*path, f"[{item_id}]"),
            before.get(item_id, _MISSING),
            after.get(item_id, _MISSING),
            out,
        )


def _change(path: Path, old: Any, new: Any) -> Document:
    kind = (
        ChangeKind.ADDED
        if old is _MISSING or old is None
        else ChangeKind.REMOVED
        if new is _MISSING or new is None
        else ChangeKind.CHANGED
    )
    return {
        "path": render_path(path),
        "kind": kind.value,
        "old": None if old is _MISSING else old,
        "new": None if new is _MISSING else new,
    }


def render_path(path: Path) -> str:
    """``("members", "[id]", "snils")`` as ``members[id].snils``."""
    return ".".join(path).replace(".[", "[")


_SEGMENT = re.compile(r"\[[^\]]*\]|[^.\[\]]+")


def parse_path(path: str) -> Path:
    """Inverse of ``render_path``."""
    return tuple(_SEGMENT.findall(path))


def _matches(segment: str, pattern: str) -> bool:
    return segment.startswith("[") if pattern == "*" else segment == pattern


def _apply(node: Any, rest: Path, fn: Callable[[str], str]) -> Any:
    """``node`` with ``fn`` applied at ``rest`` below it (copied, never changed in place)."""
    if not rest:
        return fn(node) if isinstance(node, str) else node
    head, tail = rest[0], rest[1:]
    if head == "*":
        return [_apply(item, tail, fn) for item in node] if isinstance(node, list) else node
    if isinstance(node, dict) and head in node:
        return {**node, head: _apply(node[head], tail, fn)}
    return node


def _transform_secrets(change: Document, fn: Callable[[str], str]) -> Document:
    path = parse_path(change["path"])
    old, new = change["old"], change["new"]
    for secret in SECRET_PATHS:
        if len(path) <= len(secret) and all(map(_matches, path, secret)):
            rest = secret[len(path) :]
            old, new = _apply(old, rest, fn), _apply(new, rest, fn)
    return {**change, "old": old, "new": new}


def seal_changes(changes: list[Document], encrypt: Callable[[str], str]) -> list[Document]:
    """Changes with their sensitive values encrypted, as they are stored."""
    return [_transform_secrets(c, encrypt) for c in changes]


def unseal_changes(changes: list[Document], decrypt: Callable[[str], str]) -> list[Document]:
    """Stored changes decrypted."""
    return [_transform_secrets(c, decrypt) for c in changes]


# What of a member stays visible after the family withdrew consent to personal data
# (as ``documents.restrict`` shows it).
_MEMBER_KEPT = ("member_id", "relation", "birth_date")
_HEALTH_FIELDS = ("disability", "pregnancy")


def _restricted_member(value: Any, scopes: set[str]) -> Any:
    if not isinstance(value, dict):
        return value
    if ConsentScope.PERSONAL_DATA.value in scopes:
        return {**{k: value.get(k) for k in _MEMBER_KEPT}, "full_name": HIDDEN}
    if ConsentScope.HEALTH_DATA.value in scopes:
        return {**value, **dict.fromkeys(_HEALTH_FIELDS)}
    return value


def _is_hidden(path: Path, scopes: set[str]) -> bool:
    section = path[0]
    if ConsentScope.PERSONAL_DATA.value in scopes:
        if section in ("serviceman", "contacts"):
            return True
        if section == "members" and len(path) > 2 and path[2] not in _MEMBER_KEPT:
            return True
    if ConsentScope.CONTACT.value in scopes and section == "contacts":
        return True
    return (
        ConsentScope.HEALTH_DATA.value in scopes
        and section == "members"
        and len(path) > 2
        and path[2] in _HEALTH_FIELDS
    )


def restrict_changes(changes: list[Document], restricted_scopes: list[str]) -> list[Document]:
    """Decrypted changes as the family's consent lets them be shown (paths stay)."""
    scopes = set(restricted_scopes)
    if not scopes:
        return changes
    shown = []
    for change in changes:
        path = parse_path(change["path"])
        if _is_hidden(path, scopes):
            change = {**change, "old": None, "new": None, "hidden": True}
        elif path[0] == "members" and len(path) == 2:
            change = {
                **change,
                "old": _restricted_member(change["old"], scopes),
                "new": _restricted_member(change["new"], scopes),
            }
        shown.append(change)
    return shown


def health_changes(changes: list[Document], shown_passport: Document) -> list[Document]:
    """The changes a medical organization may see: those of ``access.health_view``.

    ``shown_passport`` is the health view of the current passport: needs and plan items
    count by whether that view shows them.
    """
    kept_ids = {
        "needs": {str(n["need_id"]) for n in shown_passport.get("needs") or []},
        "plan_items": {str(p["plan_item_id"]) for p in shown_passport.get("plan_items") or []},
    }
    member_fields = ("member_id", "relation", "full_name", "birth_date", *_HEALTH_FIELDS)
    shown = []
    for change in changes:
        path = parse_path(change["path"])
        section = path[0]
        if section in ("serviceman", "contacts", "measures", "curator_history"):
            continue
        if section in kept_ids and (len(path) < 2 or path[1][1:-1] not in kept_ids[section]):
            continue
        if section == "members":
            if len(path) > 2 and path[2] not in member_fields:
                continue
            if len(path) == 2:
                change = {
                    **change,
                    **{
                        side: {k: v for k, v in change[side].items() if k in member_fields}
                        for side in ("old", "new")
                        if isinstance(change[side], dict)
                    },
                }
        shown.append(change)
    return shown
