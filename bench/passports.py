"""Passport service at scale: load N passports, then time create, read and search via the API.

Every figure is printed next to the raw store's time for the same query shape, measured in
the same run on the same store, so the look-up design is compared with what a plain
MongoDB-style query costs on FerretDB. Raw inserts and reads alternate with the API's creates
and reads, so both see the same background work; reads and searches are timed once the
search indexer has caught up with the creates.
"""

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import percentile  # noqa: E402


async def timed(fn: Callable[[], Awaitable[Any]], count: int) -> list[float]:
    """Durations of ``count`` sequential calls."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return samples


async def timed_pairs(
    api: Callable[[], Awaitable[Any]], raw: Callable[[], Awaitable[Any]], count: int
) -> tuple[list[float], list[float]]:
    """Durations of ``count`` API calls, each followed by one raw store call.

    Interleaved, the two see the same store, the same background work and the same
    machine: a tail in both is the store's (or the machine's), a tail in the API's alone
    the service's.
    """
    api_samples, raw_samples = [], []
    for _ in range(count):
        start = time.perf_counter()
        await api()
        middle = time.perf_counter()
        await raw()
        api_samples.append(middle - start)
        raw_samples.append(time.perf_counter() - middle)
    return api_samples, raw_samples


async def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["PATRONAGE_STORE_BACKEND"] = args.backend
    from patronage_common.crypto import DEVELOPMENT_KEY, FieldCipher
    from patronage_common.ports import free_port
    from patronage_common.store import create_mongo_client
    from patronage_devinfra.processes import spawn
    from patronage_devinfra.resolver import resolve
    from patronage_passport.demo.generator import generate_families
    from patronage_passport.passports.bulk import import_passports
    from patronage_passport.search.rebuild import rebuild_index
    from patronage_passport.settings import PassportSettings

    results: dict[str, Any] = {"backend": args.backend, "families": args.families}
    with resolve() as infra:
        results["store"] = f"{infra.kind} ({infra.store_backend})"
        print(f"infrastructure: {infra.kind}, store backend {infra.store_backend}", flush=True)
        database = f"bench_passport_{args.backend}"
        settings = PassportSettings(
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
            mongodb_url=infra.mongodb_url,
            mongodb_database=database,
            topic_prefix="bench.",
        )
        client = create_mongo_client(settings)
        db = client[database]
        await client.drop_database(database)
        await client.drop_database(f"{database}_search")

        start = time.perf_counter()
        families = list(generate_families(args.families + args.creates, seed=args.seed))
        results["generate_s"] = round(time.perf_counter() - start, 1)
        # The bench holds every generated family (≈ 40 objects each): out of the collector's
        # reach, or a full collection of millions of objects stops this process mid-sample.
        gc.freeze()
        print(f"generated {len(families)} families in {results['generate_s']} s", flush=True)

        start = time.perf_counter()

        def progress(done: int) -> None:
            rate = done / (time.perf_counter() - start)
            print(f"\r  imported {done}/{args.families} ({rate:.0f}/s)", end="", flush=True)

        stored = await import_passports(
            db=db,
            cipher=FieldCipher.from_setting(DEVELOPMENT_KEY),
            passports=families[: args.families],
            actor="bench",
            on_batch=progress,
        )
        results["import_s"] = round(time.perf_counter() - start, 1)
        print(f"\nimported {len(stored)} passports in {results['import_s']} s", flush=True)
        start = time.perf_counter()
        await rebuild_index(db=db)
        results["index_rebuild_s"] = round(time.perf_counter() - start, 1)
        print(f"search index rebuilt in {results['index_rebuild_s']} s", flush=True)

        port = free_port()
        log_dir = Path(tempfile.mkdtemp(prefix="bench-passport-"))
        process = spawn(
            "passport",
            [sys.executable, "-m", "patronage_passport"],
            log_path=log_dir / "passport.log",
            env={
                **os.environ,
                **infra.as_env(),
                "MONGODB_DATABASE": database,
                "TOPIC_PREFIX": "bench.",
                "HTTP_PORT": str(port),
                "LOG_LEVEL": "WARNING",
            },
        )
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                for _ in range(600):
                    try:
                        if (await http.get("/ready")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2)
                results.update(await measure(args, http, db, stored, families))
        finally:
            process.stop()
            await client.close()
    return results


async def measure(
    args: argparse.Namespace,
    http: httpx.AsyncClient,
    db: Any,
    stored: list[str],
    families: list[Any],
) -> dict[str, Any]:
    rng = random.Random(args.seed)
    sample = [f for f in families[: args.families]]
    out: dict[str, Any] = {}

    # Warm-up: the first requests pay for connections and caches.
    for family_id in rng.sample(stored, 50):
        await http.get(f"/passports/{family_id}")

    creates = iter(families[args.families :])

    created: list[str] = []

    async def create() -> None:
        response = await http.post(
            "/passports", json=next(creates).model_dump(mode="json"), headers={"X-Actor": "bench"}
        )
        assert response.status_code in (201, 409), response.text
        if response.status_code == 201:
            created.append(response.json()["family_id"])

    # The raw store, same shape: a passport document inserted by `_id`, each right after
    # an API create, so both run beside the same indexing.
    passports = db["passports"]
    probe = await passports.find_one({"_id": stored[0]})
    template = {k: v for k, v in probe.items() if k != "_id"}
    counter = iter(range(10**9))

    async def raw_insert() -> None:
        await passports.insert_one({**template, "_id": f"raw-{next(counter)}"})

    with phase(out, "create"):
        samples, raw_samples = await timed_pairs(create, raw_insert, args.creates)
    put(out, "api_create", samples)
    put(out, "raw_insert", raw_samples)
    report(out)

    # The indexer works through the new passports behind the API (its catch-up is
    # reported); reads and searches are timed once it is idle, as a steady-state service is.
    start = time.perf_counter()
    index = db.client[f"{db.name}_search"]  # the search index's own database
    pending = set(created)
    while pending:
        states = await asyncio.gather(
            *(index["search_state"].find_one({"_id": f}, {"_id": 1}) for f in pending)
        )
        pending -= {state["_id"] for state in states if state}
        if pending:
            await asyncio.sleep(1)
    out["index_catch_up_s"] = time.perf_counter() - start
    print("  reads and searches are timed after the indexer caught up", flush=True)
    report(out)

    async def read() -> None:
        response = await http.get(f"/passports/{rng.choice(stored)}")
        assert response.status_code == 200

    async def raw_read() -> None:
        await passports.find_one({"_id": rng.choice(stored)}, {"outbox": 0})

    with phase(out, "read"):
        samples, raw_samples = await timed_pairs(read, raw_read, args.reads)
    put(out, "api_read", samples)
    put(out, "raw_read", raw_samples)
    report(out)

    def query_params() -> dict[str, str]:
        family = rng.choice(sample)
        applicant = next(m for m in family.members if m.relation.value == "applicant")
        shape = rng.randrange(5)
        if shape == 0:
            return {"name": applicant.full_name.split()[0]}
        if shape == 1:
            return {"phone": family.contacts.phones[0]}
        if shape == 2:
            return {"district": family.address.district, "category": family.categories[0].value}
        if shape == 3:
            return {"curator_id": family.curator_id or ""}
        return {"district": family.address.district, "open_need": "psychological"}

    async def find() -> None:
        response = await http.get("/passports", params=query_params())
        assert response.status_code == 200, response.text

    with phase(out, "search"):
        samples = await timed(find, args.searches)
    put(out, "api_search", samples)
    report(out)

    # The raw store, same shapes: a full scan each (FerretDB pushes none of them down).
    def raw_filter() -> dict[str, Any]:
        params = query_params()
        if "name" in params:
            return {"members.full_name": {"$regex": "^" + params["name"]}}
        if "phone" in params:
            return {"contacts.phones": next(iter(params.values()))}
        if "category" in params:
            return {"address.district": params["district"], "categories": params["category"]}
        if "curator_id" in params:
            return {"curator_id": params["curator_id"]}
        return {"address.district": params["district"], "needs.category": params["open_need"]}

    async def raw_search() -> None:
        await passports.find(raw_filter()).sort("members.0.full_name", 1).limit(20).to_list()

    samples = await timed(raw_search, args.raw_searches)
    put(out, "raw_search", samples)
    report(out)
    out["raw_search_samples"] = len(samples)
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def put(out: dict[str, Any], name: str, samples: list[float]) -> None:
    """p50 and p99 of ``samples`` as ``<name>_p50_ms`` and ``<name>_p99_ms``."""
    out[f"{name}_p50_ms"], out[f"{name}_p99_ms"] = percentile(samples, 50), percentile(samples, 99)


@contextlib.contextmanager
def phase(out: dict[str, Any], name: str) -> Iterator[None]:
    """Time a phase with this process's collector off; record the load average after it.

    A pause of the bench itself lands in whichever sample it interrupts, and the freeze after
    generating the families does not cover what came later (the import's results, httpx's and
    pymongo's objects): a full collection walked them all in the middle of the creates (40 ms
    at 100k families). So what is left is collected and frozen before the phase, and the
    collector stays off while it runs (a phase allocates little that refcounting does not
    free). Its collections and longest pause in the phase are still recorded: both should be 0.
    """
    pauses: list[float] = []
    started: list[float] = []

    def on_gc(stage: str, _info: dict[str, Any]) -> None:
        if stage == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append(time.perf_counter() - started[0])

    gc.collect()
    gc.freeze()
    gc.disable()
    gc.callbacks.append(on_gc)
    try:
        yield
    finally:
        gc.callbacks.remove(on_gc)
        gc.enable()
        out[f"{name}_load_1m"] = os.getloadavg()[0]
        out[f"{name}_bench_gc_collections"] = len(pauses)
        out[f"{name}_bench_gc_max_ms"] = max(pauses, default=0.0) * 1000


def report(figures: dict[str, Any]) -> None:
    """Print the figures measured so far (a long run shows its progress)."""
    print(
        "  " + ", ".join(f"{k}={v:.1f}" for k, v in figures.items() if isinstance(v, float)),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--searches", type=int, default=2000)
    parser.add_argument("--raw-searches", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tag", default="", help="added to the results file's name")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\n{'operation':10} {'API p50':>9} {'API p99':>9} {'raw p50':>9} {'raw p99':>9}   (ms)")
    for op, raw in (("create", "insert"), ("read", "read"), ("search", "search")):
        print(
            f"{op:10} {results[f'api_{op}_p50_ms']:9.1f} {results[f'api_{op}_p99_ms']:9.1f}"
            f" {results[f'raw_{raw}_p50_ms']:9.1f} {results[f'raw_{raw}_p99_ms']:9.1f}"
        )
    suffix = f"-{args.tag}" if args.tag else ""
    out = ROOT / "bench" / "results" / f"passports-{args.backend}-{args.families}{suffix}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
