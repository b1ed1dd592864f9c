"""A real single-node Apache Kafka (KRaft) broker run as a local JVM process."""

from __future__ import annotations

import base64
import contextlib
import shutil
import socket
import struct
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from patronage_common.ports import free_port

from .paths import cache_dir, resource_text
from .processes import (
    ProcessStartError,
    log_tail,
    run_checked,
    running,
    temp_data_dir,
    wait_until,
)

KAFKA_VERSION = "4.1.1"
START_TIMEOUT_S = 90.0
_JAVA_HINT = "java not found: install a JDK 17 (apt-get install openjdk-17-jre-headless)"
_MVN_HINT = "mvn not found: install Maven (apt-get install maven) to download the Kafka jars"
# Pinned rather than Maven's built-in default (2.8) so every machine copies the jars alike.
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
_UNREACHABLE_MARKERS = (
    "No plugin found for prefix",
    "Plugin org.apache.maven.plugins:maven-dependency-plugin",
    "Could not resolve",
    "Could not transfer",
    "UnknownHostException",
    "Connection refused",
    "Connect to repo",
    "Network is unreachable",
    "timed out",
)


@dataclass(frozen=True)
class LocalKafka:
    """Connection details of a running local broker."""

    bootstrap_servers: str
    data_dir: Path
    log_path: Path
    pid: int


def kafka_home() -> Path:
    """Return the cache dir holding the Kafka runtime (``libs/`` with all jars)."""
    return cache_dir() / f"kafka-{KAFKA_VERSION}"


def _require(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ProcessStartError(hint)
    return path


def ensure_kafka_jars() -> Path:
    """Download the broker jars once into the cache (locked, atomic); return the libs dir."""
    home = kafka_home()
    libs = home / "libs"
    marker = home / ".complete"
    if marker.exists():
        return libs
    with FileLock(str(home) + ".lock"):
        if marker.exists():
            return libs
        mvn = _require("mvn", _MVN_HINT)
        # Only the lock holder creates staging dirs, so any found now were left by a killed one.
        for stale in home.parent.glob(f"{home.name}.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{home.name}.partial-", dir=home.parent))
        try:
            pom = staging / "pom.xml"
            pom.write_text(resource_text("kafka-pom.xml"), "utf-8")
            log = staging / "mvn.log"
            try:
                run_checked(
                    "mvn",
                    [
                        mvn,
                        "-q",
                        "-B",
                        "-Dstyle.color=never",
                        "-f",
                        pom,
                        f"{_DEPENDENCY_PLUGIN}:copy-dependencies",
                        "-DincludeScope=runtime",
                        f"-DoutputDirectory={staging / 'libs'}",
                    ],
                    log_path=log,
                    timeout=900,
                )
            except ProcessStartError as exc:
                output = log.read_text("utf-8", errors="replace") if log.exists() else ""
                if any(marker in output for marker in _UNREACHABLE_MARKERS):
                    raise ProcessStartError(
                        "Maven Central unreachable (check network or ~/.m2/settings.xml) "
                        f"while downloading Kafka {KAFKA_VERSION}:\n{log_tail(log, 30)}"
                    ) from None
                raise ProcessStartError(
                    f"mvn failed to fetch Kafka {KAFKA_VERSION}: {exc}"
                ) from None
            if not any((staging / "libs").glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
                raise ProcessStartError(
                    f"mvn finished but kafka_2.13-{KAFKA_VERSION}.jar is missing"
                )
            pom.unlink()
            log.unlink()
            (staging / ".complete").write_text(KAFKA_VERSION, "utf-8")
            shutil.rmtree(home, ignore_errors=True)
            staging.rename(home)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return libs


def new_cluster_id() -> str:
    """Return a Kafka-style base64url UUID; like Kafka, avoid a leading '-' that CLIs misparse."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not text.startswith("-"):
            return text


def _server_properties(port: int, controller_port: int, log_dir: Path) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": "3",
        "auto.create.topics.enable": "true",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Tests create many tiny topics; small segments keep the temp dir small.
        "log.segment.bytes": str(16 * 1024 * 1024),
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


BROKER_JVM_OPTIONS = ("-Xms256m", "-Xmx768m", "-XX:TieredStopAtLevel=1")
"""The broker's heap, and its JIT stopped at the C1 compiler. A broker started here is fresh
(a test session, a benchmark): with C2 its compiler thread took 32-43 CPU-ms a second for
minutes after the start, with the broker's seconds up to 316-424 ms, on the two cores the
services under test share with it (bench/gateway.py, its worst seconds). With C1 only the
broker took 31-40 ms a second in all, at most 89; its request handlers cost the same, and
its raw produce-consume pace was alike (bench/kafka_jit.py: 23,718 vs 24,325 messages/s)."""


def broker_args(java: list[str], properties: Path) -> list[str | Path]:
    """The broker's command line: ``java`` (from ``_java_args``) running ``properties``."""
    return [*java, *BROKER_JVM_OPTIONS, "kafka.Kafka", properties]


def _java_args(libs: Path, log4j_config: Path, log_file: Path) -> list[str]:
    java = _require("java", _JAVA_HINT)
    return [
        java,
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j_config}",
        f"-Dkafka.logs.file={log_file}",
        "-cp",
        f"{libs}/*",
    ]


def broker_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """Return whether a broker at host:port answers a Metadata request listing itself."""
    client_id = b"patronage-devinfra"
    header = struct.pack(">hhih", 3, 4, 1, len(client_id)) + client_id
    # Metadata v4 body: all topics (null array), no auto-creation.
    request = header + struct.pack(">ib", -1, 0)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            size_bytes = _recv_exact(sock, 4)
            (size,) = struct.unpack(">i", size_bytes)
            payload = _recv_exact(sock, min(size, 64 * 1024))
    except OSError:
        return False
    if len(payload) < 12:
        return False
    correlation_id, _throttle_ms, broker_count = struct.unpack(">iii", payload[:12])
    return bool(correlation_id == 1 and broker_count > 0)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed")
        chunks.extend(chunk)
    return bytes(chunks)


@contextlib.contextmanager
def start_local_kafka(timeout: float = START_TIMEOUT_S) -> Iterator[LocalKafka]:
    """Run a single-node KRaft broker on free 127.0.0.1 ports for the duration of the block."""
    _require("java", _JAVA_HINT)
    libs = ensure_kafka_jars()
    with temp_data_dir("kafka") as data_dir:
        log4j_config = data_dir / "log4j2.xml"
        log4j_config.write_text(resource_text("log4j2.xml"), "utf-8")
        log_path = data_dir / "kafka.log"
        port, controller_port = free_port(), free_port()
        while controller_port == port:
            controller_port = free_port()
        properties = data_dir / "server.properties"
        properties.write_text(_server_properties(port, controller_port, data_dir / "log"), "utf-8")
        java = _java_args(libs, log4j_config, log_path)
        # A static controller.quorum.voters needs neither --standalone nor --initial-controllers.
        run_checked(
            "kafka-storage-format",
            [*java, "kafka.tools.StorageTool", "format", "-t", new_cluster_id(), "-c", properties],
            log_path=data_dir / "format.log",
            timeout=120,
        )
        with running(
            "kafka",
            broker_args(java, properties),
            log_path=log_path,
            cwd=data_dir,
            stop_timeout=15.0,
        ) as proc:
            wait_until(
                proc,
                lambda: broker_answers("127.0.0.1", port),
                timeout=timeout,
                what="broker answers Metadata",
                interval=0.25,
            )
            yield LocalKafka(
                bootstrap_servers=f"127.0.0.1:{port}",
                data_dir=data_dir,
                log_path=log_path,
                pid=proc.pid,
            )
