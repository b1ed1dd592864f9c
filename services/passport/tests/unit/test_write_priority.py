import asyncio

import pytest
from patronage_passport.priority import WritePriority

pytestmark = pytest.mark.unit


async def test_a_background_write_goes_at_once_when_nothing_is_in_flight() -> None:
    priority = WritePriority(max_wait_s=1.0)

    waited = await priority.background_turn()

    assert waited == 0.0


async def test_a_background_write_waits_for_the_foreground_to_end() -> None:
    priority = WritePriority(max_wait_s=5.0)
    order: list[str] = []

    async def foreground() -> None:
        async with priority.foreground():
            await asyncio.sleep(0.05)
            order.append("foreground stored")

    task = asyncio.create_task(foreground())
    await asyncio.sleep(0)  # the foreground write is in flight
    assert priority.in_flight == 1
    waited = await priority.background_turn()
    order.append("background writes")
    await task

    assert order == ["foreground stored", "background writes"]
    assert 0.03 < waited < 1.0
    assert priority.in_flight == 0


async def test_the_wait_is_bounded_however_busy_the_foreground() -> None:
    priority = WritePriority(max_wait_s=0.05)

    async with priority.foreground():
        waited = await priority.background_turn()
        assert priority.in_flight == 1

    assert 0.05 <= waited < 0.5


async def test_a_failed_foreground_write_is_no_longer_in_flight() -> None:
    priority = WritePriority()

    with pytest.raises(RuntimeError):
        async with priority.foreground():
            raise RuntimeError("refused")

    assert priority.in_flight == 0
