"""CPU of the replay's fold and split alone: no Kafka, no store, the cyclic GC off.

Generates the events of ``--requests`` help requests as ``bench/reporting.py`` produces
them (the same JSON bytes), folds them in memory the way the replay does (``_project`` into
one ``MonthBuckets``), then splits the held figures into documents as the final flush does
(nothing written before). Prints CPU µs per event of each step (best of ``--repeat``);
``--profile OUT.prof`` writes a cProfile of one fold + split instead. Not a test.

Run: ``.venv/bin/python bench/fold_cpu.py --requests 20000``.
"""

import argparse
import cProfile
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from patronage_reporting.figures.ops import MonthBuckets
from patronage_reporting.replay import _project
from reporting import ZONE, generate


class _Held:
    """What ``_project`` needs of the replay's writer: the states in memory."""

    def __init__(self) -> None:
        self.states: dict[str, Any] = {}
        self.dirty: set[str] = set()


def fold_and_split(values: list[bytes]) -> tuple[float, float, int]:
    """CPU seconds of the fold and of the split, and the figure documents made."""
    held, changes = _Held(), MonthBuckets()
    started = time.process_time()
    for value in values:
        _project(value, held, changes, ZONE)  # type: ignore[arg-type]
    folded = time.process_time()
    documents = 0
    for part in changes.parts():
        fresh, _ = part.split(set())
        documents += len(fresh)
    split = time.process_time()
    return folded - started, split - folded, documents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    values = [
        json.dumps(event, separators=(",", ":")).encode() for _, event, _ in generate(args.requests)
    ]
    gc.disable()
    if args.profile is not None:
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(fold_and_split, values)
        profiler.dump_stats(args.profile)
        return 0
    runs = [fold_and_split(values) for _ in range(args.repeat)]
    fold_s = min(r[0] for r in runs)
    split_s = min(r[1] for r in runs)
    n = len(values)
    print(
        f"{n} events, {runs[0][2]} figure documents: fold {fold_s / n * 1e6:.2f} µs/event, "
        f"split {split_s / n * 1e6:.2f} µs/event, "
        f"total {(fold_s + split_s) / n * 1e6:.2f} µs/event (best of {args.repeat})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
