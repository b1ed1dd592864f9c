"""Who writes first in this process: the API's passport changes before the search indexer.

FerretDB's SQLite backend has one writer at a time; a write that finds it taken waits in
SQLite's busy handler, which sleeps in steps of 1, 2, 5, 10 … ms. A create that meets the
indexer's page rewrites (postings of a few hundred KB) therefore waits for them, and then
some. So the indexer writes in small round trips and, before each, lets the changes the API
is storing in this process go first: it waits while one is in flight, up to a bound, so the
index falls behind by a bounded delay per round trip however busy the API is.

Only this process is coordinated (each replica runs its own indexer); other writers meet the
indexer's round trips as before, which are now short.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass
class WritePriority:
    """Counts the foreground writes in flight; background writers wait for none to be."""

    max_wait_s: float = 0.05
    """Longest a background write waits for the foreground (bounds the index's delay)."""
    yielded: int = field(default=0, init=False)
    """Background writes that found a foreground write in flight and waited for it."""
    _in_flight: int = field(default=0, init=False)
    _idle: asyncio.Event | None = field(default=None, init=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)

    @property
    def in_flight(self) -> int:
        """Foreground writes under way now."""
        return self._in_flight

    def _idle_event(self) -> asyncio.Event:
        # An event belongs to one loop: a new loop (another test, say) gets its own.
        loop = asyncio.get_running_loop()
        if self._idle is None or self._loop is not loop:
            self._loop, self._idle = loop, asyncio.Event()
            if not self._in_flight:
                self._idle.set()
        return self._idle

    @contextlib.asynccontextmanager
    async def foreground(self) -> AsyncIterator[None]:
        """Hold while storing a change the caller waits for (background writes hold off)."""
        idle = self._idle_event()
        self._in_flight += 1
        idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                idle.set()

    async def background_turn(self) -> float:
        """Wait until no foreground write is in flight, ``max_wait_s`` at most; return the wait."""
        if not self._in_flight:
            return 0.0
        self.yielded += 1
        start = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle_event().wait(), self.max_wait_s)
        return time.perf_counter() - start


WRITES = WritePriority()
"""This process's write priority: passport changes (foreground) before index writes."""
