"""FerretDB's backends at scale: insert_one and find_one-by-_id latency on SQLite and PostgreSQL.

Each backend gets a fresh local FerretDB (and, for PostgreSQL, a fresh cluster) from
patronage_devinfra, N documents of a few KB in one collection, then sequential single-document
operations timed with pymongo. The query plan FerretDB reports for a find by `_id` is kept with
the figures, so a table scan is visible next to the time it costs.

`--ferretdb-binary` runs another build (e.g. an older cache entry) to compare before and after
a source patch.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from patronage_devinfra.ferretdb import BACKENDS, Backend, start_local_ferretdb
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[1]
LOAD_BATCH = 500


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in milliseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


def timed(fn: Callable[[], object], count: int) -> list[float]:
    """Durations of ``count`` sequential calls."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def make_document(rng: random.Random, doc_id: str, size: int) -> dict[str, Any]:
    """A passport-like document of roughly ``size`` bytes."""

    def text(n: int) -> str:
        return "".join(rng.choices(string.ascii_letters + " ", k=n))

    return {
        "_id": doc_id,
        "district": f"district-{rng.randrange(40)}",
        "members": [
            {"full_name": text(30), "born": f"19{rng.randrange(50, 99)}-01-01", "notes": text(80)}
            for _ in range(4)
        ],
        "phones": [f"+7{rng.randrange(10**9, 10**10)}"],
        "history": text(max(0, size - 600)),
    }


def plan_summary(plan: object) -> str:
    """Scan/search lines of FerretDB's ``explain`` answer (PostgreSQL JSON or SQLite rows)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "Node Type" in node:
                found.append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
            if "detail" in node:
                found.append(str(node["detail"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, str) and "detail=" in node:
            found.append(node.split("detail=", 1)[1])
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(plan)
    return "; ".join(found) or json.dumps(plan, default=str)[:300]


def measure_pages(
    collection: Any, rng: random.Random, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """find_one and a one-line ``$set`` of search-index-like pages of each size, by _id.

    A page is ``{"lines": {family id: packed posting}}`` of ~300-byte strings, as the
    passport search index stores it; which sizes a backend reads and rewrites slowly decides
    how finely the index must cut its pages.
    """
    figures: dict[str, dict[str, float]] = {}
    for kb in args.page_kb:
        ids = [f"page-{kb}-{i}" for i in range(20)]
        per_page = max(1, kb * 1000 // 330)
        collection.insert_many(
            [
                {
                    "_id": i,
                    "lines": {
                        f"f{n:05d}": "".join(rng.choices(string.ascii_letters, k=300))
                        for n in range(per_page)
                    },
                }
                for i in ids
            ]
        )
        ops = max(20, args.ops // 5)
        reads = timed(lambda ids=ids: collection.find_one({"_id": rng.choice(ids)}), ops)
        writes = timed(
            lambda ids=ids, per_page=per_page: collection.update_one(
                {"_id": rng.choice(ids)},
                {"$set": {f"lines.f{rng.randrange(per_page):05d}": "x" * 300}},
            ),
            ops,
        )
        figures[f"{kb}kb"] = {
            "find_p50_ms": round(percentile(reads, 50), 2),
            "find_p99_ms": round(percentile(reads, 99), 2),
            "set_line_p50_ms": round(percentile(writes, 50), 2),
            "set_line_p99_ms": round(percentile(writes, 99), 2),
        }
        print(f"  pages of {kb} KB: {figures[f'{kb}kb']}", flush=True)
    return figures


def measure(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    out: dict[str, Any] = {"backend": backend, "docs": args.docs, "doc_bytes": args.doc_bytes}
    with start_local_ferretdb(backend, binary=args.ferretdb_binary) as ferretdb:
        client: MongoClient[dict[str, Any]] = MongoClient(ferretdb.mongodb_url)
        try:
            collection = client["bench_store"]["docs"]
            ids = [f"doc-{i:07d}" for i in range(args.docs)]
            start = time.perf_counter()
            for first in range(0, args.docs, LOAD_BATCH):
                batch = ids[first : first + LOAD_BATCH]
                collection.insert_many([make_document(rng, i, args.doc_bytes) for i in batch])
                rate = (first + len(batch)) / (time.perf_counter() - start)
                print(f"\r  {backend}: loaded {first + len(batch)} ({rate:.0f}/s)", end="")
            out["load_s"] = round(time.perf_counter() - start, 1)
            print(f"\n  {backend}: {args.docs} documents in {out['load_s']} s", flush=True)

            explain = client["bench_store"].command(
                "explain", {"find": "docs", "filter": {"_id": ids[len(ids) // 2]}}
            )
            out["find_by_id_plan"] = plan_summary(explain.get("queryPlanner"))
            print(f"  {backend}: find by _id plan: {out['find_by_id_plan']}", flush=True)

            # Warm-up: connections, prepared statements, page cache.
            for doc_id in rng.sample(ids, 20):
                collection.find_one({"_id": doc_id})

            new_ids = iter(f"new-{i:07d}" for i in range(args.ops))
            samples = timed(
                lambda: collection.insert_one(make_document(rng, next(new_ids), args.doc_bytes)),
                args.ops,
            )
            out["insert_p50_ms"] = percentile(samples, 50)
            out["insert_p99_ms"] = percentile(samples, 99)

            def find_by_id() -> None:
                assert collection.find_one({"_id": rng.choice(ids)}) is not None

            samples = timed(find_by_id, args.ops)
            out["find_by_id_p50_ms"] = percentile(samples, 50)
            out["find_by_id_p99_ms"] = percentile(samples, 99)
            out["pages"] = measure_pages(client["bench_store"]["pages"], rng, args)
        finally:
            client.close()
    figures = {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}
    print(
        f"  {backend}: insert p50 {figures['insert_p50_ms']} p99 {figures['insert_p99_ms']} ms, "
        f"find_one by _id p50 {figures['find_by_id_p50_ms']} p99 {figures['find_by_id_p99_ms']} ms",
        flush=True,
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=BACKENDS, action="append", help="default: both")
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--ops", type=int, default=1000, help="timed operations of each kind")
    parser.add_argument("--doc-bytes", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--page-kb", type=int, nargs="+", default=[5, 40, 300], help="index page sizes timed"
    )
    parser.add_argument("--ferretdb-binary", type=Path, help="default: devinfra's patched build")
    parser.add_argument("--label", default="patched", help="names the result file")
    args = parser.parse_args()
    backends: list[Backend] = args.backend or list(BACKENDS)
    results = {"label": args.label, "runs": [measure(backend, args) for backend in backends]}
    print(json.dumps(results, indent=2))
    print(f"\n{'backend':11} {'insert p50':>10} {'p99':>8} {'find _id p50':>13} {'p99':>8}   (ms)")
    for run in results["runs"]:
        print(
            f"{run['backend']:11} {run['insert_p50_ms']:10.2f} {run['insert_p99_ms']:8.2f}"
            f" {run['find_by_id_p50_ms']:13.2f} {run['find_by_id_p99_ms']:8.2f}"
        )
    out = ROOT / "bench" / "results" / f"store-backends-{args.label}-{args.docs}.json"
    out.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
