"""Reporting at scale: the events of N help requests on the topics, in one run:

- load: the events (passport and request events of a year, in time order) are produced on
  fresh topics and also stored raw in the store (the baseline's input);
- replay: the figures are rebuilt from the topics (``patronage_reporting.replay``); events/s;
- dashboard: the requests dashboard of one district for one month and of the region for
  an arbitrary 30-day window, read from the figures; p50/p95 over repeated queries;
- baseline: the same district-month dashboard figures (requests by status now, created in
  the month, first-response median/p90) computed ad hoc by aggregation pipelines over the
  raw events in the store.

Run: ``.venv/bin/python bench/reporting.py --requests 200000``. Not a test.
"""

import argparse
import asyncio
import json
import math
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo import InsertOne

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ("material", "psychological", "education", "health", "employment", "housing")
AGENCY_OF = {
    "material": "social_protection",
    "psychological": "psychological_help",
    "education": "education",
    "health": "health",
    "employment": "employment",
    "housing": "housing",
}
DISTRICTS = 30
YEAR_END = datetime(2026, 11, 20, tzinfo=UTC)


def percentile_ms(samples: list[float], p: float) -> float:
    """Nearest-rank percentile in milliseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] * 1000


def envelope(kind: str, family: str, when: datetime, producer: str) -> dict[str, Any]:
    """The envelope fields of a contract event."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": kind,
        "schema_version": 1,
        "occurred_at": when.isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "producer": producer,
        "trace_context": {},
        "family_id": family,
    }


def generate(requests: int, seed: int = 7) -> list[tuple[str, dict[str, Any]]]:
    """(topic, event) pairs of a year: families with a need each, their requests' lives."""
    rng = random.Random(seed)
    families = max(1, requests // 2)
    out: list[tuple[datetime, int, str, dict[str, Any]]] = []
    seq = 0

    def add(topic: str, event: dict[str, Any], when: datetime) -> None:
        nonlocal seq
        seq += 1
        out.append((when, seq, topic, event))

    family_info = []
    for n in range(families):
        family = str(uuid.uuid4())
        district = f"d{n % DISTRICTS:02d}"
        curator = f"cur-{district}-{(n // DISTRICTS) % 40}"
        registered = YEAR_END - timedelta(days=400 - rng.random() * 30)
        family_info.append((family, district, curator))
        add(
            "passport.events",
            {
                **envelope("PassportRegistered", family, registered, "passport"),
                "district": district,
                "hq": f"hq-{district}",
                "categories": ["svo_family"],
                "curator_id": curator,
                "consent_given": True,
                "registered_by": curator,
            },
            registered,
        )
        add(
            "passport.events",
            {
                **envelope("NeedRecorded", family, registered, "passport"),
                "need_id": str(uuid.uuid4()),
                "category": rng.choice(CATEGORIES),
                "district": district,
                "recorded_by": curator,
            },
            registered,
        )
    for _ in range(requests):
        family, district, curator = rng.choice(family_info)
        request, task = str(uuid.uuid4()), str(uuid.uuid4())
        category = rng.choice(CATEGORIES)
        agency = AGENCY_OF[category]
        created = YEAR_END - timedelta(seconds=rng.random() * 365 * 86400)
        base = {"request_id": request, "category": category}
        status = {**base, "district": district, "curator_id": curator, "changed_by": "x"}
        add(
            "requests.events",
            {
                **envelope("RequestCreated", family, created, "requests"),
                **base,
                "urgency": "normal",
                "channel": "curator",
                "district": district,
                "hq": f"hq-{district}",
                "curator_id": curator,
                "created_by": curator,
            },
            created,
        )
        add(
            "requests.events",
            {
                **envelope("RequestRouted", family, created, "requests"),
                "request_id": request,
                "tasks": [{"task_id": task, "agency": agency}],
            },
            created,
        )
        add(
            "requests.events",
            {
                **envelope("RequestStatusChanged", family, created, "requests"),
                **status,
                "version": 1,
                "previous_status": "new",
                "status": "routed",
            },
            created,
        )
        if rng.random() < 0.9:
            answered = created + timedelta(seconds=rng.lognormvariate(9, 1.2))
            add(
                "requests.events",
                {
                    **envelope("AgencyTaskStatusChanged", family, answered, "requests"),
                    "request_id": request,
                    "task_id": task,
                    "agency": agency,
                    "status": "accepted",
                },
                answered,
            )
            add(
                "requests.events",
                {
                    **envelope("RequestStatusChanged", family, answered, "requests"),
                    **status,
                    "version": 2,
                    "previous_status": "routed",
                    "status": "accepted",
                },
                answered,
            )
            if rng.random() < 0.8:
                resolved = answered + timedelta(seconds=rng.lognormvariate(11, 1.0))
                add(
                    "requests.events",
                    {
                        **envelope("AgencyTaskStatusChanged", family, resolved, "requests"),
                        "request_id": request,
                        "task_id": task,
                        "agency": agency,
                        "status": "resolved",
                    },
                    resolved,
                )
                add(
                    "requests.events",
                    {
                        **envelope("RequestStatusChanged", family, resolved, "requests"),
                        **status,
                        "version": 3,
                        "previous_status": "accepted",
                        "status": "resolved",
                    },
                    resolved,
                )
    out.sort(key=lambda item: (item[0], item[1]))
    return [(topic, event) for _, _, topic, event in out]


async def produce(bootstrap: str, prefix: str, events: list[tuple[str, dict[str, Any]]]) -> float:
    """Produce the events on the prefixed topics; return the seconds it took."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=1 << 20
    )
    await producer.start()
    started = time.monotonic()
    try:
        pending = []
        for topic, event in events:
            pending.append(
                await producer.send(
                    prefix + topic, json.dumps(event).encode(), key=event["family_id"].encode()
                )
            )
            if len(pending) >= 20000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.monotonic() - started


async def store_raw(db: Any, events: list[tuple[str, dict[str, Any]]]) -> float:
    """Store every event as it is on the bus in one collection; return the seconds."""
    started = time.monotonic()
    operations = [InsertOne({"_id": e["event_id"], **e}) for _, e in events]
    for start in range(0, len(operations), 5000):
        await db["raw_events"].bulk_write(operations[start : start + 5000], ordered=False)
    return time.monotonic() - started


async def baseline_dashboard(db: Any, district: str, first: date, last: date) -> dict[str, Any]:
    """The district-month figures by aggregation over the raw events.

    FerretDB v1 implements neither ``$last`` nor ``$min`` in ``$group``: the pipelines select
    and project in the store, the per-request folds run here.
    """
    raw = db["raw_events"]
    lo, hi = first.isoformat(), (last + timedelta(days=1)).isoformat()
    # FerretDB v1 has no $last accumulator: the pipeline selects, the last status is folded here.
    statuses = raw.aggregate(
        [
            {"$match": {"type": "RequestStatusChanged", "district": district}},
            {"$project": {"request_id": 1, "version": 1, "status": 1}},
        ]
    )
    latest: dict[str, tuple[int, str]] = {}
    async for d in await statuses:
        if d["version"] > latest.get(d["request_id"], (0, ""))[0]:
            latest[d["request_id"]] = (d["version"], d["status"])
    by_status: dict[str, int] = {}
    for _, status in latest.values():
        by_status[status] = by_status.get(status, 0) + 1
    created = raw.aggregate(
        [
            {"$match": {"type": "RequestCreated", "district": district}},
            {"$project": {"request_id": 1, "occurred_at": 1}},
        ]
    )
    created_at = {d["request_id"]: d["occurred_at"] async for d in await created}
    in_month = sum(1 for at in created_at.values() if lo <= at < hi)
    # Nor $min: the first answer of each request is folded here too.
    answers = raw.aggregate(
        [
            {"$match": {"type": "AgencyTaskStatusChanged"}},
            {"$project": {"request_id": 1, "occurred_at": 1}},
        ]
    )
    first_answer: dict[str, str] = {}
    async for d in await answers:
        if d["request_id"] in created_at:
            known = first_answer.get(d["request_id"])
            if known is None or d["occurred_at"] < known:
                first_answer[d["request_id"]] = d["occurred_at"]
    durations = [
        (datetime.fromisoformat(at) - datetime.fromisoformat(created_at[rid])).total_seconds()
        for rid, at in first_answer.items()
        if lo <= at < hi
    ]
    durations.sort()
    return {
        "by_status": by_status,
        "created": in_month,
        "frt_median_s": durations[len(durations) // 2] if durations else None,
        "frt_p90_s": durations[int(len(durations) * 0.9)] if durations else None,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark; returns the figures."""
    from patronage_common.store import create_mongo_client
    from patronage_devinfra.resolver import resolve
    from patronage_reporting.dashboards.filters import Filters
    from patronage_reporting.dashboards.service import requests_dashboard
    from patronage_reporting.replay import replay
    from patronage_reporting.settings import ReportingSettings

    results: dict[str, Any] = {"requests": args.requests}
    with resolve() as infra:
        prefix = f"benchrep{uuid.uuid4().hex[:6]}."
        settings = ReportingSettings(
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
            mongodb_url=infra.mongodb_url,
            mongodb_database=f"bench_reporting_{prefix[:-1]}",
            topic_prefix=prefix,
            environment="test",
        )
        from patronage_common.messaging import ensure_topics

        await ensure_topics(settings)
        started = time.monotonic()
        events = generate(args.requests)
        results["events"] = len(events)
        results["generate_s"] = time.monotonic() - started
        print(f"generated {len(events)} events in {results['generate_s']:.0f} s", flush=True)
        results["produce_s"] = await produce(infra.kafka_bootstrap_servers, prefix, events)
        print(f"produced in {results['produce_s']:.0f} s", flush=True)
        client = create_mongo_client(settings)
        db = client[settings.database_name]
        raw_db = client[settings.database_name + "_raw"]
        try:
            results["store_raw_s"] = await store_raw(raw_db, events)
            print(f"raw events stored in {results['store_raw_s']:.0f} s", flush=True)
            del events
            replayed = await replay(settings, db, commit_offsets=False)
            results["replay_s"] = replayed.seconds
            results["replay_events_per_s"] = replayed.events_per_s
            print(f"replay: {replayed.events_per_s:.0f} events/s", flush=True)

            month = Filters(date(2026, 10, 1), date(2026, 10, 31), district="d07")
            window = Filters(date(2026, 9, 17), date(2026, 10, 16))
            for name, filters in (("district_month", month), ("region_30_days", window)):
                samples = []
                for _ in range(args.queries):
                    t = time.perf_counter()
                    await requests_dashboard(db, filters)
                    samples.append(time.perf_counter() - t)
                results[f"dashboard_{name}_p50_ms"] = percentile_ms(samples, 50)
                results[f"dashboard_{name}_p95_ms"] = percentile_ms(samples, 95)
                print(f"dashboard {name}: p95 {results[f'dashboard_{name}_p95_ms']:.1f} ms")
            live = await requests_dashboard(db, month)
            samples = []
            for _ in range(args.baseline_queries):
                t = time.perf_counter()
                base = await baseline_dashboard(raw_db, "d07", month.first, month.last)
                samples.append(time.perf_counter() - t)
            results["baseline_district_month_p50_ms"] = percentile_ms(samples, 50)
            results["speedup_p50"] = (
                results["baseline_district_month_p50_ms"]
                / results["dashboard_district_month_p50_ms"]
            )
            # The two must agree on the counts (durations: within the histogram precision).
            results["baseline_agrees"] = (
                base["by_status"] == live["live"]["by_status"]
                and base["created"] == live["period"]["created"]
            )
            results["projection_frt_median_s"] = live["period"]["first_response"]["median_s"]
            results["baseline_frt_median_s"] = base["frt_median_s"]
            print(f"baseline: p50 {results['baseline_district_month_p50_ms']:.0f} ms", flush=True)
        finally:
            await client.drop_database(settings.database_name)
            await client.drop_database(settings.database_name + "_raw")
            await client.close()
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}


def main() -> int:
    """Parse the arguments, run, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=3)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results" / f"reporting-{args.requests}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
