"""All five services as separate processes against one infrastructure."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from patronage_common.ports import free_port

from .processes import ManagedProcess, ProcessStartError, log_tail, spawn
from .resolver import Infrastructure

SERVICES = ("passport", "requests", "notifications", "reporting", "gateway")
DEFAULT_PORTS = {
    "gateway": 8000,
    "passport": 8001,
    "requests": 8002,
    "notifications": 8003,
    "reporting": 8004,
}
READY_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class RunningStack:
    """URLs and logs of the running services."""

    urls: dict[str, str]
    log_dir: Path
    processes: dict[str, ManagedProcess]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def service_env(
    service: str,
    infra: Infrastructure,
    urls: Mapping[str, str],
    *,
    topic_prefix: str,
    database_prefix: str,
) -> dict[str, str]:
    """Environment of one service process: infrastructure, its port, its peers' URLs."""
    return {
        **infra.as_env(),
        "HTTP_PORT": urls[service].rsplit(":", 1)[1],
        "TOPIC_PREFIX": topic_prefix,
        "MONGODB_DATABASE": f"{database_prefix}patronage_{service}",
        **{f"{peer.upper()}_URL": url for peer, url in urls.items()},
    }


@contextlib.contextmanager
def run_stack(
    infra: Infrastructure,
    *,
    log_dir: Path,
    topic_prefix: str = "",
    database_prefix: str = "",
    ports: Mapping[str, int] | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = READY_TIMEOUT_S,
) -> Iterator[RunningStack]:
    """Start every service (``python -m patronage_<service>``) and wait until all are ready."""
    chosen = {s: (ports or {}).get(s) or free_port() for s in SERVICES}
    urls = {s: f"http://127.0.0.1:{port}" for s, port in chosen.items()}
    processes: dict[str, ManagedProcess] = {}
    try:
        for service in SERVICES:
            env = {
                **os.environ,
                **(extra_env or {}),
                **service_env(
                    service,
                    infra,
                    urls,
                    topic_prefix=topic_prefix,
                    database_prefix=database_prefix,
                ),
            }
            processes[service] = spawn(
                service,
                [sys.executable, "-m", f"patronage_{service}"],
                log_path=log_dir / f"{service}.log",
                env=env,
            )
        deadline = time.monotonic() + timeout
        pending = set(SERVICES)
        while pending:
            for service in sorted(pending):
                if processes[service].popen.poll() is not None:
                    raise ProcessStartError(
                        f"service {service} exited while starting; log "
                        f"{processes[service].log_path}:\n{log_tail(processes[service].log_path)}"
                    )
                if _ready(urls[service]):
                    pending.discard(service)
            if pending and time.monotonic() > deadline:
                name = sorted(pending)[0]
                raise ProcessStartError(
                    f"services {sorted(pending)} not ready within {timeout:.0f} s; log of "
                    f"{name}:\n{log_tail(processes[name].log_path)}"
                )
            time.sleep(0.2)
        yield RunningStack(urls=urls, log_dir=log_dir, processes=processes)
    finally:
        for process in reversed(list(processes.values())):
            process.stop()
