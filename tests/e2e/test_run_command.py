"""`make run`'s program: starts everything, loads demo data, and Ctrl-C leaves nothing behind."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from patronage_common.testing import free_port
from patronage_devinfra.demo import DEMO_REQUESTS
from patronage_devinfra.resolver import Infrastructure
from patronage_devinfra.stack import SERVICES

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def wait_for_line(process: subprocess.Popen[str], marker: str, timeout_s: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} not printed; output:\n{''.join(lines)}")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGKILL])
def test_run_serves_demo_data_and_stopping_it_leaves_no_process(
    infrastructure: Infrastructure, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    ports = {s: free_port() for s in SERVICES}
    env = {
        **os.environ,
        **infrastructure.as_env(),
        **{f"{s.upper()}_PORT": str(p) for s, p in ports.items()},
        "TOPIC_PREFIX": f"run{stop_signal.value}.",
        "MONGODB_DATABASE_PREFIX": f"run{stop_signal.value}_",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "patronage_devinfra.run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = "".join(wait_for_line(process, "Остановить: Ctrl-C", timeout_s=180))
        assert f"http://127.0.0.1:{ports['gateway']}/" in output
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= len(SERVICES)
        deadline = time.monotonic() + 60
        counts: dict[str, int] = {}
        while time.monotonic() < deadline and counts != {"routed": DEMO_REQUESTS}:
            url = f"http://127.0.0.1:{ports['reporting']}/reports/requests"
            request = urllib.request.Request(url, headers={"X-Actor-Role": "regional_coordinator"})
            with urllib.request.urlopen(request, timeout=5) as response:
                counts = json.loads(response.read())["live"]["by_status"]
            time.sleep(0.5)
        assert counts == {"routed": DEMO_REQUESTS}
    finally:
        process.send_signal(stop_signal)
        process.wait(timeout=60)
    if stop_signal is signal.SIGINT:
        assert process.returncode == 0
    _gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, f"left behind: {[p.pid for p in alive]}"
