"""Run a module counting its store commands; write the counts on SIGUSR2.

``python bench/counted.py OUT.json MODULE``: a pymongo command listener (registered before
the module creates its client) counts each command by name and collection; SIGUSR2 writes
the counts so far to ``OUT.json`` (the benchmark takes the difference over a phase).
"""

import json
import runpy
import signal
import sys
from collections import Counter
from pathlib import Path
from types import FrameType

from pymongo import monitoring


class CommandCounter(monitoring.CommandListener):
    """Store commands sent, by ``command collection``."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        where = target if isinstance(target, str) else ""
        self.counts[f"{event.command_name} {where}".strip()] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def main() -> None:
    out, module = Path(sys.argv[1]), sys.argv[2]
    counter = CommandCounter()
    monitoring.register(counter)

    def dump(signum: int, frame: FrameType | None) -> None:
        # Whole or not at all: the benchmark reads the file as soon as it appears.
        partial = out.with_suffix(".part")
        partial.write_text(json.dumps(counter.counts))
        partial.rename(out)

    signal.signal(signal.SIGUSR2, dump)
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
