"""Routing at load: help requests in through the API, out on the agencies' Kafka topics.

Measures, on one broker and store in one run:
- the raw aiokafka rate: a producer sends N messages of a request's size to a fresh topic
  and a consumer reads them back (produce→consume latency and throughput);
- routing throughput, by two paths: N requests POSTed over HTTP as fast as the requests
  service takes them (a person at a form), and N SubmitHelpRequest commands put on the
  ``requests.intake`` topic (chat-bot, proactive rules, imports) — each until every
  request's agency command has arrived on its agency topic;
- created→agency-topic latency (the command's ``occurred_at``, stamped when the request is
  created, to its arrival on the agency topic), at full speed and paced at a fixed rate;
  for the intake path also submitted→agency-topic (from the moment the command was sent);
- CPU milliseconds per routed request of every process on the path: the requests and
  passport services, FerretDB and the Kafka broker when they run here, and this bench — over
  the full-speed phase until routed, and until the requests service is quiet again (its own
  consumers of its events finish behind the routing);
- Kafka messages per routed request: produced to each of the run's topics, and consumed by
  each consumer group (committed offsets), over the same phase;
- after the paced phase, the request events each consumer group had not committed when its
  last request was routed, and how long the services then took to be quiet (their read
  models catching up).
"""

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import (  # noqa: E402
    cpu_seconds,
    kafka_pid,
    percentile,
    running_services,
    store_commands,
    store_pid,
    wait_ready,
)

PREFIX = "benchreq."
CATEGORIES = ("material", "psychological", "education", "health", "employment", "housing")


async def raw_kafka(bootstrap: str, count: int, size: int) -> dict[str, float]:
    """Produce ``count`` messages with acks=all and consume them back: the broker's pace."""
    topic = f"{PREFIX}raw-{uuid4().hex[:8]}"
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=1
    )
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up")  # creates the topic
    await consumer.start()
    latencies: list[float] = []
    done = asyncio.Event()

    async def consume() -> None:
        async for message in consumer:
            if message.value == b"warm-up":
                continue
            sent = float(message.value[:20].decode())
            latencies.append(time.time() - sent)
            if len(latencies) >= count:
                done.set()
                return

    reader = asyncio.create_task(consume())
    padding = b"x" * max(0, size - 20)
    start = time.perf_counter()
    pending = []
    for _ in range(count):
        pending.append(await producer.send(topic, f"{time.time():20.6f}".encode() + padding))
    await asyncio.gather(*pending)
    await asyncio.wait_for(done.wait(), 120)
    elapsed = time.perf_counter() - start
    reader.cancel()
    await producer.stop()
    await consumer.stop()
    return {
        "raw_kafka_per_s": count / elapsed,
        "raw_kafka_p50_ms": percentile(latencies, 50),
        "raw_kafka_p99_ms": percentile(latencies, 99),
    }


class AgencyTopics:
    """Reads every agency request topic and notes when each request's command arrived."""

    def __init__(self, bootstrap: str) -> None:
        from patronage_contracts import Agency
        from patronage_contracts.topics import agency_requests_topic

        self._topics = [PREFIX + agency_requests_topic(a).name for a in Agency]
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=bootstrap,
            auto_offset_reset="latest",
            enable_auto_commit=False,
            group_id=f"bench-{uuid4().hex[:8]}",
        )
        self.latency: dict[str, float] = {}
        self.arrived_at: dict[str, float] = {}
        self.received_at: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        while not self._consumer.assignment():  # noqa: ASYNC110 - aiokafka has no event for it
            await asyncio.sleep(0.1)
        for partition in self._consumer.assignment():
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._consumer:
            now = time.time()
            command = json.loads(message.value)
            request_id = command["request_id"]
            if request_id in self.latency:
                continue  # a second agency's task of the same request
            created = datetime.fromisoformat(command["occurred_at"]).timestamp()
            self.latency[request_id] = now - created
            self.arrived_at[request_id] = time.perf_counter()
            self.received_at[request_id] = now

    async def wait_for(self, request_ids: list[str], within_s: float) -> None:
        deadline = time.perf_counter() + within_s
        while any(r not in self.latency for r in request_ids):
            if time.perf_counter() > deadline:
                missing = sum(r not in self.latency for r in request_ids)
                raise RuntimeError(f"{missing} requests never reached an agency topic")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self._consumer.stop()


class PhaseCosts:
    """Each process's CPU and each topic's and consumer group's Kafka offsets, taken at the
    start of a phase and compared with later: what one routed request cost everyone."""

    def __init__(self, bootstrap: str, pids: dict[str, int]) -> None:
        self._bootstrap = bootstrap
        self.pids = {**pids, "bench": os.getpid()}
        self._cpu: dict[str, float] = {}
        self._produced: dict[str, int] = {}
        self._consumed: dict[str, int] = {}

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    async def offsets(self) -> tuple[dict[str, int], dict[str, int]]:
        """Messages on each of the run's topics so far; committed by each group so far."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap)
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await consumer.start()
        await admin.start()
        try:
            topics = [t for t in await admin.list_topics() if t.startswith(PREFIX)]
            partitions = [
                TopicPartition(topic["topic"], partition["partition"])
                for topic in await admin.describe_topics(topics)
                for partition in topic["partitions"]
            ]
            produced: dict[str, int] = {}
            for partition, end in (await consumer.end_offsets(partitions)).items():
                name = partition.topic.removeprefix(PREFIX)
                produced[name] = produced.get(name, 0) + end
            consumed: dict[str, int] = {}
            for group, *_ in await admin.list_consumer_groups():
                if group.startswith("bench-"):
                    continue
                committed = await admin.list_consumer_group_offsets(group)
                for partition, offset in committed.items():
                    if partition.topic.startswith(PREFIX) and offset.offset >= 0:
                        key = f"{group} <- {partition.topic.removeprefix(PREFIX)}"
                        consumed[key] = consumed.get(key, 0) + offset.offset
            return produced, consumed
        finally:
            await admin.close()
            await consumer.stop()

    async def lag(self, topic: str) -> dict[str, int]:
        """Messages of ``topic`` that each group consuming it has not committed yet."""
        produced, consumed = await self.offsets()
        return {
            key.removesuffix(f" <- {topic}"): produced.get(topic, 0) - n
            for key, n in sorted(consumed.items())
            if key.endswith(f" <- {topic}")
        }

    async def start(self) -> None:
        self._produced, self._consumed = await self.offsets()
        self._cpu = self.cpu()

    def cpu_ms_per_request(self, count: int) -> dict[str, float]:
        now = self.cpu()
        return {name: round(1000 * (now[name] - self._cpu[name]) / count, 3) for name in self.pids}

    async def messages_per_request(self, count: int) -> dict[str, dict[str, float]]:
        produced, consumed = await self.offsets()

        def per_request(after: dict[str, int], before: dict[str, int]) -> dict[str, float]:
            return {
                key: round((n - before.get(key, 0)) / count, 3)
                for key, n in sorted(after.items())
                if n > before.get(key, 0)
            }

        return {
            "produced": per_request(produced, self._produced),
            "consumed": per_request(consumed, self._consumed),
        }

    async def idle_rates(self, names: tuple[str, ...], seconds: int = 8) -> dict[str, float]:
        """CPU milliseconds a second each process of ``names`` uses with nothing to do (its
        schedulers, folds and relay): the least it used in any one of ``seconds`` seconds
        (the services may still be finishing their set-up in the first), the line ``quiet``
        measures above."""
        least = {name: float("inf") for name in names}
        for _ in range(seconds):
            before = {name: cpu_seconds(self.pids[name]) for name in names}
            await asyncio.sleep(1.0)
            for name in names:
                least[name] = min(least[name], 1000 * (cpu_seconds(self.pids[name]) - before[name]))
        return {name: round(rate, 1) for name, rate in least.items()}

    async def quiet(
        self,
        names: tuple[str, ...],
        idle: dict[str, float] | None = None,
        above_idle_ms_per_s: float = 30.0,
        within_s: float = 120,
    ) -> float:
        """Wait until each process of ``names`` uses less than its ``idle`` rate plus
        ``above_idle_ms_per_s`` of CPU in a second (their consumers done); the seconds waited."""
        idle = idle or {}
        start = time.perf_counter()
        while time.perf_counter() - start < within_s:
            before = {name: cpu_seconds(self.pids[name]) for name in names}
            await asyncio.sleep(1.0)
            if all(
                1000 * (cpu_seconds(self.pids[name]) - before[name])
                < idle.get(name, 0.0) + above_idle_ms_per_s
                for name in names
            ):
                break
        return time.perf_counter() - start


async def post_requests(
    http: httpx.AsyncClient, families: list[str], count: int, *, concurrency: int, rate: float
) -> list[str]:
    """POST ``count`` requests; at most ``concurrency`` in flight, at ``rate``/s if > 0."""
    rng = random.Random(count)
    ids: list[str] = []
    gate = asyncio.Semaphore(concurrency)
    start = time.perf_counter()

    async def one(n: int) -> None:
        if rate > 0:
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        async with gate:
            response = await http.post(
                "/requests",
                json={
                    "family_id": rng.choice(families),
                    "category": rng.choice(CATEGORIES),
                    "description": "Нужна помощь: заявка нагрузочного теста",
                    "channel": "portal",
                },
                headers={"X-Actor": "bench"},
            )
            assert response.status_code == 201, response.text
            ids.append(str(response.json()["request_id"]))

    await asyncio.gather(*(one(n) for n in range(count)))
    return ids


def submit_command(family_id: str, category: str) -> dict[str, Any]:
    """A SubmitHelpRequest as a chat-bot would put it on the intake topic."""
    return {
        "event_id": str(uuid4()),
        "type": "SubmitHelpRequest",
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": str(uuid4()),
        "producer": "bench",
        "family_id": family_id,
        "request_id": str(uuid4()),
        "category": category,
        "description": "Нужна помощь: заявка нагрузочного теста",
        "channel": "chatbot",
        "submitted_by": "bench",
    }


async def submit_requests(
    producer: AIOKafkaProducer, families: list[str], count: int, *, rate: float
) -> dict[str, float]:
    """Put ``count`` commands on the intake topic, at ``rate``/s if > 0; ids → send time."""
    rng = random.Random(count)
    sent_at: dict[str, float] = {}
    pending = []
    start = time.perf_counter()
    for n in range(count):
        if rate > 0:
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        command = submit_command(rng.choice(families), rng.choice(CATEGORIES))
        sent_at[command["request_id"]] = time.time()
        pending.append(
            await producer.send(
                PREFIX + "requests.intake",
                json.dumps(command).encode(),
                key=command["family_id"].encode(),
            )
        )
    await asyncio.gather(*pending)
    return sent_at


def by_second(sent_at: dict[str, float], latency: dict[str, float]) -> list[dict[str, Any]]:
    """Per second of sending: requests, created→agency p99 and max, and how many took over
    50 ms — whether the slow ones crowd into a few seconds (something periodic) or not."""
    start = min(sent_at.values())
    seconds: dict[int, list[float]] = {}
    for request_id, at in sent_at.items():
        seconds.setdefault(int(at - start), []).append(latency[request_id])
    return [
        {
            "second": second,
            "requests": len(samples),
            "p99_ms": round(percentile(samples, 99), 1),
            "max_ms": round(max(samples) * 1000, 1),
            "over_50_ms": sum(s > 0.05 for s in samples),
        }
        for second, samples in sorted(seconds.items())
    ]


async def intake_path(
    args: argparse.Namespace,
    bootstrap: str,
    agencies: "AgencyTopics",
    families: list[str],
    pids: dict[str, int],
    count_dir: Path | None,
) -> dict[str, Any]:
    """The intake topic's figures: full speed, then paced; with ``count_dir`` (services
    run counting their store commands) the store commands per request until quiet."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2
    )
    await producer.start()
    costs = PhaseCosts(bootstrap, pids)
    services = {name: pids[name] for name in ("passport", "requests")}
    try:
        commands_before = await store_commands(services, count_dir) if count_dir else {}
        idle = await costs.idle_rates(("requests", "passport"))
        await costs.start()
        print(f"intake, full speed: starting; pids {costs.pids}", flush=True)
        start = time.perf_counter()
        sent_at = await submit_requests(producer, families, args.requests, rate=0)
        submitted = time.perf_counter() - start
        ids = list(sent_at)
        await agencies.wait_for(ids, 600)
        routed = max(agencies.arrived_at[r] for r in ids) - start
        cpu_routed = costs.cpu_ms_per_request(args.requests)
        quiet_after = await costs.quiet(("requests", "passport"), idle)
        cpu_settled = costs.cpu_ms_per_request(args.requests)
        messages = await costs.messages_per_request(args.requests)
        commands: dict[str, dict[str, float]] = {}
        if count_dir:
            # After the CPU figures: signalling the services costs them a little CPU.
            for name, counts in (await store_commands(services, count_dir)).items():
                sent = {
                    what: round((n - commands_before[name].get(what, 0)) / args.requests, 3)
                    for what, n in sorted(counts.items())
                }
                commands[name] = {what: n for what, n in sent.items() if n >= 0.005}
                commands[name]["total"] = round(sum(sent.values()), 3)
            print(f"intake store commands per request: {commands}", flush=True)
        print(f"intake CPU ms per request until routed: {cpu_routed}", flush=True)
        print(f"intake CPU ms per request until quiet: {cpu_settled}", flush=True)
        print(f"intake Kafka messages per request: {json.dumps(messages, indent=1)}", flush=True)
        samples = [agencies.latency[r] for r in ids]
        end_to_end = [agencies.received_at[r] - sent_at[r] for r in ids]
        results = {
            "intake_submitted_per_s": args.requests / submitted,
            "intake_routed_per_s": args.requests / routed,
            "intake_requests_cpu_ms_per_request": cpu_routed["requests"],
            # Every process's CPU per request until routed, and until the requests and
            # passport services were quiet again (their consumers of the requests' events
            # finish behind the routing).
            "intake_cpu_ms_per_request_until_routed": cpu_routed,
            "intake_cpu_ms_per_request_until_quiet": cpu_settled,
            "intake_quiet_after_routed_s": quiet_after,
            "idle_cpu_ms_per_s_before": idle,
            "intake_kafka_messages_per_request": messages,
            **({"intake_store_commands_per_request_until_quiet": commands} if commands else {}),
            "intake_full_speed_p50_ms": percentile(samples, 50),
            "intake_full_speed_p99_ms": percentile(samples, 99),
            "intake_full_speed_submitted_p50_ms": percentile(end_to_end, 50),
            "intake_full_speed_submitted_p99_ms": percentile(end_to_end, 99),
        }
        print(f"intake, full speed: {results}", flush=True)
        paced_count = int(args.rate * args.paced_seconds)
        sent_at = await submit_requests(producer, families, paced_count, rate=args.rate)
        ids = list(sent_at)
        await agencies.wait_for(ids, 600)
        # How far the consumers of the requests' events (the read models among them) were
        # behind when the paced phase's last request was routed, and how long they then
        # took to finish.
        paced_lag = await costs.lag("requests.events")
        paced_quiet_after = await costs.quiet(("requests", "passport"), idle)
        samples = [agencies.latency[r] for r in ids]
        end_to_end = [agencies.received_at[r] - sent_at[r] for r in ids]
        results.update(
            {
                "intake_paced_events_lag_at_routed": paced_lag,
                "intake_paced_quiet_after_routed_s": paced_quiet_after,
                "intake_paced_rate_per_s": args.rate,
                "intake_paced_requests": paced_count,
                "intake_paced_p50_ms": percentile(samples, 50),
                "intake_paced_p99_ms": percentile(samples, 99),
                "intake_paced_submitted_p50_ms": percentile(end_to_end, 50),
                "intake_paced_submitted_p99_ms": percentile(end_to_end, 99),
                "intake_paced_by_second": by_second(sent_at, agencies.latency),
            }
        )
    finally:
        await producer.stop()
    return results


async def http_path(
    args: argparse.Namespace,
    http: httpx.AsyncClient,
    agencies: "AgencyTopics",
    families: list[str],
    requests_pid: int,
) -> dict[str, float]:
    """The HTTP path's figures: full speed, then paced."""
    results: dict[str, float] = {}
    cpu = cpu_seconds(requests_pid)
    start = time.perf_counter()
    ids = await post_requests(http, families, args.requests, concurrency=args.concurrency, rate=0)
    posted = time.perf_counter() - start
    await agencies.wait_for(ids, 600)
    routed = max(agencies.arrived_at[r] for r in ids) - start
    samples = [agencies.latency[r] for r in ids]
    cpu = cpu_seconds(requests_pid) - cpu
    results.update(
        {
            "http_posted_per_s": args.requests / posted,
            "http_requests_cpu_ms_per_request": cpu / args.requests * 1000,
            "http_routed_per_s": args.requests / routed,
            "http_full_speed_p50_ms": percentile(samples, 50),
            "http_full_speed_p99_ms": percentile(samples, 99),
        }
    )
    print(f"http, full speed: {results}", flush=True)

    paced_count = int(args.rate * args.paced_seconds)
    ids = await post_requests(
        http, families, paced_count, concurrency=args.concurrency, rate=args.rate
    )
    await agencies.wait_for(ids, 600)
    samples = [agencies.latency[r] for r in ids]
    results.update(
        {
            "http_paced_rate_per_s": args.rate,
            "http_paced_requests": paced_count,
            "http_paced_p50_ms": percentile(samples, 50),
            "http_paced_p99_ms": percentile(samples, 99),
        }
    )
    return results


async def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["PATRONAGE_STORE_BACKEND"] = args.backend
    from patronage_devinfra.resolver import resolve
    from patronage_passport.demo.generator import generate_families

    results: dict[str, Any] = {
        "backend": args.backend,
        "requests": args.requests,
        "load_average_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    count_dir = Path(tempfile.mkdtemp(prefix="benchreq-count-")) if args.count else None
    with resolve() as infra:
        results["store"] = f"{infra.kind} ({infra.store_backend})"
        print(f"infrastructure: {infra.kind}, store backend {infra.store_backend}", flush=True)
        results.update(await raw_kafka(infra.kafka_bootstrap_servers, args.requests, 900))
        print(f"raw aiokafka: {results}", flush=True)
        with running_services(
            infra,
            ("passport", "requests"),
            topic_prefix=PREFIX,
            database_prefix=f"benchreq_{uuid4().hex[:6]}",
            count_dir=count_dir,
        ) as (urls, pids):
            for url in urls.values():
                await wait_ready(url)
            async with httpx.AsyncClient(base_url=urls["passport"], timeout=30) as http:
                families = []
                for family in generate_families(args.families, seed=7):
                    response = await http.post(
                        "/passports", json=family.model_dump(mode="json"), headers={"X-Actor": "b"}
                    )
                    if response.status_code == 201:
                        families.append(response.json()["family_id"])
            print(f"{len(families)} families registered", flush=True)
            agencies = AgencyTopics(infra.kafka_bootstrap_servers)
            await agencies.start()
            limits = httpx.Limits(max_connections=args.concurrency)
            async with httpx.AsyncClient(
                base_url=urls["requests"], timeout=60, limits=limits
            ) as http:
                # Warm-up: the requests service fetches each family's contact once.
                warm = []
                for family_id in families:
                    warm += await post_requests(http, [family_id], 1, concurrency=1, rate=0)
                await agencies.wait_for(warm, 120)

                if args.path in ("http", "both"):
                    results.update(
                        await http_path(args, http, agencies, families, pids["requests"])
                    )
            if args.path in ("intake", "both"):
                results.update(
                    await intake_path(
                        args,
                        infra.kafka_bootstrap_servers,
                        agencies,
                        families,
                        {
                            **pids,
                            **store_pid(infra.mongodb_url),
                            **kafka_pid(infra.kafka_bootstrap_servers),
                        },
                        count_dir,
                    )
                )
            results["load_average_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
            await agencies.stop()
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--families", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=200.0, help="paced phase, requests/s")
    parser.add_argument("--paced-seconds", type=float, default=15.0)
    parser.add_argument(
        "--path",
        choices=("http", "intake", "both"),
        default="both",
        help="HTTP POSTs, commands on the intake topic, or both (HTTP first)",
    )
    parser.add_argument(
        "--count",
        action="store_true",
        help="run the services counting their store commands (bench/counted.py; costs CPU)",
    )
    parser.add_argument("--tag", default="", help="added to the results file's name")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    suffix = ("" if args.path == "both" else f"-{args.path}") + (f"-{args.tag}" if args.tag else "")
    out = ROOT / "bench" / "results" / f"requests-{args.backend}-{args.requests}{suffix}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
