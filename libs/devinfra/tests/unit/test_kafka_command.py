"""The local broker's command line."""

from pathlib import Path

from patronage_devinfra.kafka import broker_args


def test_the_broker_runs_with_its_heap_and_the_c1_compiler_only() -> None:
    """A fresh broker's C2 compiler competed for the cores with the services under test."""
    java = ["/usr/bin/java", "-Djava.awt.headless=true", "-cp", "/libs/*"]
    args = broker_args(java, Path("/tmp/server.properties"))
    assert args == [
        *java,
        "-Xms256m",
        "-Xmx768m",
        "-XX:TieredStopAtLevel=1",
        "kafka.Kafka",
        Path("/tmp/server.properties"),
    ]
