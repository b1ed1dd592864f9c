"""Group commit: concurrent callers' writes collected for a moment and stored together.

The store spends most of its time per command, not per document, so a process that has
many small writes at once (creates under load) gains by sending one command for all of
them. A caller waits at most ``window_s`` longer than alone; a full group goes at once.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

GROUP_LIMIT = 50
"""Stock FerretDB 1.24 never answers an ``update`` of 100 statements or more (each statement
keeps a pooled connection until the command ends; patched in the project's own build, see
``patronage_devinfra.ferretdb``): stay well below for deployments on stock FerretDB."""

Commit = Callable[[Sequence[T]], Awaitable[Sequence[BaseException | None]]]


class GroupCommit(Generic[T]):
    """Collects items submitted concurrently and commits up to ``max_size`` at once.

    At most ``max_in_flight`` groups are committed at a time; meanwhile the next group
    fills (up to ``max_size``), so under load the groups grow instead of multiplying.

    ``commit`` gets the group and returns, per item, None (stored) or the exception that
    item's caller should see. An exception raised by ``commit`` itself reaches every caller
    of the group.
    """

    def __init__(
        self,
        commit: Commit[T],
        *,
        window_s: float = 0.002,
        max_size: int = GROUP_LIMIT,
        max_in_flight: int = 2,
    ) -> None:
        if not 1 <= max_size <= GROUP_LIMIT:
            raise ValueError(f"max_size must be between 1 and {GROUP_LIMIT}")
        self._commit = commit
        self._window_s = window_s
        self._max_size = max_size
        self._max_in_flight = max_in_flight
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> None:
        """Store ``item`` with whatever else was submitted meanwhile; raise its error."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if len(self._waiting) >= self._max_size:
            self._start_group()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._window_s, self._start_group)
        await future

    def _start_group(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if len(self._running) >= self._max_in_flight:
            # The store is busy with earlier groups: this one grows until one of them ends.
            return
        group, self._waiting = self._waiting[: self._max_size], self._waiting[self._max_size :]
        if self._waiting:
            self._timer = asyncio.get_running_loop().call_later(self._window_s, self._start_group)
        if group:
            task = asyncio.create_task(self._run(group), name="group-commit")
            self._running.add(task)
            task.add_done_callback(self._group_done)

    def _group_done(self, task: "asyncio.Task[None]") -> None:
        self._running.discard(task)
        if self._waiting and self._timer is None:
            self._start_group()

    async def _run(self, group: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            outcomes = await self._commit([item for item, _ in group])
        except BaseException as exc:  # every caller of the group sees why
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if future.done():
                continue  # the caller was cancelled
            if outcome is None:
                future.set_result(None)
            else:
                future.set_exception(outcome)
