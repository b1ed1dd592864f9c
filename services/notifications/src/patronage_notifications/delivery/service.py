"""Data access: notifications, their attempts, the delivery logs and the schedule.

Every read and write is by ``_id``. Batches are only ever inserts (FerretDB 1.24 commits an
``insert`` command 100 documents at a time, so a batch of thousands is safe); every update
is a single-statement ``update_one`` (an ``update`` command of 100 statements or more
never answers), and nothing counts with ``$inc`` (concurrent ones lose increments):
- ``notifications``: ``<event_id>:<role>:<recipient_id>:<channel>`` (a redelivered event
  cannot add a second one);
- ``delivery_attempts``: ``<notification_id>#<n>``, one per attempt, insert-only;
- ``delivery_logs``: append-only pages of notification ids per family and per staff
  recipient (see ``logs.py``);
- ``delivery_schedule``: ``bucket:<epoch>`` lists notifications due by then, and ``index``
  lists the non-empty buckets, so the scheduler reads two small documents per tick.
"""

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from patronage_common.store import Database, Document, upsert_one
from pymongo.errors import BulkWriteError, DuplicateKeyError

from .channels import DeliveryStatus

NOTIFICATIONS = "notifications"
ATTEMPTS = "delivery_attempts"
SCHEDULE = "delivery_schedule"
SCHEDULE_INDEX = "index"
DUPLICATE_KEY = 11000


def notification_id(*, event_id: str, role: str, recipient_id: str, channel: str) -> str:
    """The id that makes a notification unique per event, recipient and channel."""
    return f"{event_id}:{role}:{recipient_id}:{channel}"


async def insert_notifications(*, db: Database, documents: Sequence[Document]) -> set[str]:
    """Insert new notifications in one batch; return the ids that already existed."""
    if not documents:
        return set()
    try:
        await db[NOTIFICATIONS].insert_many(list(documents), ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return {str(documents[e["index"]]["_id"]) for e in errors}
    return set()


async def get_notification(*, db: Database, notification_id: str) -> Document | None:
    """One notification."""
    return await db[NOTIFICATIONS].find_one({"_id": notification_id})


async def attempts_of(*, db: Database, notification_id: str, limit: int = 50) -> list[Document]:
    """The attempts of a notification, in order (read one by one by ``_id``)."""
    attempts: list[Document] = []
    for n in range(1, limit + 1):
        attempt = await db[ATTEMPTS].find_one({"_id": f"{notification_id}#{n}"})
        if attempt is None:
            break
        attempts.append(attempt)
    return attempts


async def first_attempt(*, db: Database, notification_id: str) -> Document | None:
    """The notification's first attempt, if it was made."""
    return await db[ATTEMPTS].find_one({"_id": f"{notification_id}#1"})


def current_status(notification: Document, attempts: Sequence[Document]) -> DeliveryStatus:
    """Where a notification stands after its attempts."""
    if not attempts:
        return DeliveryStatus(notification["status"])
    return DeliveryStatus(attempts[-1]["status"])


async def record_attempts(*, db: Database, attempts: Sequence[Document]) -> set[str]:
    """Store attempts in one batch; return ids another worker had already stored."""
    if not attempts:
        return set()
    try:
        await db[ATTEMPTS].insert_many(list(attempts), ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return {str(attempts[e["index"]]["_id"]) for e in errors}
    return set()


def bucket_of(at: datetime, bucket_s: int) -> int:
    """The schedule bucket (its end, epoch seconds) that makes ``at`` due, never early."""
    return math.ceil(at.timestamp() / bucket_s) * bucket_s


async def schedule(*, db: Database, buckets: Mapping[int, Sequence[str]]) -> None:
    """Put notifications into their buckets, then name the buckets in the index."""
    if not buckets:
        return
    for bucket, ids in buckets.items():
        await upsert_one(
            db[SCHEDULE], {"_id": f"bucket:{bucket}"}, {"$addToSet": {"ids": {"$each": list(ids)}}}
        )
    await upsert_one(
        db[SCHEDULE],
        {"_id": SCHEDULE_INDEX},
        {"$addToSet": {"buckets": {"$each": sorted(buckets)}}},
    )


async def due_buckets(*, db: Database, now: datetime) -> list[int]:
    """Buckets whose time has come, oldest first."""
    index = await db[SCHEDULE].find_one({"_id": SCHEDULE_INDEX})
    return sorted(b for b in (index or {}).get("buckets") or [] if b <= now.timestamp())


async def bucket_ids(*, db: Database, bucket: int) -> list[str]:
    """Notifications in a bucket."""
    document = await db[SCHEDULE].find_one({"_id": f"bucket:{bucket}"})
    return list((document or {}).get("ids") or [])


async def drop_bucket(*, db: Database, bucket: int) -> None:
    """Forget a processed bucket (index first: a crash leaves a bucket, never a lost id)."""
    await db[SCHEDULE].update_one({"_id": SCHEDULE_INDEX}, {"$pullAll": {"buckets": [bucket]}})
    await db[SCHEDULE].delete_one({"_id": f"bucket:{bucket}"})


async def claim(*, db: Database, key: str) -> bool:
    """Insert-once marker (e.g. one ContactUnreachable per notification)."""
    try:
        await db[SCHEDULE].insert_one({"_id": f"claim:{key}"})
    except DuplicateKeyError:
        return False
    return True


def to_api(notification: Document, attempts: Sequence[Document]) -> dict[str, Any]:
    """A notification with its delivery history, as the API returns it."""
    return {
        "notification_id": notification["_id"],
        "family_id": notification.get("family_id"),
        "event_type": notification.get("event_type"),
        "source_event_id": notification.get("source_event_id"),
        "request_id": notification.get("request_id"),
        "recipient_role": notification["recipient_role"],
        "recipient_id": notification["recipient_id"],
        "channel": notification["channel"],
        "template": notification["template"],
        "subject": notification.get("subject"),
        "text": notification.get("text"),
        "urgent": notification.get("urgent", False),
        "status": current_status(notification, attempts).value,
        "attempts": len(attempts),
        "queued_at": notification["created_at"],
        "send_at": notification.get("send_at"),
        "history": [
            {"status": "queued", "at": notification["created_at"]},
            *(
                {
                    "status": a["status"],
                    "at": a["at"],
                    "attempt": a["attempt"],
                    **({"error": a["error"]} if a.get("error") else {}),
                    **({"next_at": a["next_at"]} if a.get("next_at") else {}),
                }
                for a in attempts
            ),
        ],
    }
