"""Group commit: concurrent submissions stored together, each caller told its own outcome."""

import asyncio
from collections.abc import Sequence

import pytest
from patronage_common.batching import GroupCommit


async def test_concurrent_submissions_are_committed_in_groups_of_at_most_max_size() -> None:
    groups: list[list[int]] = []

    async def commit(items: Sequence[int]) -> list[BaseException | None]:
        groups.append(list(items))
        await asyncio.sleep(0.01)
        return [None] * len(items)

    group = GroupCommit(commit, window_s=0.005, max_size=10, max_in_flight=1)
    await asyncio.gather(*(group.submit(n) for n in range(35)))

    assert sorted(n for g in groups for n in g) == list(range(35))
    assert all(len(g) <= 10 for g in groups)
    assert len(groups) < 35 / 2  # grouped, not one by one


async def test_each_caller_gets_its_own_outcome() -> None:
    async def commit(items: Sequence[int]) -> list[BaseException | None]:
        return [ValueError(f"{n} refused") if n % 2 else None for n in items]

    group = GroupCommit(commit, window_s=0.001)
    outcomes = await asyncio.gather(*(group.submit(n) for n in range(6)), return_exceptions=True)

    assert outcomes[0::2] == [None, None, None]
    assert [str(e) for e in outcomes[1::2]] == ["1 refused", "3 refused", "5 refused"]


async def test_a_failed_commit_reaches_every_caller_of_the_group() -> None:
    async def commit(items: Sequence[int]) -> list[BaseException | None]:
        raise ConnectionError("store down")

    group = GroupCommit(commit, window_s=0.001)
    outcomes = await asyncio.gather(*(group.submit(n) for n in range(3)), return_exceptions=True)

    assert all(isinstance(o, ConnectionError) for o in outcomes)


def test_groups_above_the_bulk_limit_are_refused() -> None:
    async def commit(items: Sequence[int]) -> list[BaseException | None]:
        return [None] * len(items)

    with pytest.raises(ValueError, match="max_size"):
        GroupCommit(commit, max_size=100)
