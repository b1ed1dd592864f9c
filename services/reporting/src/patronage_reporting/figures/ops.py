"""Changes to figure documents, collected and merged before they are written.

A projection does not write: it returns ``Changes`` (increments, fields set and fields
removed, per document ``_id``). The live consumer writes one event's changes in one bulk
request; the replay merges the changes of a whole batch first, so a counter touched by ten
thousand events costs one ``$inc``.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from patronage_common.store import Collection
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

_REMOVED = object()


@dataclass
class DocumentChange:
    """What happens to one document: ``$inc`` and ``$set``/``$unset`` by field path."""

    inc: dict[str, int] = field(default_factory=dict)
    put: dict[str, Any] = field(default_factory=dict)

    def update(self) -> dict[str, Any] | None:
        """The Mongo update document, or None when nothing changes."""
        update: dict[str, Any] = {}
        # Zero increments are kept: a field touched by any event exists (maybe as 0),
        # whether its events were written one by one (live) or merged (replay).
        if self.inc:
            update["$inc"] = dict(self.inc)
        sets = {path: v for path, v in self.put.items() if v is not _REMOVED}
        unsets = {path: "" for path, v in self.put.items() if v is _REMOVED}
        if sets:
            update["$set"] = sets
        if unsets:
            update["$unset"] = unsets
        return update or None


class Changes:
    """Changes to many figure documents; later changes of a field win, increments add up."""

    def __init__(self) -> None:
        self.documents: dict[str, DocumentChange] = defaultdict(DocumentChange)

    def inc(self, doc_id: str, path: str, n: int = 1) -> None:
        """Add ``n`` to a counter."""
        counters = self.documents[doc_id].inc
        counters[path] = counters.get(path, 0) + n

    def put(self, doc_id: str, path: str, value: Any) -> None:
        """Set a field."""
        self.documents[doc_id].put[path] = value

    def remove(self, doc_id: str, path: str) -> None:
        """Remove a field."""
        self.documents[doc_id].put[path] = _REMOVED

    def merge(self, other: "Changes") -> None:
        """Add another set of changes after these."""
        for doc_id, change in other.documents.items():
            for path, n in change.inc.items():
                self.inc(doc_id, path, n)
            self.documents[doc_id].put.update(change.put)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """The updates by document ``_id`` (for tests and logs)."""
        return {
            doc_id: update
            for doc_id, change in self.documents.items()
            if (update := change.update()) is not None
        }

    def __len__(self) -> int:
        return len(self.documents)

    def as_new_documents(self) -> list[dict[str, Any]]:
        """The documents these changes would create in an empty collection, as upserts would.

        A removed field leaves its parent (maybe empty), like ``$unset`` does.
        """
        documents = []
        for doc_id, change in self.documents.items():
            document: dict[str, Any] = {"_id": doc_id}
            for path, n in change.inc.items():
                _place(document, path, n)
            for path, value in change.put.items():
                _place(document, path, value)
            documents.append(document)
        return documents


def _place(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        document = document.setdefault(part, {})
    if value is not _REMOVED:
        document[leaf] = value


BULK_CHUNK = 500
DUPLICATE_KEY = 11000
UPSERT_ATTEMPTS = 3


async def write_changes(collection: Collection, changes: Changes) -> int:
    """Apply the changes with unordered bulk upserts by ``_id``; return documents written."""
    operations = [
        UpdateOne({"_id": doc_id}, update, upsert=True)
        for doc_id, update in changes.as_dict().items()
    ]
    for start in range(0, len(operations), BULK_CHUNK):
        await _bulk_upsert(collection, operations[start : start + BULK_CHUNK])
    return len(operations)


async def _bulk_upsert(collection: Collection, operations: list[UpdateOne]) -> None:
    """Write unordered; redo only the upserts that lost a race to create their document."""
    for attempt in range(UPSERT_ATTEMPTS):
        try:
            await collection.bulk_write(operations, ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if attempt == UPSERT_ATTEMPTS - 1 or any(
                e.get("code") != DUPLICATE_KEY for e in errors
            ):
                raise
            # The other operations were applied; only the duplicate-key losers are redone.
            operations = [operations[e["index"]] for e in errors]
