"""The background task that fires SLA warnings, breaches and escalations on time."""

import asyncio
import contextlib

from patronage_common.logging import get_logger
from patronage_common.runtime import ServiceRuntime

from ..settings import RequestsSettings
from . import flows
from .clock import Clock

log = get_logger(__name__)

BROKER_WAIT_S = 0.05


class SlaScheduler:
    """Scans the due-time buckets every ``sla_scan_interval_s`` seconds.

    Safe to run in every replica: each firing is claimed by a unique document, and the
    scan cursor lives in the store, so a restart goes on where the last scan ended.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    async def start(self, runtime: ServiceRuntime) -> None:
        """Start scanning in the background (the service's on-startup hook)."""
        self._task = asyncio.create_task(self._run(runtime), name="sla-scheduler")

    async def stop(self) -> None:
        """Stop scanning; a scan in flight is cancelled and redone by the next one."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        assert isinstance(settings, RequestsSettings)
        while True:
            # Firings publish at once: the first scan waits until the broker runs.
            if not runtime.broker.running:
                await asyncio.sleep(BROKER_WAIT_S)
                continue
            try:
                fired = await flows.scan_due(runtime=runtime, now=self.clock.now())
                if fired:
                    log.info("SLA scan fired", count=fired)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SLA scan failed; the next scan retries")
            await asyncio.sleep(settings.sla_scan_interval_s)
