"""Event-loop stalls: how long the loop went without running its callbacks, and why.

A stall of a few hundred milliseconds in one process delays every request it has in
flight, and alone sets a latency p99. ``StallWatch`` wakes every ``interval_s``; when a
wake-up comes ``threshold_s`` or more late it records a stall with what explains it:

- ``cpu_ms``: the loop thread's own CPU time over the stall (close to ``lag_ms``: the loop
  was busy computing; far below: the process waited for a core, or sat in a blocking call);
- ``gc_ms`` and ``gc``: the garbage collections that ran meanwhile (they hold the loop);
- ``stack``: where the loop thread was while it was late (sampled by a watchdog thread,
  empty when a collection or a C call held the interpreter all along).

Every collection of ``threshold_s`` or more is recorded as well (``pauses``).
"""

import asyncio
import contextlib
import gc
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .logging import get_logger

log = get_logger(__name__)

KEPT = 1000
"""Stalls and pauses kept in memory (the newest) for a reader in the process."""
STACK_FRAMES = 8


@dataclass
class Stall:
    """One late wake-up of the event loop."""

    at: datetime
    lag_ms: float
    cpu_ms: float
    gc_ms: float
    gc: list[int] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)


@dataclass
class Pause:
    """One long garbage collection."""

    at: datetime
    generation: int
    ms: float
    collected: int


class StallWatch:
    """Records event-loop stalls and long garbage collections (``run`` in the loop)."""

    def __init__(
        self,
        *,
        threshold_s: float,
        interval_s: float = 0.01,
        sample_stacks: bool = True,
        log_stalls: bool = True,
    ) -> None:
        self.threshold_s = threshold_s
        self.interval_s = interval_s
        self.sample_stacks = sample_stacks
        self.log_stalls = log_stalls
        self.stalls: deque[Stall] = deque(maxlen=KEPT)
        self.pauses: deque[Pause] = deque(maxlen=KEPT)
        self.collections = [0, 0, 0]
        self.collection_s = [0.0, 0.0, 0.0]
        self._gc_started = 0.0
        self._gc_s = 0.0
        self._gc_generations: list[int] = []
        self._tick = time.perf_counter()
        self._stack: list[str] = []
        self._loop_thread = threading.get_ident()

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_started = now
            return
        spent = now - self._gc_started
        generation = int(info["generation"])
        self.collections[generation] += 1
        self.collection_s[generation] += spent
        self._gc_s += spent
        self._gc_generations.append(generation)
        if spent >= self.threshold_s:
            self.pauses.append(
                Pause(
                    at=datetime.now(UTC),
                    generation=generation,
                    ms=1000 * spent,
                    collected=int(info["collected"]),
                )
            )

    def _watch_stacks(self, stop: threading.Event) -> None:
        """Watchdog thread: the loop thread's stack once per stall, while it is late."""
        while not stop.wait(self.interval_s):
            if self._stack or time.perf_counter() - self._tick < self.threshold_s:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is not None:
                summary = traceback.extract_stack(frame)[-STACK_FRAMES:]
                self._stack = [f"{f.filename}:{f.lineno} {f.name}" for f in summary]

    async def run(self) -> None:
        """Wake every ``interval_s`` until cancelled, recording each late wake-up."""
        self._loop_thread = threading.get_ident()
        gc.callbacks.append(self._on_gc)
        stop = threading.Event()
        watchdog = None
        if self.sample_stacks:
            watchdog = threading.Thread(
                target=self._watch_stacks, args=(stop,), name="stall-watch", daemon=True
            )
            watchdog.start()
        try:
            while True:
                self._tick, cpu = time.perf_counter(), time.thread_time()
                self._gc_s, self._gc_generations, self._stack = 0.0, [], []
                await asyncio.sleep(self.interval_s)
                lag = time.perf_counter() - self._tick - self.interval_s
                if lag >= self.threshold_s:
                    self._record(lag, time.thread_time() - cpu)
        finally:
            stop.set()
            gc.callbacks.remove(self._on_gc)

    def _record(self, lag_s: float, cpu_s: float) -> None:
        stall = Stall(
            at=datetime.now(UTC),
            lag_ms=round(1000 * lag_s, 1),
            cpu_ms=round(1000 * cpu_s, 1),
            gc_ms=round(1000 * self._gc_s, 1),
            gc=list(self._gc_generations),
            stack=self._stack,
        )
        self.stalls.append(stall)
        if not self.log_stalls:
            return
        log.warning(
            "event loop stalled",
            lag_ms=stall.lag_ms,
            cpu_ms=stall.cpu_ms,
            gc_ms=stall.gc_ms,
            gc=stall.gc,
            where=stall.stack,
        )


@contextlib.asynccontextmanager
async def watching_stalls(threshold_s: float) -> AsyncIterator[StallWatch | None]:
    """Run a ``StallWatch`` for the duration (none when ``threshold_s`` is 0)."""
    if threshold_s <= 0:
        yield None
        return
    watch = StallWatch(threshold_s=threshold_s)
    task = asyncio.create_task(watch.run(), name="stall-watch")
    try:
        yield watch
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
