"""FerretDB's backends at scale: insert_one and find_one-by-_id latency on SQLite and PostgreSQL.

Each backend gets a fresh local FerretDB (and, for PostgreSQL, a fresh cluster) from
patronage_devinfra, N documents of a few KB in one collection, then sequential single-document
operations timed with pymongo. The query plan FerretDB reports for a find by `_id` is kept with
the figures, so a table scan is visible next to the time it costs.

`--ferretdb-binary` runs another build (e.g. an older cache entry) to compare before and after
a source patch.

`--compare-go-defaults` starts a second FerretDB on the same store (same SQLite files, same
PostgreSQL cluster) with the Go runtime's defaults (GOGC=100, no memory limit) beside
devinfra's (GO_RUNTIME_ENV), and times both in alternating rounds, so both see the same data
and the same machine load. Both run with GODEBUG=gctrace=1: the bench counts each one's
collections and how often a read overlaps the end of one, for all reads and for slow ones.
`--variants` repeats the comparison with pymongo's AsyncMongoClient instead of the sync client
(`async:0`) and with a thread updating N documents a second by `_id` meanwhile (`sync:N`, as
the services' outbox relay and indexer write beside the reads). Each find also records how long
the client's thread and FerretDB's threads waited for a CPU (their schedstat run delay): on a
loaded machine that is most of a slow find. At 100k documents of passport size:

    .venv/bin/python bench/store_backends.py --docs 100000 --doc-bytes 4000 \
        --compare-go-defaults --variants sync:0,sync:20,async:0
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import random
import string
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from patronage_common.ports import free_port
from patronage_devinfra.ferretdb import (
    BACKENDS,
    GO_RUNTIME_ENV,
    Backend,
    LocalFerretDB,
    ensure_ferretdb_binary,
    ferretdb_args,
    ferretdb_env,
    mongo_ping,
    start_local_ferretdb,
)
from patronage_devinfra.processes import running, wait_until
from pymongo import AsyncMongoClient, MongoClient

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


class GcLog:
    """Wall-clock times at which a FerretDB process logged the end of a GC cycle (gctrace)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ends: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tail, daemon=True)
        self._thread.start()

    def _tail(self) -> None:
        with self.path.open(errors="replace") as log:
            log.seek(0, os.SEEK_END)
            while not self._stop.is_set():
                line = log.readline()
                if line.startswith("gc "):
                    self.ends.append(time.time())
                elif not line:
                    time.sleep(0.001)

    def between(self, start: float, end: float) -> int:
        """Cycles that ended in [start, end] (each line is read within ~1-2 ms)."""
        return bisect.bisect_right(self.ends, end + 0.002) - bisect.bisect_left(self.ends, start)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


Sample = tuple[float, float, float, float]
"""Wall-clock start and end of one operation, then the seconds that the client's thread and
FerretDB's threads (summed) waited for a CPU meanwhile (NaN for the async client)."""


def run_delay(path: str) -> float:
    """Seconds a task waited on a run queue (the second field of its schedstat)."""
    with open(path) as stat:
        return int(stat.read().split()[1]) / 1e9


def threads_run_delay(pid: int) -> float:
    total = 0.0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += run_delay(f"/proc/{pid}/task/{task}/schedstat")
    return total


def process_cpu_s(pid: int) -> float:
    """User plus system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_walls(fn: Callable[[], object], count: int, server_pid: int) -> list[Sample]:
    samples = []
    for _ in range(count):
        client_wait, server_wait = (
            run_delay("/proc/thread-self/schedstat"),
            threads_run_delay(server_pid),
        )
        start = time.time()
        fn()
        end = time.time()
        samples.append(
            (
                start,
                end,
                run_delay("/proc/thread-self/schedstat") - client_wait,
                threads_run_delay(server_pid) - server_wait,
            )
        )
    return samples


def summary(samples: list[Sample], gc_log: GcLog, slow_ms: float) -> dict[str, Any]:
    """Percentiles, the slow reads' share, and how often reads overlap a GC cycle's end."""
    durations = [end - start for start, end, *_ in samples]
    with_gc = [gc_log.between(start, end) > 0 for start, end, *_ in samples]
    slow = [d * 1000 > slow_ms for d in durations]
    slow_with_gc = sum(1 for s, g in zip(slow, with_gc, strict=True) if s and g)
    span = samples[-1][1] - samples[0][0]
    return {
        "ops": len(samples),
        "p50_ms": percentile(durations, 50),
        "p90_ms": percentile(durations, 90),
        "p99_ms": percentile(durations, 99),
        "max_ms": max(durations) * 1000,
        f"over_{slow_ms:g}_ms": sum(slow),
        "gc_cycles": gc_log.between(samples[0][0], samples[-1][1]),
        "ops_per_s": len(samples) / span,
        "share_overlapping_gc": sum(with_gc) / len(samples),
        "slow_share_overlapping_gc": slow_with_gc / max(1, sum(slow)),
        # Of the slow finds' time: how much the client's thread, and FerretDB's threads
        # together, spent runnable but waiting for a CPU (the machine's load, not the store).
        "slow_total_ms": sum(d for d, s in zip(durations, slow, strict=True) if s) * 1000,
        "slow_client_cpu_wait_ms": sum(x[2] for x, s in zip(samples, slow, strict=True) if s)
        * 1000,
        "slow_ferretdb_cpu_wait_ms": sum(x[3] for x, s in zip(samples, slow, strict=True) if s)
        * 1000,
    }


@contextlib.contextmanager
def writer(url: str, ids: list[str], rate: float) -> Iterator[None]:
    """Update ``rate`` documents a second by `_id` from a thread (0: no writer)."""
    if rate <= 0:
        yield
        return
    stop = threading.Event()

    def run() -> None:
        client: MongoClient[dict[str, Any]] = MongoClient(url)
        collection = client["bench_store"]["docs"]
        rng = random.Random(7)
        n = 0
        while not stop.wait(1 / rate):
            collection.update_one({"_id": rng.choice(ids)}, {"$set": {"touched": n}})
            n += 1
        client.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def find_samples(
    url: str, server_pid: int, ids: list[str], rng: random.Random, args: argparse.Namespace
) -> list[Sample]:
    """``args.ops`` finds by `_id`, timed with the sync or the async pymongo client."""
    if getattr(args, "client", "sync") == "async":
        return asyncio.run(async_find_samples(url, ids, rng, args.ops))
    client: MongoClient[dict[str, Any]] = MongoClient(url)
    try:
        collection = client["bench_store"]["docs"]
        for doc_id in rng.sample(ids, 20):
            collection.find_one({"_id": doc_id})

        def find_by_id() -> None:
            assert collection.find_one({"_id": rng.choice(ids)}) is not None

        return timed_walls(find_by_id, args.ops, server_pid)
    finally:
        client.close()


async def async_find_samples(
    url: str, ids: list[str], rng: random.Random, count: int
) -> list[Sample]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        collection = client["bench_store"]["docs"]
        for doc_id in rng.sample(ids, 20):
            await collection.find_one({"_id": doc_id})
        samples = []
        for _ in range(count):
            start = time.time()
            assert await collection.find_one({"_id": rng.choice(ids)}) is not None
            samples.append((start, time.time(), float("nan"), float("nan")))
        return samples
    finally:
        await client.close()


@contextlib.contextmanager
def second_ferretdb(
    first: LocalFerretDB, binary: Path, go_runtime: dict[str, str]
) -> Iterator[tuple[str, int]]:
    """Another FerretDB process on ``first``'s store with other Go runtime settings: URL, pid."""
    port = free_port()
    state_dir = first.data_dir / "second"
    state_dir.mkdir()
    with running(
        "ferretdb-second",
        ferretdb_args(binary, port, first.backend_args, state_dir),
        log_path=state_dir / "ferretdb.log",
        env=ferretdb_env(go_runtime),
        cwd=state_dir,
    ) as proc:
        url = f"mongodb://127.0.0.1:{port}/"
        wait_until(proc, lambda: mongo_ping(url), timeout=60, what="ping answered")
        yield url, proc.pid


def compare_go_runtimes(
    ferretdb: LocalFerretDB, ids: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    """Reads through devinfra's FerretDB and one with Go's defaults, in alternating rounds."""
    binary = args.ferretdb_binary or ensure_ferretdb_binary()
    gctrace = {"GODEBUG": "gctrace=1"}
    with second_ferretdb(ferretdb, binary, gctrace) as (defaults_url, defaults_pid):
        configs: dict[str, tuple[str, int, GcLog]] = {
            "go-defaults": (
                defaults_url,
                defaults_pid,
                GcLog(ferretdb.data_dir / "second" / "ferretdb.log"),
            ),
            "devinfra": (ferretdb.mongodb_url, ferretdb.pid, GcLog(ferretdb.log_path)),
        }
        out: dict[str, Any] = {}
        try:
            for variant in args.variants.split(","):
                client, rate = variant.split(":")
                variant_args = argparse.Namespace(**{**vars(args), "client": client})
                samples: dict[str, list[Sample]] = {name: [] for name in configs}
                cpu_s = dict.fromkeys(configs, 0.0)
                rng = random.Random(args.seed + 1)
                for round_ in range(args.rounds):
                    for name, (url, pid, _log) in configs.items():
                        with writer(url, ids, float(rate)):
                            cpu_before = process_cpu_s(pid)
                            samples[name] += find_samples(url, pid, ids, rng, variant_args)
                            cpu_s[name] += process_cpu_s(pid) - cpu_before
                    print(f"\r  {ferretdb.backend} {variant}: round {round_ + 1}", end="")
                print()
                out[f"{client}-writer{rate}"] = {
                    name: {
                        "env": GO_RUNTIME_ENV if name == "devinfra" else {},
                        "load_1m": os.getloadavg()[0],
                        # With the writer's updates, if any, in the same time.
                        "ferretdb_cpu_ms_per_find": cpu_s[name] * 1000 / len(samples[name]),
                        **{
                            k: round(v, 3) if isinstance(v, float) else v
                            for k, v in summary(samples[name], log, args.slow_ms).items()
                        },
                    }
                    for name, (_url, _pid, log) in configs.items()
                }
            return out
        finally:
            for _url, _pid, log in configs.values():
                log.close()


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
    go_runtime = {**GO_RUNTIME_ENV, "GODEBUG": "gctrace=1"}
    pragmas = args.pragma if backend == "sqlite" else []
    if pragmas:
        out["sqlite_pragmas"] = pragmas
    with start_local_ferretdb(
        backend, binary=args.ferretdb_binary, go_runtime=go_runtime, sqlite_pragmas=pragmas
    ) as ferretdb:
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
            out["insert_writes_per_s"] = args.insert_writes
            with writer(ferretdb.mongodb_url, ids, args.insert_writes):
                samples = timed(
                    lambda: collection.insert_one(
                        make_document(rng, next(new_ids), args.doc_bytes)
                    ),
                    args.ops,
                )
            out["insert_p50_ms"] = percentile(samples, 50)
            out["insert_p99_ms"] = percentile(samples, 99)
            out["insert_max_ms"] = max(samples) * 1000
            out["inserts_over_slow_ms"] = sum(s * 1000 > args.slow_ms for s in samples)

            def find_by_id() -> None:
                assert collection.find_one({"_id": rng.choice(ids)}) is not None

            samples = timed(find_by_id, args.ops)
            out["find_by_id_p50_ms"] = percentile(samples, 50)
            out["find_by_id_p99_ms"] = percentile(samples, 99)
            out["pages"] = measure_pages(client["bench_store"]["pages"], rng, args)
        finally:
            client.close()
        if args.compare_go_defaults:
            out["load_before"] = os.getloadavg()
            out["go_runtime"] = compare_go_runtimes(ferretdb, ids, args)
            out["load_after"] = os.getloadavg()
            for variant, configs in out["go_runtime"].items():
                for name, figures in configs.items():
                    print(f"  {backend} {variant} {name}: {json.dumps(figures)}", flush=True)
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
    parser.add_argument(
        "--compare-go-defaults",
        action="store_true",
        help="also time finds through a second FerretDB with Go's GC defaults, alternating",
    )
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds of --ops finds")
    parser.add_argument(
        "--variants",
        default="sync:0",
        help="comma-separated CLIENT:WRITES_PER_S (client sync or async; updates by `_id` a "
        "second from a thread beside the finds), e.g. sync:0,sync:20,async:0",
    )
    parser.add_argument(
        "--slow-ms", type=float, default=10.0, help="a slow find or insert, in the summary"
    )
    parser.add_argument(
        "--pragma",
        action="append",
        default=[],
        help="a SQLite pragma added to devinfra's, e.g. wal_autocheckpoint(4000) (repeatable)",
    )
    parser.add_argument(
        "--insert-writes",
        type=float,
        default=0.0,
        help="updates by `_id` a second from a thread while the inserts are timed",
    )
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
