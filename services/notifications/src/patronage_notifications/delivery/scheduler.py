"""Send what is due: deferred (quiet hours) and retried notifications, bucket by bucket."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from patronage_common.locks import LockTimeoutError, locked
from patronage_common.logging import get_logger

from ..context import Notifier
from . import service as store
from .channels import FINAL_STATUSES
from .flows import deliver

log = get_logger(__name__)
SCHEDULER_LOCK = "notifications:scheduler"


async def run_due(*, notifier: Notifier) -> int:
    """Deliver every notification of the due buckets; return how many were sent."""
    db = notifier.runtime.db
    sent = 0
    async with locked(db, SCHEDULER_LOCK, ttl_s=120.0, wait_s=0.5):
        for bucket in await store.due_buckets(db=db, now=notifier.clock()):
            batch, numbers = [], []
            for notification_id in await store.bucket_ids(db=db, bucket=bucket):
                notification = await store.get_notification(db=db, notification_id=notification_id)
                if notification is None:
                    continue
                attempts = await store.attempts_of(db=db, notification_id=notification_id)
                if store.current_status(notification, attempts) in FINAL_STATUSES:
                    continue
                batch.append(notification)
                numbers.append(len(attempts) + 1)
            await deliver(notifier=notifier, notifications=batch, attempts=numbers)
            await store.drop_bucket(db=db, bucket=bucket)
            sent += len(batch)
    return sent


async def run_scheduler(notifier: Notifier) -> None:
    """Tick every ``scheduler_interval_s`` until cancelled."""
    while True:
        try:
            await run_due(notifier=notifier)
        except asyncio.CancelledError:
            raise
        except LockTimeoutError:
            pass  # another replica is on it
        except Exception:
            log.exception("scheduler tick failed; trying again")
        await asyncio.sleep(notifier.settings.scheduler_interval_s)


@contextlib.asynccontextmanager
async def running_scheduler(notifier: Notifier) -> AsyncIterator["asyncio.Task[None]"]:
    """Run the scheduler for the life of the service."""
    task = asyncio.create_task(run_scheduler(notifier), name="delivery-scheduler")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
