"""Event-loop stalls are recorded with what explains them: CPU, collections, the stack."""

import asyncio
import gc
import time

from patronage_common.settings import ServiceSettings
from patronage_common.stalls import watching_stalls


def _block_the_loop_sleeping(seconds: float) -> None:
    time.sleep(seconds)  # a blocking call in a coroutine: the loop waits, no CPU spent


def _block_the_loop_computing(cpu_seconds: float) -> None:
    # CPU time, not wall time: on a busy machine the thread also waits for a core.
    until = time.thread_time() + cpu_seconds
    while time.thread_time() < until:
        pass


async def test_a_blocking_call_is_recorded_as_a_stall_without_cpu_with_its_stack() -> None:
    async with watching_stalls(0.05) as watch:
        assert watch is not None
        await asyncio.sleep(0.05)
        _block_the_loop_sleeping(0.2)
        await asyncio.sleep(0.05)
    assert len(watch.stalls) == 1
    stall = watch.stalls[0]
    assert stall.lag_ms >= 150
    assert stall.cpu_ms < stall.lag_ms / 2
    assert any("_block_the_loop_sleeping" in frame for frame in stall.stack)


async def test_work_on_the_loop_is_recorded_as_a_stall_with_its_cpu() -> None:
    async with watching_stalls(0.05) as watch:
        assert watch is not None
        await asyncio.sleep(0.05)
        _block_the_loop_computing(0.2)
        await asyncio.sleep(0.05)
    assert [s.lag_ms >= 150 for s in watch.stalls] == [True]
    assert watch.stalls[0].cpu_ms >= 200


async def test_collections_are_counted_and_a_long_one_is_a_pause() -> None:
    cycles = [[] for _ in range(300_000)]
    for item in cycles:
        item.append(item)  # reference cycles: only the collector frees them
    async with watching_stalls(0.001) as watch:
        assert watch is not None
        await asyncio.sleep(0.02)
        del cycles, item
        gc.collect()
        await asyncio.sleep(0.02)
    assert watch.collections[2] >= 1
    assert any(p.generation == 2 and p.collected >= 300_000 for p in watch.pauses)
    collected_in_stall = [s for s in watch.stalls if 2 in s.gc]
    assert collected_in_stall
    assert collected_in_stall[0].gc_ms > 0


async def test_nothing_is_watched_when_the_threshold_is_zero() -> None:
    async with watching_stalls(0.0) as watch:
        assert watch is None


def test_the_threshold_comes_from_stall_log_ms() -> None:
    assert ServiceSettings(service_name="x").stall_log_ms == 0.0
    assert ServiceSettings(service_name="x", stall_log_ms=50).stall_log_ms == 50.0
