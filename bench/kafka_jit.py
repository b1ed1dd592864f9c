"""The local broker with the C2 compiler and with C1 only: raw produce/consume pace
(``bench/requests.py``'s ``raw_kafka``: 20,000 messages of 600 bytes, three rounds on one
fresh broker) and the broker's CPU per message. Writes ``results/kafka-jit.json``."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import patronage_devinfra.kafka as kafka  # noqa: E402

from bench.requests import raw_kafka  # noqa: E402
from bench.support import cpu_seconds  # noqa: E402

C2 = ("-Xms256m", "-Xmx768m")
C1 = kafka.BROKER_JVM_OPTIONS


async def measure(options: tuple[str, ...]) -> dict[str, Any]:
    """Three rounds on a broker started with ``options``."""
    # The module's own constant, read when the broker starts: the two variants compared.
    kafka.BROKER_JVM_OPTIONS = options
    out: dict[str, Any] = {"options": options}
    with kafka.start_local_kafka() as broker:
        for i in range(3):
            before = cpu_seconds(broker.pid)
            figures = await raw_kafka(broker.bootstrap_servers, 20000, 600)
            figures["broker_cpu_ms_per_msg"] = 1000 * (cpu_seconds(broker.pid) - before) / 20000
            out[f"round{i}"] = {k: round(v, 3) for k, v in figures.items()}
            print(options[-1], i, out[f"round{i}"], flush=True)
    return out


async def main() -> None:
    results = [await measure(C2), await measure(C1)]
    out = ROOT / "bench" / "results" / "kafka-jit.json"
    out.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    asyncio.run(main())
