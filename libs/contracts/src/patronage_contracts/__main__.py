"""``python -m patronage_contracts write``: refresh the checked-in schemas and AsyncAPI."""

import sys
from pathlib import Path

from .asyncapi import render_asyncapi
from .compat import write_schemas

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    """Write ``schemas/*.json`` and ``asyncapi.json`` next to the package source."""
    if argv[:1] != ["write"]:
        print("usage: python -m patronage_contracts write", file=sys.stderr)
        return 2
    written = write_schemas(ROOT / "schemas")
    (ROOT / "asyncapi.json").write_text(render_asyncapi(), "utf-8")
    print(f"wrote {len(written)} schemas and asyncapi.json under {ROOT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
