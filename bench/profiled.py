"""Run a module under cProfile from SIGUSR1 on and write the profile when it stops.

``python bench/profiled.py OUT.prof MODULE``: the profile counts CPU time (not time spent
waiting) from the first SIGUSR1, so that start-up stays out of it. uvicorn shuts down
gracefully on SIGTERM and then raises the signal again with the handler it found; that
handler is this one, which writes the profile and exits (``python -m cProfile`` would die
with the signal instead).
"""

import cProfile
import runpy
import signal
import sys
import time
from types import FrameType


def main() -> None:
    out, module = sys.argv[1], sys.argv[2]
    profiler = cProfile.Profile(time.process_time)

    def stop(signum: int, frame: FrameType | None) -> None:
        profiler.disable()
        profiler.dump_stats(out)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGUSR1, lambda signum, frame: profiler.enable())
    sys.argv = [module]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        profiler.disable()
        profiler.dump_stats(out)


if __name__ == "__main__":
    main()
