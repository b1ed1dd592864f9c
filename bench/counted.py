"""Run a module counting its store commands and collections; write them on SIGUSR2.

``python bench/counted.py OUT.json MODULE``: a pymongo command listener (registered before
the module creates its client) counts each command by name and collection; SIGUSR2 writes
the counts so far to ``OUT.json`` (the benchmark takes the difference over a phase), and
first, to ``OUT.gc.json``, the garbage collections so far by generation: how many, their
wall and CPU seconds, the longest (wall), and the objects each generation holds now; and
the store commands that took at least 10, 50 and 100 ms to answer, and the longest; and to
``OUT.timeline.json`` when each command was sent (by tenth of a second of the wall clock, by
``command collection``) and every command of at least ``TIMED_COMMAND_MS`` with its end.
"""

import gc
import json
import os
import runpy
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from types import FrameType

from pymongo import monitoring

SLOW_COMMAND_MS = (10, 50, 100)
TIMED_COMMAND_MS = 50
"""A command this slow is listed with its time and what it was (the tail's timeline)."""


class CommandCounter(monitoring.CommandListener):
    """Store commands sent, by ``command collection``; how many took at least each of
    ``SLOW_COMMAND_MS`` to answer, and the longest."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.slower_than: Counter[int] = Counter()
        self.longest_us = 0
        # Tenth of a wall-clock second -> commands sent in it; the slow ones with their end.
        self.timeline: dict[int, Counter[str]] = {}
        self.slow: list[tuple[float, str, float]] = []
        self._sent: dict[int, str] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        where = target if isinstance(target, str) else ""
        what = f"{event.command_name} {where}".strip()
        self.counts[what] += 1
        self.timeline.setdefault(int(10 * time.time()), Counter())[what] += 1
        self._sent[event.request_id] = what

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._took(event.request_id, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._took(event.request_id, event.duration_micros)

    def _took(self, request_id: int, micros: int) -> None:
        what = self._sent.pop(request_id, "?")
        for ms in SLOW_COMMAND_MS:
            if micros >= 1000 * ms:
                self.slower_than[ms] += 1
        if micros >= 1000 * TIMED_COMMAND_MS:
            self.slow.append((time.time(), what, micros / 1000))
        self.longest_us = max(self.longest_us, micros)


class CollectionTimer:
    """Garbage collections by generation: count, wall and CPU seconds, the longest."""

    def __init__(self, *, garbage_types: bool = False) -> None:
        self.garbage_types: Counter[str] | None = Counter() if garbage_types else None
        if garbage_types:
            gc.set_debug(gc.DEBUG_SAVEALL)  # what each collection frees lands in gc.garbage
        self.count = [0, 0, 0]
        self.wall_s = [0.0, 0.0, 0.0]
        self.cpu_s = [0.0, 0.0, 0.0]
        self.max_s = [0.0, 0.0, 0.0]
        self._started = (0.0, 0.0)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = (time.perf_counter(), time.thread_time())
            return
        generation = info["generation"]
        wall = time.perf_counter() - self._started[0]
        self.count[generation] += 1
        self.wall_s[generation] += wall
        self.cpu_s[generation] += time.thread_time() - self._started[1]
        self.max_s[generation] = max(self.max_s[generation], wall)
        if self.garbage_types is not None:
            self.garbage_types.update(type(o).__qualname__ for o in gc.garbage)
            gc.garbage.clear()

    def figures(self) -> dict[str, list[float]]:
        return {
            "count": list(self.count),
            "wall_s": list(self.wall_s),
            "cpu_s": list(self.cpu_s),
            "max_s": list(self.max_s),
            "objects": [len(gc.get_objects(generation)) for generation in range(3)],
            "frozen": [gc.get_freeze_count()],
            **(
                {"garbage_types": dict(self.garbage_types.most_common(30))}
                if self.garbage_types is not None
                else {}
            ),
        }


def write_whole(path: Path, content: str) -> None:
    """Whole or not at all: the benchmark reads the file as soon as it appears."""
    partial = path.with_suffix(".part")
    partial.write_text(content)
    partial.rename(path)


def main() -> None:
    out, module = Path(sys.argv[1]), sys.argv[2]
    counter = CommandCounter()
    monitoring.register(counter)
    # BENCH_GARBAGE_TYPES=1: also what the collections freed, by type (cycles that reference
    # counting could not free), at the cost of keeping it until the callback drops it.
    collections = CollectionTimer(garbage_types=bool(os.environ.get("BENCH_GARBAGE_TYPES")))
    gc.callbacks.append(collections)

    def dump(signum: int, frame: FrameType | None) -> None:
        figures = {
            **collections.figures(),
            "commands_slower_than_ms": [counter.slower_than[ms] for ms in SLOW_COMMAND_MS],
            "longest_command_ms": [counter.longest_us / 1000],
        }
        write_whole(out.with_suffix(".gc.json"), json.dumps(figures))
        if collections.garbage_types is not None:
            collections.garbage_types.clear()  # each dump: what was freed since the last
        timeline = {"sent": counter.timeline, "slow": counter.slow}
        write_whole(out.with_suffix(".timeline.json"), json.dumps(timeline))
        write_whole(out, json.dumps(counter.counts))

    signal.signal(signal.SIGUSR2, dump)
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
