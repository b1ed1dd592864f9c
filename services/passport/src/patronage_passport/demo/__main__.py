"""``python -m patronage_passport.demo --families N``: register demo families."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from .load import load_families


def main(argv: Sequence[str] | None = None) -> int:
    """Run the loader; non-zero when a request failed with 5xx or did not get through."""
    parser = argparse.ArgumentParser(
        prog="python -m patronage_passport.demo",
        description="Generate realistic families of Lipetsk oblast and register their passports.",
    )
    parser.add_argument("--families", type=int, required=True, help="how many families")
    parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same families")
    parser.add_argument("--url", default="http://127.0.0.1:8001", help="passport service")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--no-progress", action="store_true", help="no progress line")
    args = parser.parse_args(argv)
    if args.families < 0 or args.concurrency < 1:
        parser.error("--families must be >= 0 and --concurrency >= 1")
    report = asyncio.run(
        load_families(
            args.url,
            args.families,
            seed=args.seed,
            concurrency=args.concurrency,
            progress=not args.no_progress,
        )
    )
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
