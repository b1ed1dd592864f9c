"""Free TCP ports for the servers that tests, benchmarks and the local stack start.

A port the kernel hands out for ``bind(("127.0.0.1", 0))`` comes from the range it also
takes the local ports of outgoing connections from; with hundreds of Kafka, store and HTTP
connections opening, one of them can take that port before the server binds it ("address
already in use"). So the ports come from below that range, and none twice in one process.
"""

import random
import socket
import threading
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_DEFAULT_RANGE = (32768, 60999)
LOWEST = 10000
ATTEMPTS = 500

_handed_out: set[int] = set()
_lock = threading.Lock()


def ephemeral_range() -> tuple[int, int]:
    """The range the kernel picks outgoing connections' local ports from."""
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        return LINUX_DEFAULT_RANGE
    return low, high


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _kernel_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now, outside the kernel's range
    for outgoing connections and not returned before by this process."""
    low, high = ephemeral_range()
    candidates = [*range(LOWEST, min(low, 65536)), *range(max(high + 1, LOWEST), 65536)]
    with _lock:
        for _ in range(ATTEMPTS if candidates else 0):
            port: int = random.choice(candidates)  # noqa: S311 - not a secret
            if port not in _handed_out and _bindable(port):
                _handed_out.add(port)
                return port
        # The machine leaves no room outside the range (or all of it is taken): let the
        # kernel choose, as before.
        port = _kernel_port()
        _handed_out.add(port)
        return port
