"""What one passport create, read, search and reindex cost: store round trips and CPU.

Creates and reads go through the service's ASGI app in this process (routing, middleware,
validation and serialization included, no socket); the round trips a create leaves behind
(the outbox publishing its events) are counted separately, once the outbox has drained.

Searches call the search flow in this process (no HTTP), so the CPU measured is the
service's own work for a search; round trips are counted with pymongo's command
monitoring. Run it against another checkout's package (``PYTHONPATH=<its src>``) to
compare two versions of the index on the same data.
"""

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import bson
from pymongo import monitoring

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import percentile  # noqa: E402


class CommandCounter(monitoring.CommandListener):
    """Counts the commands the client sends, by name."""

    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()
        self.count_bytes = False
        self.bytes_found = 0
        """Bytes of the documents ``find`` answered, while ``count_bytes`` (costs CPU)."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if self.count_bytes and event.command_name == "find":
            batch = event.reply.get("cursor", {}).get("firstBatch", [])
            self.bytes_found += sum(len(bson.encode(d)) for d in batch)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def total(self) -> int:
        """Commands sent so far (``endSessions`` and handshakes excluded)."""
        return sum(n for name, n in self.commands.items() if name in ROUND_TRIPS)


ROUND_TRIPS = {"find", "update", "insert", "delete", "getMore", "aggregate", "findAndModify"}


def query_shapes(families: list[Any], rng: random.Random) -> list[tuple[str, list[str]]]:
    """The five query shapes of ``bench/passports.py``, as index keys."""
    from patronage_passport.search.keys import name_tokens

    family = rng.choice(families)
    applicant = next(m for m in family.members if m.relation.value == "applicant")
    district = family.address.district
    return [
        ("name", [f"name:{name_tokens(applicant.full_name)[0]}"]),
        ("phone", [f"phone:{family.contacts.phones[0]}"]),
        ("district+category", [f"district:{district}", f"category:{family.categories[0].value}"]),
        ("curator", [f"curator:{family.curator_id}"] if family.curator_id else []),
        ("district+need", [f"district:{district}", "need:psychological"]),
    ]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from patronage_common.crypto import DEVELOPMENT_KEY, FieldCipher
    from patronage_common.store import create_mongo_client
    from patronage_devinfra.resolver import resolve
    from patronage_passport.demo.generator import generate_families
    from patronage_passport.passports.bulk import import_passports
    from patronage_passport.search import flows
    from patronage_passport.search.rebuild import rebuild_index
    from patronage_passport.settings import PassportSettings

    counter = CommandCounter()
    monitoring.register(counter)
    results: dict[str, Any] = {"families": args.families, "searches": args.searches}
    results["package"] = str(Path(flows.__file__).parent)
    with resolve() as infra:
        database = f"bench_passport_costs_{args.families}"
        settings = PassportSettings(
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
            mongodb_url=infra.mongodb_url,
            mongodb_database=database,
        )
        client = create_mongo_client(settings)
        db = client[database]
        try:
            await client.drop_database(database)
            await client.drop_database(f"{database}_search")
            families = list(generate_families(args.families, seed=args.seed))
            stored = await import_passports(
                db=db,
                cipher=FieldCipher.from_setting(DEVELOPMENT_KEY),
                passports=families,
                actor="bench",
            )
            start = time.perf_counter()
            await rebuild_index(db=db)
            results["rebuild_s"] = round(time.perf_counter() - start, 2)
            print(f"{len(stored)} passports, index rebuilt in {results['rebuild_s']} s", flush=True)
            results.update(await measure_api(args, settings, db, stored, counter))
            results["search"] = await measure_searches(args, db, families, counter, flows)
            results["reindex"] = await measure_reindex(args, db, stored, counter, flows)
            results["reindex_batch"] = await measure_reindex_batches(
                args, db, stored, counter, flows
            )
            # The search index lives in a database of its own (``search.service.index_db``).
            results["index_bytes"] = await index_sizes(client[f"{database}_search"])
            results["pages"] = await page_sizes(client[f"{database}_search"])
        finally:
            await client.drop_database(database)
            await client.drop_database(f"{database}_search")
            await client.close()
    return results


async def measure_searches(
    args: argparse.Namespace, db: Any, families: list[Any], counter: CommandCounter, flows: Any
) -> dict[str, Any]:
    """Round trips, CPU and wall time per search, over every shape and by shape."""
    rng = random.Random(args.seed)
    for _ in range(20):  # warm-up: connections, caches
        for _, keys in query_shapes(families, rng):
            await flows.search(db=db, keys=keys, after=None, limit=20)
    samples: dict[str, list[tuple[int, float, float]]] = {}
    for _ in range(args.searches // 5):
        for shape, keys in query_shapes(families, rng):
            trips, cpu, wall = counter.total(), time.process_time(), time.perf_counter()
            await flows.search(db=db, keys=keys, after=None, limit=20)
            samples.setdefault(shape, []).append(
                (counter.total() - trips, time.process_time() - cpu, time.perf_counter() - wall)
            )
    every = [s for shape in samples.values() for s in shape]
    out = {"all": summarize(every)} | {shape: summarize(s) for shape, s in samples.items()}
    # Bytes the store sent back per search, in a pass of its own (counting costs CPU).
    counter.count_bytes = True
    read: dict[str, list[int]] = {}
    for _ in range(args.searches // 5):
        for shape, keys in query_shapes(families, rng):
            before = counter.bytes_found
            await flows.search(db=db, keys=keys, after=None, limit=20)
            read.setdefault(shape, []).append(counter.bytes_found - before)
    counter.count_bytes = False
    for shape, sizes in read.items():
        out[shape]["kb_read_mean"] = round(sum(sizes) / len(sizes) / 1000, 1)
        out[shape]["kb_read_max"] = round(max(sizes) / 1000, 1)
    return out


async def page_sizes(db: Any) -> dict[str, Any]:
    """Sizes of the posting pages as BSON (KB): mean, p50, p99, largest, and by kind of key."""
    sizes: list[int] = []
    largest: dict[str, int] = {}
    async for page in db["search_postings"].find({}):
        size = len(bson.encode(page))
        sizes.append(size)
        kind = str(page["_id"]).split(":", 1)[0]
        largest[kind] = max(largest.get(kind, 0), size)
    sizes.sort()
    return {
        "pages": len(sizes),
        "mean_kb": round(sum(sizes) / max(1, len(sizes)) / 1000, 2),
        # ``percentile`` takes seconds and gives ms: bytes in, bytes × 1000 out.
        "p50_kb": round(percentile(sizes, 50) / 1e6, 2),
        "p99_kb": round(percentile(sizes, 99) / 1e6, 2),
        "max_kb": round(sizes[-1] / 1000, 1) if sizes else 0,
        "max_kb_by_kind": {k: round(v / 1000, 1) for k, v in sorted(largest.items())},
    }


async def measure_api(
    args: argparse.Namespace, settings: Any, db: Any, stored: list[str], counter: CommandCounter
) -> dict[str, Any]:
    """Round trips, CPU and wall time per create and per read through the app, in-process."""
    import httpx
    from patronage_common.app import create_service_app
    from patronage_passport.demo.generator import generate_families
    from patronage_passport.passports.api import router
    from patronage_passport.passports.errors import EXCEPTION_HANDLERS

    # The service's passport routes without its Kafka consumers: the indexer's work on the
    # new passports' events would land in the measured CPU of whichever request it overlaps.
    app = create_service_app(
        settings.model_copy(update={"topic_prefix": f"costs{args.seed}."}),
        title="costs",
        api_routers=[router],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    rng = random.Random(args.seed + 2)
    # Other families than the stored ones (another seed): creates are not duplicates.
    new = iter(generate_families(args.creates + 20, seed=args.seed + 1000))
    transport = httpx.ASGITransport(app=app)
    out: dict[str, Any] = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://costs") as http,
    ):
        runtime = app.state.runtime
        http.headers["X-Actor"] = "bench"

        async def create() -> None:
            response = await http.post("/passports", json=next(new).model_dump(mode="json"))
            assert response.status_code in (201, 409), response.text

        async def read() -> None:
            response = await http.get(f"/passports/{rng.choice(stored)}")
            assert response.status_code == 200, response.text

        for _ in range(20):  # warm-up
            await create()
            await read()
        await runtime.outbox.drain()
        creates, after = [], []
        for _ in range(args.creates):
            trips, cpu, wall = counter.total(), time.process_time(), time.perf_counter()
            await create()
            creates.append(
                (counter.total() - trips, time.process_time() - cpu, time.perf_counter() - wall)
            )
            trips, cpu, wall = counter.total(), time.process_time(), time.perf_counter()
            await runtime.outbox.drain()
            after.append(
                (counter.total() - trips, time.process_time() - cpu, time.perf_counter() - wall)
            )
        reads = []
        for _ in range(args.reads):
            trips, cpu, wall = counter.total(), time.process_time(), time.perf_counter()
            await read()
            reads.append(
                (counter.total() - trips, time.process_time() - cpu, time.perf_counter() - wall)
            )
    out["create"], out["create_outbox"], out["read"] = (
        summarize(creates),
        summarize(after),
        summarize(reads),
    )
    return out


async def measure_reindex(
    args: argparse.Namespace, db: Any, stored: list[str], counter: CommandCounter, flows: Any
) -> dict[str, Any]:
    """Round trips and CPU to reindex a passport whose first phone changed (line-only change)."""
    rng = random.Random(args.seed + 1)
    samples = []
    for family_id in rng.sample(stored, min(args.reindexes, len(stored))):
        document = await db["passports"].find_one({"_id": family_id}, {"contacts": 1})
        phones = [f"+7999{rng.randrange(10**7):07d}", *document["contacts"]["phones"]]
        await db["passports"].update_one(
            {"_id": family_id}, {"$set": {"contacts.phones": phones}, "$inc": {"version": 1}}
        )
        trips, cpu, wall = counter.total(), time.process_time(), time.perf_counter()
        await flows.reindex_family(db=db, family_id=family_id)
        samples.append(
            (counter.total() - trips, time.process_time() - cpu, time.perf_counter() - wall)
        )
    return summarize(samples)


async def measure_reindex_batches(
    args: argparse.Namespace, db: Any, stored: list[str], counter: CommandCounter, flows: Any
) -> dict[str, Any]:
    """Round trips and CPU per family when the indexer takes a batch of changed families.

    A version without ``reindex_families`` reindexes them one by one, as its one-event
    consumer did (which also looked up and recorded each event id: 2 more round trips).
    """
    rng = random.Random(args.seed + 3)
    samples = []
    batched = hasattr(flows, "reindex_families")
    for _ in range(args.batches):
        family_ids = rng.sample(stored, min(args.batch_size, len(stored)))
        for family_id in family_ids:
            document = await db["passports"].find_one({"_id": family_id}, {"contacts": 1})
            phones = [f"+7999{rng.randrange(10**7):07d}", *document["contacts"]["phones"]]
            await db["passports"].update_one(
                {"_id": family_id}, {"$set": {"contacts.phones": phones}, "$inc": {"version": 1}}
            )
        trips, cpu, wall = counter.total(), time.process_time(), time.perf_counter()
        if batched:
            await flows.reindex_families(db=db, family_ids=family_ids)
        else:
            for family_id in family_ids:
                await flows.reindex_family(db=db, family_id=family_id)
        n = len(family_ids)
        samples.append(
            (
                (counter.total() - trips) / n,
                (time.process_time() - cpu) / n,
                time.perf_counter() - wall,
            )
        )
    return {"batch_size": args.batch_size, "batched": batched, **summarize(samples)}


def summarize(samples: list[tuple[float, float, float]]) -> dict[str, float]:
    """Mean round trips and CPU, wall p50/p99, of ``(trips, cpu s, wall s)`` samples."""
    n = len(samples)
    return {
        "n": n,
        "round_trips": round(sum(s[0] for s in samples) / n, 1),
        "cpu_ms": round(sum(s[1] for s in samples) / n * 1000, 2),
        "wall_p50_ms": round(percentile([s[2] for s in samples], 50), 2),
        "wall_p99_ms": round(percentile([s[2] for s in samples], 99), 2),
    }


async def index_sizes(db: Any) -> dict[str, int]:
    """Stored size of each index collection (FerretDB's ``collStats``)."""
    sizes = {}
    for name in ("search_postings", "search_groups", "search_counts", "search_state"):
        try:
            stats = await db.command("collStats", name)
            sizes[name] = int(stats.get("size", 0))
        except Exception:  # a figure we can do without
            sizes[name] = -1
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=3000)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--reindexes", type=int, default=100)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--batches", type=int, default=10, help="indexer batches measured")
    parser.add_argument("--batch-size", type=int, default=50, help="changed families a batch")
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="", help="suffix of the result file (e.g. before)")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print("posting pages:", json.dumps(results["pages"], ensure_ascii=False))
    print(f"\n{'operation':24} {'trips':>6} {'CPU ms':>7} {'p50 ms':>7} {'p99 ms':>7}")
    rows = [(op, results[op]) for op in ("create", "create_outbox", "read")]
    rows += [*results["search"].items(), ("reindex", results["reindex"])]
    rows += [("reindex/family in batch", results["reindex_batch"])]
    for shape, figures in rows:
        print(
            f"{shape:24} {figures['round_trips']:6.1f} {figures['cpu_ms']:7.2f}"
            f" {figures['wall_p50_ms']:7.2f} {figures['wall_p99_ms']:7.2f}"
        )
    suffix = f"-{args.label}" if args.label else ""
    out = ROOT / "bench" / "results" / f"passport-costs-{args.families}{suffix}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
