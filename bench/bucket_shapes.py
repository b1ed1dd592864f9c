"""What a day bucket's shape costs FerretDB: the same N lines as a map, an array or one text.

A request list's day bucket holds one line per request (``request_lists.service``). FerretDB
reads and writes a document whole, and its cost grows with the document's fields. On a
fresh local FerretDB (SQLite), for N lines each kept as
- ``map``: ``{"lines": {<request id>: <packed line>, …}}`` (the layout before session 14),
- ``array``: ``{"lines": ["<request id>|<packed line>", …]}``,
- ``text``: ``{"packed": "<request id>|<packed line>\\n…"}`` (the layout now),
times a whole-document replace, a find by ``_id`` and a ``$set`` of one field, each the mean
of ``--repeat`` calls (ms of wall time; nothing else runs on the store).

    .venv/bin/python bench/bucket_shapes.py
"""

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LINE = "2026-11-24T10:00:00.000+00:00|routed|health=sent|1"


async def mean_ms(call: Callable[[], Awaitable[Any]], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        await call()
    return round((time.perf_counter() - start) / repeat * 1000, 2)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from patronage_devinfra.ferretdb import start_local_ferretdb
    from pymongo import AsyncMongoClient

    results: dict[str, Any] = {"repeat": args.repeat, "shapes": {}}
    with start_local_ferretdb("sqlite") as ferretdb:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ferretdb.mongodb_url)
        buckets = client["bench_bucket_shapes"]["buckets"]
        try:
            for n in args.lines:
                ids = [str(uuid.uuid4()) for _ in range(n)]
                rows = [f"{i}|{LINE}" for i in ids]
                shapes: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
                    "map": ({"lines": dict.fromkeys(ids, LINE)}, {f"lines.{ids[0]}": LINE}),
                    "array": ({"lines": rows}, {"touched": 1}),
                    "text": ({"packed": "\n".join(rows)}, {"touched": 1}),
                }
                for shape, (body, one_field) in shapes.items():
                    key = {"_id": f"{shape}-{n}"}
                    await buckets.replace_one(key, body, upsert=True)
                    figures = {
                        "replace_ms": await mean_ms(
                            lambda k=key, b=body: buckets.replace_one(k, b), args.repeat
                        ),
                        "find_ms": await mean_ms(lambda k=key: buckets.find_one(k), args.repeat),
                        "set_one_field_ms": await mean_ms(
                            lambda k=key, f=one_field: buckets.update_one(k, {"$set": f}),
                            args.repeat,
                        ),
                    }
                    results["shapes"].setdefault(shape, {})[str(n)] = figures
                    print(f"{n:6} lines, {shape:5}: {figures}", flush=True)
        finally:
            await client.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    out = ROOT / "bench" / "results" / "bucket-shapes.json"
    out.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
