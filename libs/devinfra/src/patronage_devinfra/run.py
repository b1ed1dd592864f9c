"""``python -m patronage_devinfra.run``: the whole system locally, until Ctrl-C.

Starts Kafka and the document store (see ``resolve``), the five services as their own
processes, loads a little demo data and prints the web UI's address.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .demo import DEMO_FAMILIES, load_demo_data
from .resolver import resolve
from .stack import DEFAULT_PORTS, SERVICES, run_stack

LOG_DIR = Path(".run") / "logs"


def _ports() -> dict[str, int]:
    """Ports from ``<SERVICE>_PORT`` variables, else the defaults (gateway 8000, ...)."""
    return {s: int(os.environ.get(f"{s.upper()}_PORT", DEFAULT_PORTS[s])) for s in SERVICES}


def main() -> int:
    """Run everything until SIGINT or SIGTERM."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print("Патронаж: запускаю Kafka и хранилище…", flush=True)
    with resolve() as infra:
        print(f"  Kafka: {infra.kafka_bootstrap_servers}", flush=True)
        print(f"  Хранилище: {infra.mongodb_url} ({infra.store_backend})", flush=True)
        print("Запускаю сервисы…", flush=True)
        with run_stack(
            infra,
            log_dir=LOG_DIR.resolve(),
            ports=_ports(),
            topic_prefix=os.environ.get("TOPIC_PREFIX", ""),
            database_prefix=os.environ.get("MONGODB_DATABASE_PREFIX", ""),
        ) as stack:
            request_ids = load_demo_data(stack.urls)
            print(f"Демо-данные: {DEMO_FAMILIES} семей, {len(request_ids)} заявок.", flush=True)
            for service, url in stack.urls.items():
                print(f"  {service:14} {url}   (журнал: {stack.log_dir / (service + '.log')})")
            print(f"\nПатронаж работает: {stack.urls['gateway']}/", flush=True)
            print(f"Пример заявки: {stack.urls['gateway']}/requests/{request_ids[0]}")
            print(
                "Вход: cur-lipetsk-city-1, dispatcher-1, housing-1, head-lipetsk-city, admin-1, "
                "auditor-1 — пароль demo-pass-1"
            )
            print("Остановить: Ctrl-C", flush=True)
            stop.wait()
            print("\nОстанавливаю…", flush=True)
    print("Остановлено.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
