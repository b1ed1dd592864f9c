"""Background tasks run while the service runs and stop before its resources close."""

import asyncio
from typing import Any, cast

from patronage_common.app import running_background
from patronage_common.runtime import ServiceRuntime


async def test_background_tasks_run_with_the_runtime_and_are_cancelled_on_exit() -> None:
    runtime = cast(ServiceRuntime, object())
    ticks: list[Any] = []
    stopped = asyncio.Event()
    ticked_thrice = asyncio.Event()

    async def scheduler(given: ServiceRuntime) -> None:
        try:
            while True:
                ticks.append(given)
                if len(ticks) == 3:
                    ticked_thrice.set()
                await asyncio.sleep(0.01)
        finally:
            stopped.set()

    async with running_background(runtime, [scheduler]):
        await asyncio.wait_for(ticked_thrice.wait(), timeout=5)
    assert stopped.is_set()
    assert all(t is runtime for t in ticks)
