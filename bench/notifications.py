"""Notifications decided and handed to a channel per second, and event→sent latency.

Not a test. Runs the notifications service in this process against the real Kafka and
store (``patronage_devinfra.resolve()``: the local ones, or KAFKA_BOOTSTRAP_SERVERS /
MONGODB_URL), with channels that answer instantly. Each event is a request status change
for a family whose contacts are already known: two notifications (the family by SMS, the
curator in the app), at any hour (no quiet hours). Writes
bench/results/notifications-<events>.json.

Two phases: throughput — ``--events`` are on the topic before the service starts, and the
rate is notifications handed over per second from the first to the last; latency —
``--latency-events`` more are then produced at ``--rate`` events per second (below the
throughput) and each one's time from the event to its hand-over is measured.

CPU per notification of each process — this one (the service; the events are produced
before it starts), FerretDB and Kafka — is measured over the throughput phase; load
distorts it far less than the rate. ``--profile FILE`` writes a cProfile of that phase.

Run: .venv/bin/python bench/notifications.py --events 20000
"""

import argparse
import asyncio
import cProfile
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import cpu_seconds, pid_listening_on  # noqa: E402


class InstantChannel:
    """Takes every message at once and notes when."""

    def __init__(self, kind: Any) -> None:
        self.kind = kind
        self.sent: dict[str, float] = {}

    async def send(self, message: Any) -> Any:
        from patronage_notifications.delivery.channels import Receipt

        self.sent[message.notification_id] = time.time()
        return Receipt(delivered=True)

    async def close(self) -> None:
        return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def infrastructure_pids(infra: Any) -> dict[str, int]:
    """This process (the service), and FerretDB and Kafka when they run on this machine."""
    pids = {"service": os.getpid()}
    for name, url in (
        ("ferretdb", infra.mongodb_url),
        ("kafka", "kafka://" + infra.kafka_bootstrap_servers.split(",")[0]),
    ):
        address = urlsplit(url)
        if address.hostname in ("127.0.0.1", "localhost") and address.port:
            pid = pid_listening_on(address.port)
            if pid is not None:
                pids[name] = pid
    return pids


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer
    from patronage_common.store import create_mongo_client
    from patronage_common.testing import free_port, serve
    from patronage_contracts import (
        NeedCategory,
        NotificationChannel,
        RequestStatus,
        RequestStatusChanged,
        topic_of,
    )
    from patronage_devinfra.resolver import resolve
    from patronage_notifications.main import create_app
    from patronage_notifications.settings import NotificationsSettings

    run_id = uuid.uuid4().hex[:6]
    with resolve() as infra:
        settings = NotificationsSettings(
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
            mongodb_url=infra.mongodb_url,
            mongodb_database=f"bench_notifications_{run_id}",
            topic_prefix=f"bench{run_id}.",
            http_port=free_port(),
            log_level="WARNING",
            log_json=False,
            batch_max_records=args.batch,
            # No quiet hours (start = end): at night they would defer every family's SMS.
            quiet_hours_start=time_of_day(0, 0),
            quiet_hours_end=time_of_day(0, 0),
        )
        client = create_mongo_client(settings)
        db = client[settings.database_name]
        families = [str(uuid.uuid4()) for _ in range(args.families)]
        await db["contacts"].insert_many(
            [
                {
                    "_id": f,
                    "fetched": True,
                    "phone": f"+7900{i:07d}",
                    "preferred_channel": "sms",
                    "curator_id": f"curator-{i % 50}",
                    "district": "lipetsk-city",
                    "hq": "hq-lipetsk-city",
                }
                for i, f in enumerate(families)
            ]
        )
        sms = InstantChannel(NotificationChannel.SMS)
        in_app = InstantChannel(NotificationChannel.IN_APP)
        channels: dict[Any, Any] = {
            NotificationChannel.SMS: sms,
            NotificationChannel.IN_APP: in_app,
        }

        def make_events(count: int) -> list[Any]:
            return [
                RequestStatusChanged(
                    family_id=uuid.UUID(families[i % len(families)]),
                    request_id=uuid.uuid4(),
                    version=2,
                    previous_status=RequestStatus.ROUTED,
                    status=RequestStatus.ACCEPTED,
                    category=NeedCategory.HOUSING,
                    changed_by="agency:housing",
                )
                for i in range(count)
            ]

        produced_at: dict[str, float] = {}
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, linger_ms=5)
        await producer.start()

        async def produce(events: list[Any], rate: float | None) -> None:
            futures = []
            began = time.time()
            for n, event in enumerate(events):
                if rate:
                    await asyncio.sleep(max(0.0, began + n / rate - time.time()))
                stamped = event.model_copy(update={"occurred_at": datetime.now(UTC)})
                produced_at[str(event.event_id)] = stamped.occurred_at.timestamp()
                futures.append(
                    await producer.send(
                        settings.topic(topic_of(stamped)),
                        stamped.model_dump_json().encode(),
                        key=stamped.key,
                    )
                )
            await asyncio.gather(*futures)

        async def wait_for(expected: int) -> None:
            deadline = time.time() + args.timeout_s
            while len(sms.sent) + len(in_app.sent) < expected and time.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.5)

        # The topics must exist before producing: a first start creates them.
        async with serve(create_app(settings, channels=channels), settings.http_port):
            pass
        backlog = make_events(args.events)
        await produce(backlog, None)
        print(f"{len(backlog)} events on the topic; starting the service", flush=True)
        pids = infrastructure_pids(infra)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        try:
            async with serve(create_app(settings, channels=channels), settings.http_port):
                cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                load_before = os.getloadavg()[0]
                if profiler:
                    profiler.enable()
                await wait_for(2 * len(backlog))
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(args.profile)
                cpu_spent = {
                    name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()
                }
                load_after = os.getloadavg()[0]
                throughput_sent = {**sms.sent, **in_app.sent}
                print(f"handed over {len(throughput_sent)}; latency phase", flush=True)
                paced = make_events(args.latency_events)
                await produce(paced, args.rate)
                await wait_for(2 * (len(backlog) + len(paced)))
        finally:
            await producer.stop()
        sent = {**sms.sent, **in_app.sent}
        await client.drop_database(settings.database_name)
        await client.close()
    times = sorted(throughput_sent.values())
    span = (times[-1] - times[0]) if len(times) > 1 else 0.0
    paced_ids = {str(e.event_id) for e in paced}
    latencies_ms = [
        (at - produced_at[nid.split(":", 1)[0]]) * 1000
        for nid, at in sent.items()
        if nid.split(":", 1)[0] in paced_ids
    ]
    return {
        "events": len(backlog),
        "families": len(families),
        "notifications_expected": 2 * len(backlog),
        "notifications_handed_over": len(throughput_sent),
        "store": f"{infra.kind} ({infra.store_backend})",
        "batch_max_records": args.batch,
        "throughput_per_s": round(len(throughput_sent) / span, 1) if span else None,
        **{
            f"{name}_cpu_ms_per_notification": round(1000 * spent / max(1, len(throughput_sent)), 3)
            for name, spent in cpu_spent.items()
        },
        "load_average_1m": [round(load_before, 2), round(load_after, 2)],
        "latency_events": len(paced),
        "latency_rate_events_per_s": args.rate,
        "latency_samples": len(latencies_ms),
        "latency_p50_ms": round(statistics.median(latencies_ms), 1) if latencies_ms else None,
        "latency_p99_ms": round(percentile(latencies_ms, 0.99), 1) if latencies_ms else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--latency-events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="events/s in the latency phase")
    parser.add_argument("--timeout-s", type=float, default=600)
    parser.add_argument("--profile", help="write a cProfile of the throughput phase here")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results" / f"notifications-{args.events}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
