"""Reporting at scale: the events of N help requests, in one run, each phase timed.

- generate + produce: families (PassportRegistered, NeedRecorded) and the life of every
  request (created, routed, accepted, maybe in progress, resolved or rejected, maybe
  closed; SLA warnings, breaches and escalations to the district head, HQ and region for
  some; feedback for some) generated request by request, in time order of creation, and
  produced straight onto fresh topics in batches (a request's events in causal order, keyed
  by family, as the requests service publishes them);
- raw load: the raw events (as on the bus, every field) of the requests of the district the
  baseline reads (1 of 30 districts) go into the store with ``insert_many`` in large
  batches, while producing. Why not all of them: FerretDB v1 bulk-inserts such events at
  ~6,000/s and scans them at ~200 µs each on this machine, so the events of 1,000,000
  requests (~8 M) would take ~20 min to load and each baseline pipeline ~25 min to scan.
  The baseline thus runs over a collection 30 times smaller than the real one and its time
  is a lower bound: the speedup printed is a lower bound too;
- replay: the figures are rebuilt from the topics (``patronage_reporting.replay``); events/s
  and CPU-ms per event of this process (add ``--store-pid`` for the store's);
- dashboard: the requests dashboard of that district for one month and of the region for
  an unaligned 30-day window, from the figures; p50/p95 over repeated queries;
- baseline: the same district-month figures (requests by status now, created in the month,
  first response and resolution median/p90, SLA breaches, escalations, ratings) computed ad
  hoc over the raw events in the store: one aggregation pipeline selects and projects, and
  since FerretDB v1 has neither ``$last`` nor ``$min`` in ``$group`` the per-request fold
  (latest status, first answer) runs here, in Python. The counts are checked to agree.

Run: ``.venv/bin/python bench/reporting.py --requests 1000000`` (default 20,000). Not a test.
"""

import argparse
import asyncio
import json
import math
import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

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
BASELINE_DISTRICT = "d07"
YEAR_START = datetime(2025, 11, 20, tzinfo=UTC)
YEAR_S = 365 * 86400
RAW_BATCH = 10_000
ZONE = ZoneInfo("Europe/Moscow")
"""The region's time zone: the figures' calendar days (the service's default)."""
ESCALATION_LEVELS = ("district_head", "hq_coordinator", "regional_coordinator")


def percentile_ms(samples: list[float], p: float) -> float:
    """Nearest-rank percentile in milliseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] * 1000


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Events:
    """Builds contract events as they travel on the bus (their JSON form)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def envelope(self, kind: str, family: str, when: datetime, producer: str) -> dict[str, Any]:
        return {
            "event_id": self.uid(),
            "type": kind,
            "schema_version": 1,
            "occurred_at": when.isoformat(),
            "correlation_id": self.uid(),
            "causation_id": None,
            "producer": producer,
            "trace_context": {},
            "family_id": family,
        }


def family_of(n: int, rng: random.Random, events: Events) -> tuple[dict[str, str], list[Any]]:
    """Family number n: its facts and its passport events."""
    district = f"d{n % DISTRICTS:02d}"
    family = {
        "id": events.uid(),
        "district": district,
        "hq": f"hq-{district}",
        "curator": f"cur-{district}-{(n // DISTRICTS) % 40}",
    }
    registered = YEAR_START - timedelta(days=30 * rng.random())
    out = [
        {
            **events.envelope("PassportRegistered", family["id"], registered, "passport"),
            "district": district,
            "hq": family["hq"],
            "categories": ["svo_family"],
            "curator_id": family["curator"],
            "consent_given": True,
            "registered_by": family["curator"],
        },
        {
            **events.envelope("NeedRecorded", family["id"], registered, "passport"),
            "need_id": events.uid(),
            "category": rng.choice(CATEGORIES),
            "district": district,
            "recorded_by": family["curator"],
        },
    ]
    return family, out


def request_life(
    family: dict[str, str], created: datetime, rng: random.Random, events: Events
) -> list[dict[str, Any]]:
    """The events of one request's life, in causal order."""
    fam, district, hq, curator = family["id"], family["district"], family["hq"], family["curator"]
    request, task = events.uid(), events.uid()
    category = rng.choice(CATEGORIES)
    agency = AGENCY_OF[category]
    urgency = "urgent" if rng.random() < 0.1 else "normal"
    out: list[dict[str, Any]] = []
    version = 0
    status = "new"

    def request_status(new: str, when: datetime) -> None:
        nonlocal version, status
        version += 1
        out.append(
            {
                **events.envelope("RequestStatusChanged", fam, when, "requests"),
                "request_id": request,
                "version": version,
                "previous_status": status,
                "status": new,
                "category": category,
                "district": district,
                "curator_id": curator,
                "changed_by": agency if new != "closed" else curator,
                "hq": hq,
            }
        )
        status = new

    def task_status(new: str, when: datetime) -> None:
        out.append(
            {
                **events.envelope("AgencyTaskStatusChanged", fam, when, "requests"),
                "request_id": request,
                "task_id": task,
                "agency": agency,
                "status": new,
            }
        )

    def sla(kind: str, clock: str, due: datetime, when: datetime, **extra: Any) -> None:
        budget = 2 * 86400 if clock == "first_response" else 10 * 86400
        elapsed = int(budget * (0.75 if kind == "SlaWarning" else 1.0)) + extra.get("overdue_s", 0)
        out.append(
            {
                **events.envelope(kind, fam, when, "requests"),
                "request_id": request,
                "clock": clock,
                "due_at": due.isoformat(),
                "budget_s": budget,
                "elapsed_s": elapsed,
                "percent": round(100 * elapsed / budget),
                "business_time": urgency != "urgent",
                "category": category,
                "urgency": urgency,
                "district": district,
                "hq": hq,
                "curator_id": curator,
                **extra,
            }
        )

    out.append(
        {
            **events.envelope("RequestCreated", fam, created, "requests"),
            "request_id": request,
            "category": category,
            "urgency": urgency,
            "channel": rng.choice(("curator", "family_app", "dispatcher")),
            "district": district,
            "hq": hq,
            "curator_id": curator,
            "created_by": curator,
        }
    )
    routed = created + timedelta(seconds=rng.uniform(1, 30))
    out.append(
        {
            **events.envelope("RequestRouted", fam, routed, "requests"),
            "request_id": request,
            "tasks": [{"task_id": task, "agency": agency}],
        }
    )
    request_status("routed", routed)
    fr_due = created + timedelta(days=2)
    if rng.random() < 0.08:
        return out  # never answered (yet): stays routed
    answered = created + timedelta(seconds=rng.lognormvariate(10.5, 1.0))
    if answered > fr_due - timedelta(days=0.5):
        sla("SlaWarning", "first_response", fr_due, fr_due - timedelta(days=0.5))
    if answered > fr_due:
        sla("SlaBreached", "first_response", fr_due, fr_due)
        for step, level in enumerate(ESCALATION_LEVELS, start=1):
            fired = fr_due + timedelta(days=step)
            if answered <= fired:
                break
            sla(
                "RequestEscalated",
                "first_response",
                fr_due,
                fired,
                level=level,
                step=step,
                overdue_s=step * 86400,
            )
    task_status("accepted", answered)
    request_status("accepted", answered)
    when = answered
    if rng.random() < 0.5:
        when += timedelta(seconds=rng.lognormvariate(9, 1.0))
        task_status("in_progress", when)
        request_status("in_progress", when)
    if rng.random() < 0.1:
        return out  # still being handled
    done = when + timedelta(seconds=rng.lognormvariate(12, 0.8))
    res_due = created + timedelta(days=10)
    if done > res_due:
        sla("SlaWarning", "resolution", res_due, res_due - timedelta(days=2.5))
        sla("SlaBreached", "resolution", res_due, res_due)
    outcome = "rejected" if rng.random() < 0.1 else "resolved"
    task_status(outcome, done)
    request_status(outcome, done)
    if outcome == "resolved" and rng.random() < 0.4:
        rated = done + timedelta(hours=rng.uniform(1, 72))
        out.append(
            {
                **events.envelope("FeedbackReceived", fam, rated, "requests"),
                "request_id": request,
                "rating": rng.choice((3, 4, 4, 5, 5, 5, 2, 1)),
                "category": category,
                "curator_id": curator,
                "district": district,
                "given_by": "family",
            }
        )
    if rng.random() < 0.7:
        request_status("closed", done + timedelta(days=rng.uniform(1, 5)))
    return out


def generate(requests: int, seed: int = 7) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(topic, event, raw?) of the families and the requests, request after request.

    Requests are created in time order over a year; ``raw?`` marks the events of the
    baseline district's requests (they also go into the store).
    """
    rng = random.Random(seed)
    events = Events(rng)
    families = []
    for n in range(max(1, requests // 2)):
        family, passport = family_of(n, rng, events)
        families.append(family)
        for event in passport:
            yield "passport.events", event, False
    for i in range(requests):
        family = families[rng.randrange(len(families))]
        created = YEAR_START + timedelta(seconds=(i + rng.random()) * YEAR_S / requests)
        raw = family["district"] == BASELINE_DISTRICT
        for event in request_life(family, created, rng, events):
            yield "requests.events", event, raw


class BatchProducer:
    """Events appended to one open batch per partition, each sent whole when full.

    aiokafka's ``send`` costs a future and a task switch per message; building batches
    (``create_batch``/``send_batch``) loads millions of events in a fraction of the time.
    The partition is the producer's own choice for the key, so a family's events share one.
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.partitioner = DefaultPartitioner()
        self.partitions: dict[str, list[int]] = {}
        self.partition_of: dict[tuple[str, bytes], int] = {}
        self.batches: dict[tuple[str, int], Any] = {}
        self.sent: list[asyncio.Future[Any]] = []

    async def append(self, topic: str, key: bytes, value: bytes) -> None:
        """Add one message; send its partition's batch first if it is full."""
        partition = self.partition_of.get((topic, key))
        if partition is None:
            if topic not in self.partitions:
                self.partitions[topic] = sorted(await self.producer.partitions_for(topic))
            every = self.partitions[topic]
            partition = self.partition_of[(topic, key)] = self.partitioner(key, every, every)
        batch = self.batches.get((topic, partition))
        if batch is None:
            batch = self.batches[(topic, partition)] = self.producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:
            await self._send(topic, partition, batch)
            batch = self.batches[(topic, partition)] = self.producer.create_batch()
            batch.append(key=key, value=value, timestamp=None)

    async def _send(self, topic: str, partition: int, batch: Any) -> None:
        batch.close()
        self.sent.append(await self.producer.send_batch(batch, topic, partition=partition))
        if len(self.sent) >= 64:
            await asyncio.gather(*self.sent)
            self.sent.clear()

    async def flush(self) -> None:
        """Send every open batch and wait until all are acknowledged."""
        for (topic, partition), batch in self.batches.items():
            if batch.record_count():
                await self._send(topic, partition, batch)
        self.batches.clear()
        await asyncio.gather(*self.sent)
        self.sent.clear()


async def load(
    bootstrap: str, prefix: str, raw_collection: Any, requests: int
) -> dict[str, float | int]:
    """Produce every event onto the topics in batches; insert the raw ones meanwhile."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks=1,
        max_batch_size=1 << 20,
        compression_type=None,
    )
    await producer.start()
    batches = BatchProducer(producer)
    started = time.monotonic()
    figures: dict[str, float | int] = {"events": 0, "raw_events": 0, "raw_insert_s": 0.0}
    raw_batch: list[dict[str, Any]] = []
    inserting: asyncio.Task[None] | None = None

    async def insert(previous: asyncio.Task[None] | None, batch: list[dict[str, Any]]) -> None:
        if previous is not None:
            await previous
        t = time.monotonic()
        await raw_collection.insert_many(batch, ordered=False)
        figures["raw_insert_s"] += time.monotonic() - t

    try:
        for topic, event, raw in generate(requests):
            figures["events"] += 1
            value = json.dumps(event, separators=(",", ":")).encode()
            await batches.append(prefix + topic, event["family_id"].encode(), value)
            if raw:
                raw_batch.append({"_id": event["event_id"], **event})
                if len(raw_batch) >= RAW_BATCH:
                    figures["raw_events"] += len(raw_batch)
                    inserting = asyncio.create_task(insert(inserting, raw_batch))
                    raw_batch = []
        await batches.flush()
        if raw_batch:
            figures["raw_events"] += len(raw_batch)
            inserting = asyncio.create_task(insert(inserting, raw_batch))
        if inserting is not None:
            await inserting
    finally:
        await producer.stop()
    figures["load_s"] = time.monotonic() - started
    return figures


def _median_p90(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    values.sort()
    n = len(values)
    return values[math.ceil(0.5 * n) - 1], values[math.ceil(0.9 * n) - 1]


async def baseline_dashboard(raw: Any, district: str, first: date, last: date) -> dict[str, Any]:
    """The district-month figures by one aggregation pipeline over the raw events.

    The store selects the request events and projects the fields; FerretDB v1 implements
    neither ``$last`` nor ``$min`` in ``$group``, so the per-request folds run here.
    """
    lo, hi = (
        datetime.combine(day, datetime.min.time(), ZONE).astimezone(UTC).isoformat()
        for day in (first, last + timedelta(days=1))
    )
    cursor = await raw.aggregate(
        [
            {
                "$match": {
                    "type": {
                        "$in": [
                            "RequestCreated",
                            "RequestStatusChanged",
                            "AgencyTaskStatusChanged",
                            "SlaBreached",
                            "RequestEscalated",
                            "FeedbackReceived",
                        ]
                    }
                }
            },
            {
                "$project": {
                    "type": 1,
                    "request_id": 1,
                    "district": 1,
                    "occurred_at": 1,
                    "version": 1,
                    "status": 1,
                    "clock": 1,
                    "level": 1,
                    "rating": 1,
                }
            },
        ]
    )
    created_at: dict[str, str] = {}
    latest: dict[str, tuple[int, str]] = {}
    first_answer: dict[str, str] = {}
    resolved_at: dict[str, str] = {}
    breaches: dict[str, int] = {}
    escalations: dict[str, int] = {}
    ratings: dict[str, int] = {}
    async for d in cursor:
        kind, rid, at = d["type"], d["request_id"], d["occurred_at"]
        if kind == "RequestCreated":
            if d.get("district") == district:
                created_at[rid] = at
        elif kind == "RequestStatusChanged":
            if d["version"] > latest.get(rid, (0, ""))[0]:
                latest[rid] = (d["version"], d["status"])
            if d["status"] in ("resolved", "rejected", "closed"):
                if rid not in resolved_at or at < resolved_at[rid]:
                    resolved_at[rid] = at
                if rid not in first_answer or at < first_answer[rid]:
                    first_answer[rid] = at
        elif kind == "AgencyTaskStatusChanged":
            if rid not in first_answer or at < first_answer[rid]:
                first_answer[rid] = at
        elif lo <= at < hi and d.get("district") == district:
            if kind == "SlaBreached":
                breaches[d["clock"]] = breaches.get(d["clock"], 0) + 1
            elif kind == "RequestEscalated":
                escalations[d["level"]] = escalations.get(d["level"], 0) + 1
            else:
                key = str(d["rating"])
                ratings[key] = ratings.get(key, 0) + 1
    by_status: dict[str, int] = {}
    for rid, (_, status) in latest.items():
        if rid in created_at:
            by_status[status] = by_status.get(status, 0) + 1

    def durations(stops: dict[str, str]) -> list[float]:
        return [
            (datetime.fromisoformat(at) - datetime.fromisoformat(created_at[rid])).total_seconds()
            for rid, at in stops.items()
            if rid in created_at and lo <= at < hi
        ]

    frt = _median_p90(durations(first_answer))
    ttr = _median_p90(durations(resolved_at))
    return {
        "by_status": by_status,
        "created": sum(1 for at in created_at.values() if lo <= at < hi),
        "frt_median_s": frt[0],
        "frt_p90_s": frt[1],
        "ttr_median_s": ttr[0],
        "ttr_p90_s": ttr[1],
        "breached": breaches,
        "escalated": escalations,
        "ratings": ratings,
    }


async def timed_queries(query: Any, n: int) -> list[float]:
    """Run an async query n times; the durations in seconds."""
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        await query()
        samples.append(time.perf_counter() - t)
    return samples


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark; returns the figures."""
    from patronage_common.messaging import ensure_topics
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
        await ensure_topics(settings)
        client = create_mongo_client(settings)
        db = client[settings.database_name]
        raw_db = client[settings.database_name + "_raw"]
        store_pid = args.store_pid
        try:
            cpu = time.process_time()
            loaded = await load(
                infra.kafka_bootstrap_servers, prefix, raw_db["raw_events"], args.requests
            )
            results.update(loaded)
            results["load_cpu_ms_per_event"] = 1000 * (time.process_time() - cpu) / loaded["events"]
            print(
                f"generated and produced {loaded['events']} events in {loaded['load_s']:.0f} s; "
                f"{loaded['raw_events']} raw events inserted in {loaded['raw_insert_s']:.0f} s",
                flush=True,
            )

            cpu = time.process_time()
            store_cpu = cpu_s(store_pid) if store_pid else 0.0
            replayed = await replay(settings, db, commit_offsets=False)
            results["replay_s"] = replayed.seconds
            results["replay_events_per_s"] = replayed.events_per_s
            results["replay_final_write_s"] = replayed.write_seconds
            results["replay_figure_documents"] = replayed.figure_documents
            results["replay_past_figure_documents"] = replayed.past_figure_documents
            results["replay_figure_updates"] = replayed.figure_updates
            results["replay_cpu_ms_per_event"] = (
                1000 * (time.process_time() - cpu) / max(replayed.events, 1)
            )
            if store_pid:
                results["replay_store_cpu_ms_per_event"] = (
                    1000 * (cpu_s(store_pid) - store_cpu) / max(replayed.events, 1)
                )
            print(
                f"replay: {replayed.events} events in {replayed.seconds:.0f} s, "
                f"{replayed.events_per_s:.0f} events/s, "
                f"{results['replay_cpu_ms_per_event']:.3f} CPU-ms/event",
                flush=True,
            )

            month = Filters(date(2026, 10, 1), date(2026, 10, 31), district=BASELINE_DISTRICT)
            window = Filters(date(2026, 9, 17), date(2026, 10, 16))
            for name, filters in (("district_month", month), ("region_30_days", window)):
                samples = await timed_queries(
                    lambda f=filters: requests_dashboard(db, f), args.queries
                )
                results[f"dashboard_{name}_p50_ms"] = percentile_ms(samples, 50)
                results[f"dashboard_{name}_p95_ms"] = percentile_ms(samples, 95)
                print(f"dashboard {name}: p95 {results[f'dashboard_{name}_p95_ms']:.1f} ms")
            live = await requests_dashboard(db, month)

            base: dict[str, Any] = {}

            async def baseline() -> None:
                base.update(
                    await baseline_dashboard(
                        raw_db["raw_events"], BASELINE_DISTRICT, month.first, month.last
                    )
                )

            started = time.monotonic()
            samples = await timed_queries(baseline, args.baseline_queries)
            results["baseline_s"] = time.monotonic() - started
            results["baseline_district_month_p50_ms"] = percentile_ms(samples, 50)
            results["speedup_p50_lower_bound"] = (
                results["baseline_district_month_p50_ms"]
                / results["dashboard_district_month_p50_ms"]
            )
            period = live["period"]
            results["baseline_agrees"] = {
                "by_status": base["by_status"] == live["live"]["by_status"],
                "created": base["created"] == period["created"],
                "breached": base["breached"]
                == {
                    clock: figures["breached"]
                    for clock, figures in period["sla"].items()
                    if figures["breached"]
                },
                "ratings": base["ratings"]
                == {str(r): n for r, n in period["satisfaction"]["by_rating"].items()},
            }
            results["frt_median_s"] = {
                "figures": period["first_response"]["median_s"],
                "baseline": base["frt_median_s"],
            }
            results["ttr_median_s"] = {
                "figures": period["resolution"]["median_s"],
                "baseline": base["ttr_median_s"],
            }
            print(
                f"baseline: p50 {results['baseline_district_month_p50_ms']:.0f} ms over "
                f"{loaded['raw_events']} raw events; agrees: {results['baseline_agrees']}",
                flush=True,
            )
        finally:
            await client.drop_database(settings.database_name)
            await client.drop_database(settings.database_name + "_raw")
            await client.close()
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}


def main() -> int:
    """Parse the arguments, run, print and save the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000, help="help requests (1,000,000)")
    parser.add_argument("--queries", type=int, default=200, help="dashboard queries per kind")
    parser.add_argument("--baseline-queries", type=int, default=1, help="baseline runs")
    parser.add_argument("--store-pid", type=int, default=0, help="pid of FerretDB: its CPU too")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results" / f"reporting-{args.requests}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
