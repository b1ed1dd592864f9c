"""The Docker path: Kafka and MongoDB through testcontainers, used when an engine answers."""

from __future__ import annotations

import contextlib
import importlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

from .kafka import KAFKA_VERSION, broker_answers, new_cluster_id
from .processes import ProcessStartError

KAFKA_IMAGE = f"apache/kafka:{KAFKA_VERSION}"
MONGO_IMAGE = "mongo:8"
_KAFKA_PORT = 9092
_START_SCRIPT = "/patronage-start.sh"


def docker_available(timeout: float = 5.0) -> bool:
    """Return whether a Docker engine answers within ``timeout`` seconds (never raises)."""
    try:
        if shutil.which("docker") is not None:
            result = subprocess.run(
                ["docker", "info", "--format", "{{.ServerVersion}}"],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
            return result.returncode == 0 and bool(result.stdout.strip())
        docker: Any = importlib.import_module("docker")
        client = docker.from_env(timeout=int(timeout))
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # any failure means "no usable engine"
        return False


@contextlib.contextmanager
def kafka_container(timeout: float = 120.0) -> Iterator[str]:
    """Run the ``apache/kafka`` image as a single KRaft node; yield its bootstrap servers."""
    from testcontainers.core.container import DockerContainer

    # testcontainers' KafkaContainer drives Confluent's start scripts, which the apache/kafka
    # image lacks. As it does, hold the entrypoint until the mapped port is known, since the
    # advertised listener must name the host-side address.
    container = (
        DockerContainer(KAFKA_IMAGE)
        .with_exposed_ports(_KAFKA_PORT)
        .with_envs(
            CLUSTER_ID=new_cluster_id(),
            KAFKA_NODE_ID="1",
            KAFKA_PROCESS_ROLES="broker,controller",
            KAFKA_LISTENERS=(
                f"PLAINTEXT://0.0.0.0:{_KAFKA_PORT},BROKER://0.0.0.0:19092,"
                "CONTROLLER://0.0.0.0:9093"
            ),
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP=(
                "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT"
            ),
            KAFKA_INTER_BROKER_LISTENER_NAME="BROKER",
            KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
            KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
            KAFKA_NUM_PARTITIONS="3",
            KAFKA_AUTO_CREATE_TOPICS_ENABLE="true",
            KAFKA_DEFAULT_REPLICATION_FACTOR="1",
            KAFKA_MIN_INSYNC_REPLICAS="1",
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
            KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR="1",
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
        )
        .with_command(
            f'sh -c "while [ ! -f {_START_SCRIPT} ]; do sleep 0.1; done; sh {_START_SCRIPT}"'
        )
    )
    with container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(_KAFKA_PORT)
        script = (
            "export KAFKA_ADVERTISED_LISTENERS="
            f"PLAINTEXT://{host}:{port},BROKER://localhost:19092\n"
            "exec /etc/kafka/docker/run\n"
        )
        container.copy_into_container(script.encode("utf-8"), _START_SCRIPT)
        deadline = time.monotonic() + timeout
        while not broker_answers(host, port):
            if time.monotonic() > deadline:
                stdout, stderr = container.get_logs()
                tail = (stdout + stderr).decode("utf-8", "replace").splitlines()[-40:]
                raise ProcessStartError(
                    f"Kafka container not ready within {timeout:.0f} s:\n" + "\n".join(tail)
                )
            time.sleep(0.5)
        yield f"{host}:{port}"


@contextlib.contextmanager
def mongodb_container() -> Iterator[str]:
    """Run ``mongo:8``; yield its connection URL."""
    from testcontainers.community.mongodb import MongoDbContainer

    with MongoDbContainer(MONGO_IMAGE) as mongo:
        yield mongo.get_connection_url() + "/"
